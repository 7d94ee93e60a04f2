package keepalive

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/tokentray/tokentray/keepalive/watched"
)

// Watched accounts belong to other tools (Claude Code, Codex CLI, ...).
// The engine only reads their expiry metadata, re-reads a store when its
// owner changes it, and re-evaluates every maxStep so that deadlines that
// pass without any file changing are noticed. It never refreshes them.

// checkEvery is how often a configured check command runs.
const checkEvery = 15 * time.Minute

type watchedAcc struct {
	src     watched.Source
	checked time.Time // last check command run; zero: run it at the next probe
	checkOK bool      // the last check's verdict (true until a check says otherwise)
	detail  string
}

// watchedStatus is the account status of a watched store. Its Note (an
// expired access token the owner refreshes on next use, a login that is not
// OAuth, one kept in the OS keyring) is information, not a failure: the
// reason says it and the state stays OK.
func watchedStatus(src watched.Source, m watched.Meta, st watched.Status) Account {
	return Account{
		Name:        src.Name,
		Kind:        Watched(string(src.Kind)),
		State:       st.State,
		Expiry:      m.AccessExpiry,
		Deadline:    st.Deadline,
		LastRefresh: m.LastRefresh,
		Reason:      st.Reason,
		User:        m.Who(),
	}
}

// ConfigureWatched replaces the watched stores (the running instance
// follows the [watch] settings of config.toml): new and changed stores are
// read at once, removed ones dropped, and the file watches follow.
func (e *Engine) ConfigureWatched(srcs []watched.Source) {
	e.watchedMu.Lock()
	old := map[string]*watchedAcc{}
	for _, w := range e.watchedAccs {
		old[w.src.Name] = w
	}
	var next, fresh []*watchedAcc
	names := make([]string, 0, len(srcs))
	for _, src := range srcs {
		w := old[src.Name]
		if w == nil || !reflect.DeepEqual(w.src, src) {
			w = &watchedAcc{src: src, checkOK: true}
			fresh = append(fresh, w)
		}
		next = append(next, w)
		names = append(names, src.Name)
	}
	e.watchedAccs = next
	if e.restartWatch != nil {
		e.restartWatch()
	}
	e.watchedMu.Unlock()
	e.deliver(evWatchedSources{names: names})
	now := e.clock.Now()
	for _, w := range fresh {
		m, st := watched.Probe(w.src, now)
		e.deliver(evWatched{acc: watchedStatus(w.src, m, st)})
	}
}

func (e *Engine) watchedList() []*watchedAcc {
	e.watchedMu.Lock()
	defer e.watchedMu.Unlock()
	return e.watchedAccs
}

// probeWatched re-reads the named watched stores (all when names is nil)
// and returns their status. fresh: the owner changed the store, so its
// check command runs now. Only one probe runs at a time.
func (e *Engine) probeWatched(ctx context.Context, names []string, fresh bool) []Account {
	var out []Account
	for _, w := range e.watchedList() {
		if names != nil && !slices.Contains(names, w.src.Name) {
			continue
		}
		if fresh {
			w.checked = time.Time{}
		}
		out = append(out, e.probeOne(ctx, w))
	}
	return out
}

func (e *Engine) probeOne(ctx context.Context, w *watchedAcc) Account {
	now := e.clock.Now()
	m, st := watched.Probe(w.src, now)
	a := watchedStatus(w.src, m, st)
	if len(w.src.CheckCommand) > 0 && a.State < NeedsSignIn {
		if w.checked.IsZero() || now.Sub(w.checked) >= checkEvery {
			ok, detail, err := watched.RunSourceCheck(ctx, w.src)
			w.checked = now
			if err != nil {
				// The command could not run or timed out: that says
				// nothing about the login, so keep the last verdict.
				e.log.Warn("check command failed", "account", w.src.Name, "err", err)
			} else {
				w.checkOK, w.detail = ok, detail
			}
		}
		if !w.checkOK {
			a.State, a.Reason = NeedsSignIn, "the check command reports no login"
			a.LastError = w.detail
		}
	}
	return a
}

// followWatched watches the watched stores until ctx ends, and again with
// the new ones after each ConfigureWatched. The returned function stops
// the restarts; call it before waiting for wg.
func (e *Engine) followWatched(ctx context.Context, wg *sync.WaitGroup) (stop func()) {
	cancel := func() {}
	start := func() { // with watchedMu held
		cancel()
		if len(e.watchedAccs) == 0 || ctx.Err() != nil {
			return
		}
		srcs := make([]watched.Source, len(e.watchedAccs))
		for i, w := range e.watchedAccs {
			srcs[i] = w.src
		}
		wctx, c := context.WithCancel(ctx)
		cancel = c
		wg.Go(func() { e.watchWatched(wctx, srcs) })
	}
	e.watchedMu.Lock()
	start()
	e.restartWatch = start
	e.watchedMu.Unlock()
	return func() {
		e.watchedMu.Lock()
		e.restartWatch = nil
		cancel()
		e.watchedMu.Unlock()
	}
}

// watchWatched follows the stores srcs until ctx ends; a change is an
// event for the loop.
func (e *Engine) watchWatched(ctx context.Context, srcs []watched.Source) {
	err := watched.Watch(ctx, srcs, func(src watched.Source) {
		e.send(envelope{ev: evWatchedChanged{name: src.Name}})
	})
	if err != nil && ctx.Err() == nil {
		e.log.Warn("cannot watch other tools' stores; checking every minute", "err", err)
	}
}
