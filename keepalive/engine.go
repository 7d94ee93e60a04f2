package keepalive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/keepalive/watched"
	"github.com/tokentray/tokentray/oauthflow"
)

// OwnedAccount configures one account whose tokens tokentray refreshes.
type OwnedAccount struct {
	Name   string
	Client *oauthflow.Client
	// RefreshLead is how long before expiry the access token is refreshed;
	// it is capped at half the token's lifetime, so short-lived tokens are
	// not refreshed in a loop. 0 refreshes at expiry (minus jitter).
	RefreshLead time.Duration
	// CheckInterval is the refresh period for tokens without a known
	// expiry.
	CheckInterval time.Duration
	// SignIn configures the browser sign-in (redirect, extra parameters).
	SignIn oauthflow.SignInOptions
	// Device makes the device authorization grant (RFC 8628) the default
	// sign-in (config sign_in = "device").
	Device bool
}

// Options configure an Engine. Store is required; the rest have defaults.
type Options struct {
	Store *store.Dir
	Clock Clock          // default SystemClock
	Log   *slog.Logger   // default: discard
	Rand  func() float64 // uniform in [0,1) for jitter; default math/rand
	// WatchStore makes Run follow changes other processes make to the token
	// files (fsnotify), so health updates at once.
	WatchStore bool
	// Watched are other tools' credential stores, shown read-only.
	Watched []watched.Source
	// OpenURL opens a URL in the user's browser (sign-in). Default: an
	// error saying no browser is available.
	OpenURL func(url string) error
	// Policy is the retry policy; the zero value means DefaultPolicy.
	Policy Policy
	// RefreshesPerHost bounds the refreshes in flight to one token
	// endpoint host (default 4).
	RefreshesPerHost int
}

// defaultRefreshesPerHost is the default of Options.RefreshesPerHost.
const defaultRefreshesPerHost = 4

// tokenMinValidity is how much validity AccessToken wants left: it
// refreshes only when less remains (the background loop keeps its own
// schedule).
const tokenMinValidity = 60 * time.Second

// publishEvery is the shortest gap between two published snapshots: the
// changes of a burst (a thousand refreshes) are coalesced.
const publishEvery = 100 * time.Millisecond

// Errors reported in account health.
var (
	ErrNotSignedIn    = errors.New("not signed in")
	ErrUnknownAccount = errors.New("unknown account")
)

// Engine keeps owned accounts fresh and publishes snapshots.
//
// Its state is owned by one goroutine: Run's loop, which takes events
// (the timer, refresh results, file changes, sign-ins, commands), applies
// them with step and carries out step's effects. Refreshes run on a small
// pool of workers, at most RefreshesPerHost per token endpoint host, over
// one shared HTTP transport. Without a running loop (the CLI), the
// synchronous methods apply their events themselves, one at a time.
type Engine struct {
	store    *store.Dir
	clock    Clock
	log      *slog.Logger
	rand     func() float64
	watch    bool
	hc       *http.Client
	pool     *pool
	pubEvery time.Duration

	cfgMu sync.RWMutex
	cfgs  map[string]OwnedAccount

	// watchedMu guards watchedAccs (replaced by ConfigureWatched) and
	// restartWatch.
	watchedMu    sync.Mutex
	watchedAccs  []*watchedAcc
	restartWatch func()

	signIns   signIns
	openURL   func(string) error
	logWriter io.Writer

	unsaved unsavedRecords

	// runMu guards running, and the state while no loop runs.
	runMu    sync.Mutex
	running  bool
	events   chan envelope
	loopDone chan struct{}
	started  chan struct{} // closed once Run's loop takes the events (tests)
	st       state

	pubMu sync.Mutex
	snap  Snapshot
	subs  map[chan Snapshot]struct{}
}

// envelope carries an event, or a function to run on the state (fn), to
// the loop. done, when set, is closed once it was applied; settle delays
// that until nothing is in flight and the snapshot is published.
type envelope struct {
	ev     event
	fn     func(*state)
	done   chan struct{}
	settle bool
}

// New creates an engine for the given owned accounts. It reads their
// token files and the watched stores, so Snapshot is complete at once.
func New(opts Options, accounts []OwnedAccount) *Engine {
	policy := opts.Policy
	if policy == (Policy{}) {
		policy = DefaultPolicy
	}
	perHost := opts.RefreshesPerHost
	if perHost <= 0 {
		perHost = defaultRefreshesPerHost
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = perHost
	e := &Engine{
		store: opts.Store, clock: opts.Clock, log: opts.Log, rand: opts.Rand, watch: opts.WatchStore,
		hc:       &http.Client{Transport: tr, Timeout: oauthflow.DefaultTimeout},
		pool:     newPool(perHost),
		pubEvery: publishEvery,
		cfgs:     map[string]OwnedAccount{},
		subs:     map[chan Snapshot]struct{}{},
		openURL:  opts.OpenURL,
		signIns:  signIns{flows: map[string]*openSignIn{}},
		unsaved:  unsavedRecords{m: map[string]unsaved{}},
		events:   make(chan envelope, 64),
		started:  make(chan struct{}),
		st:       newState(policy),
	}
	if e.openURL == nil {
		e.openURL = func(string) error { return errors.New("no browser available") }
	}
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.rand == nil {
		e.rand = rand.Float64
	}
	e.logWriter = &slogWriter{log: e.log}
	e.Configure(accounts)
	e.ConfigureWatched(opts.Watched)
	e.runMu.Lock()
	e.publish(e.st, e.clock.Now())
	e.runMu.Unlock()
	return e
}

// Configure replaces the owned accounts (the running instance follows
// config.toml): new accounts are read and scheduled, removed ones
// dropped, changed ones keep their health and use the new settings.
func (e *Engine) Configure(accounts []OwnedAccount) {
	cfgs := map[string]OwnedAccount{}
	for i, a := range accounts {
		if a.Client != nil && a.Client.HTTPClient == nil {
			a.Client.HTTPClient = e.hc // one transport: connections are reused
		}
		accounts[i] = normalize(a)
		cfgs[a.Name] = accounts[i]
	}
	e.cfgMu.Lock()
	e.cfgs = cfgs
	e.cfgMu.Unlock()
	e.deliver(evConfig{accounts: accounts})
}

func (e *Engine) config(name string) (OwnedAccount, bool) {
	e.cfgMu.RLock()
	defer e.cfgMu.RUnlock()
	a, ok := e.cfgs[name]
	return a, ok
}

// Snapshot returns the current snapshot.
func (e *Engine) Snapshot() Snapshot {
	e.pubMu.Lock()
	defer e.pubMu.Unlock()
	return e.snap
}

// Subscribe returns a channel that always holds the latest snapshot (older
// undelivered ones are dropped, so a slow subscriber never blocks the
// engine) and a function to unsubscribe. The current snapshot is delivered
// at once.
func (e *Engine) Subscribe() (<-chan Snapshot, func()) {
	ch := make(chan Snapshot, 1)
	e.pubMu.Lock()
	e.subs[ch] = struct{}{}
	ch <- e.snap
	e.pubMu.Unlock()
	return ch, func() {
		e.pubMu.Lock()
		delete(e.subs, ch)
		e.pubMu.Unlock()
	}
}

func (e *Engine) publish(s state, now time.Time) {
	snap := s.snapshot(now)
	e.pubMu.Lock()
	defer e.pubMu.Unlock()
	e.snap = snap
	for ch := range e.subs {
		select {
		case <-ch: // drop the undelivered older snapshot
		default:
		}
		ch <- snap
	}
}

// RefreshNow asks the engine to refresh one account now, or every owned
// account when name is "". It does not wait for the refresh.
func (e *Engine) RefreshNow(name string) error {
	if _, ok := e.config(name); name != "" && !ok {
		return fmt.Errorf("%w %q", ErrUnknownAccount, name)
	}
	e.send(envelope{ev: evRefreshNow{name: name}})
	return nil
}

// Wake makes every account re-read its store and re-check its schedule at
// once, e.g. when the machine resumes from suspend: an overdue refresh then
// happens now instead of at the end of the current sleep step.
func (e *Engine) Wake() { e.send(envelope{ev: evResume{}}) }

// reload makes the engine re-read an account's token file (after a sign-in
// or a change by another process).
func (e *Engine) reload(name string) { e.send(envelope{ev: evFileChanged{name: name}}) }

// send hands an event to the loop without waiting, or applies it at once
// when no loop runs.
func (e *Engine) send(env envelope) {
	e.runMu.Lock()
	if e.running {
		e.runMu.Unlock()
		select {
		case e.events <- env:
		case <-e.loopDone:
		}
		return
	}
	defer e.runMu.Unlock()
	e.applySync(env)
}

// deliver applies an event and waits until it has been applied.
func (e *Engine) deliver(ev event) { e.wait(envelope{ev: ev}) }

// with runs fn on the state, on the goroutine that owns it.
func (e *Engine) with(fn func(*state)) { e.wait(envelope{fn: fn}) }

func (e *Engine) wait(env envelope) {
	e.runMu.Lock()
	if !e.running {
		defer e.runMu.Unlock()
		e.applySync(env)
		return
	}
	e.runMu.Unlock()
	env.done = make(chan struct{})
	select {
	case e.events <- env:
	case <-e.loopDone:
		e.wait(envelope{ev: env.ev, fn: env.fn}) // the loop ended meanwhile
		return
	}
	select {
	case <-env.done:
	case <-e.loopDone:
	}
}

// applySync applies an envelope without a loop, carrying out the effects
// in place (refreshes included). Caller holds runMu.
func (e *Engine) applySync(env envelope) {
	if env.fn != nil {
		env.fn(&e.st)
	}
	queue := []event{}
	if env.ev != nil {
		queue = append(queue, env.ev)
	}
	dirty := false
	for len(queue) > 0 {
		ev := queue[0]
		queue = queue[1:]
		var effs []effect
		e.st, effs = step(e.st, ev, e.clock.Now(), e.rand())
		for _, f := range effs {
			switch f := f.(type) {
			case effRefresh:
				queue = append(queue, evRefreshDone{res: e.refresh(context.Background(), f.name, f.force, f.decide, 0)})
			case effProbeWatched:
				for _, acc := range e.probeWatched(context.Background(), f.names, f.fresh) {
					queue = append(queue, evWatched{acc: acc})
				}
			case effPublish:
				dirty = true
			default:
				if ev := e.do(f); ev != nil {
					queue = append(queue, ev)
				}
			}
		}
	}
	if dirty {
		e.publish(e.st, e.clock.Now())
	}
	if env.done != nil {
		close(env.done)
	}
}

// do carries out the quick effects (file reads and small writes, logs)
// where they are, and returns the event that reports the outcome, if any.
func (e *Engine) do(f effect) event {
	switch f := f.(type) {
	case effLoad:
		return e.load(f.name)
	case effSaveHealth:
		if err := e.store.SaveHealth(f.name, f.health); err != nil {
			e.log.Warn("cannot remember the account's health", "account", f.name, "err", err)
		}
	case effLog:
		e.log.Log(context.Background(), f.level, f.msg, f.attrs...)
	}
	return nil
}

func (e *Engine) load(name string) event {
	rec, err := e.store.Load(name)
	h, herr := e.store.LoadHealth(name)
	if herr != nil {
		e.log.Warn("cannot read the account's remembered health", "account", name, "err", herr)
	}
	return evLoaded{name: name, rec: rec, err: err, health: h}
}

// Run keeps the accounts fresh until ctx is cancelled. Refreshes that
// have reached the server when ctx ends are completed and stored first.
func (e *Engine) Run(ctx context.Context) error {
	e.runMu.Lock()
	if e.running {
		e.runMu.Unlock()
		return errors.New("the engine is already running")
	}
	e.running = true
	e.loopDone = make(chan struct{})
	e.runMu.Unlock()
	select {
	case <-e.started:
	default:
		close(e.started)
	}

	var wg sync.WaitGroup
	wctx, stopWatchers := context.WithCancel(ctx)
	if e.watch {
		if stop, err := e.watchStore(wctx); err != nil {
			e.log.Warn("cannot watch the token directory; changes by other processes are noticed at the next check", "err", err)
		} else {
			defer stop()
		}
	}
	stopWatched := e.followWatched(wctx, &wg)
	l := loop{e: e, ctx: ctx}
	l.run()
	stopWatchers()
	stopWatched()
	wg.Wait()

	e.runMu.Lock()
	e.running = false
	close(e.loopDone)
	e.runMu.Unlock()
	// What arrived after the loop ended (a result racing the end) is
	// applied by whoever sends it next; nothing is in flight now.
	return ctx.Err()
}

// loop is Run's event loop: the one goroutine that owns the state.
type loop struct {
	e   *Engine
	ctx context.Context

	inflight int // refresh and probe effects out
	probing  bool
	reprobe  *effProbeWatched // a probe asked for while one runs
	dirty    bool
	lastPub  time.Time // real time of the last publish
	waiters  []chan struct{}

	timer   Timer // the one timer, for the earliest deadline
	armed   bool
	timerAt time.Time
	wall    bool // timer follows the wall clock (see wallTimer)
	pubT    *time.Timer
}

func (l *loop) run() {
	e := l.e
	l.timer = e.clock.NewTimer(maxWallSleep)
	l.timer.Stop()
	_, l.wall = l.timer.(wallTimer)
	e.st.wallTimers = l.wall
	defer func() {
		l.timer.Stop()
		if c, ok := l.timer.(interface{ Close() error }); ok {
			c.Close()
		}
		e.st.wallTimers = false
		if l.pubT != nil {
			l.pubT.Stop()
		}
	}()
	l.apply(envelope{ev: evTick{}})
	l.afterBatch()
	stopping := false
	for {
		if stopping && l.inflight == 0 {
			if l.dirty {
				l.publish()
			}
			l.release()
			return
		}
		var tc <-chan time.Time
		if l.armed && !stopping {
			tc = l.timer.C()
		}
		var pc <-chan time.Time
		if l.pubT != nil {
			pc = l.pubT.C
		}
		done := l.ctx.Done()
		if stopping {
			done = nil
		}
		select {
		case <-done:
			stopping = true
			continue
		case env := <-e.events:
			l.apply(env)
		case <-tc:
			l.armed = false
			l.apply(envelope{ev: evTick{}})
		case <-pc:
			l.pubT = nil
		}
		// Take what else is ready in the same batch.
	batch:
		for range 256 {
			select {
			case env := <-e.events:
				l.apply(env)
			default:
				break batch
			}
		}
		l.afterBatch()
	}
}

// apply runs one envelope through step and starts its effects.
func (l *loop) apply(env envelope) {
	e := l.e
	if env.settle {
		// A fired timer counts as work that is ready.
		if l.armed {
			select {
			case <-l.timer.C():
				l.armed = false
				l.apply(envelope{ev: evTick{}})
			default:
			}
		}
		l.waiters = append(l.waiters, env.done)
		return
	}
	if env.fn != nil {
		env.fn(&e.st)
	}
	queue := []event{}
	if env.ev != nil {
		queue = append(queue, env.ev)
	}
	for len(queue) > 0 {
		ev := queue[0]
		queue = queue[1:]
		if ev, ok := ev.(evRefreshDone); ok && !ev.external {
			l.inflight--
		}
		var effs []effect
		e.st, effs = step(e.st, ev, e.clock.Now(), e.rand())
		for _, f := range effs {
			switch f := f.(type) {
			case effRefresh:
				l.inflight++
				e.pool.submit(e.hostOf(f.name), func() {
					res := e.refresh(l.ctx, f.name, f.force, f.decide, 0)
					e.events <- envelope{ev: evRefreshDone{res: res}}
				})
			case effProbeWatched:
				l.probe(f)
			case effPublish:
				l.dirty = true
			default:
				if ev := e.do(f); ev != nil {
					queue = append(queue, ev)
				}
			}
		}
	}
	if env.done != nil {
		if l.dirty {
			l.publish() // the caller reads the snapshot next
		}
		close(env.done)
	}
}

func (l *loop) probe(f effProbeWatched) {
	if l.probing {
		if l.reprobe == nil || f.names == nil {
			l.reprobe = &f
		} else {
			l.reprobe.names = append(l.reprobe.names, f.names...)
			l.reprobe.fresh = l.reprobe.fresh || f.fresh
		}
		return
	}
	l.probing = true
	l.inflight++
	e := l.e
	go func() {
		accs := e.probeWatched(l.ctx, f.names, f.fresh)
		e.events <- envelope{fn: func(*state) { l.probeDone(accs) }}
	}()
}

func (l *loop) probeDone(accs []Account) {
	l.probing = false
	l.inflight--
	for _, acc := range accs {
		l.apply(envelope{ev: evWatched{acc: acc}})
	}
	if f := l.reprobe; f != nil {
		l.reprobe = nil
		l.probe(*f)
	}
}

// afterBatch publishes (coalesced), re-arms the one timer and answers the
// waiters once everything has settled.
func (l *loop) afterBatch() {
	e := l.e
	if l.dirty && l.pubT == nil {
		if wait := e.pubEvery - time.Since(l.lastPub); wait > 0 {
			l.pubT = time.NewTimer(wait)
		} else {
			l.publish()
		}
	}
	// A monotonic timer never sleeps longer than maxStep: the wall-clock
	// check notices a suspend. A wall-clock timer sleeps until the
	// deadline (at most a day).
	now := e.clock.Now()
	wake := nextWake(e.st, now)
	limit := maxStep
	if l.wall {
		limit = maxWallSleep
	}
	d := limit
	if !wake.IsZero() {
		d = min(wake.Sub(now), limit)
	}
	if !l.armed || !wake.Equal(l.timerAt) || d <= 0 {
		l.timer.Reset(max(d, 0))
		l.armed, l.timerAt = true, wake
	}
	if l.inflight == 0 && !l.dirty {
		l.release()
	}
}

func (l *loop) publish() {
	l.dirty = false
	l.lastPub = time.Now()
	l.e.publish(l.e.st, l.e.clock.Now())
}

func (l *loop) release() {
	for _, w := range l.waiters {
		close(w)
	}
	l.waiters = nil
}

// Settled returns once Run's loop has started, has nothing in flight and
// has published what it did (start-up is over), or when ctx ends first.
func (e *Engine) Settled(ctx context.Context) {
	select {
	case <-e.started:
	case <-ctx.Done():
		return
	}
	e.settle()
}

// settle waits until the running loop has nothing in flight and has
// published everything.
func (e *Engine) settle() {
	e.runMu.Lock()
	running := e.running
	e.runMu.Unlock()
	if !running {
		return
	}
	done := make(chan struct{})
	select {
	case e.events <- envelope{settle: true, done: done}:
	case <-e.loopDone:
		return
	}
	select {
	case <-done:
	case <-e.loopDone:
	}
}

// Refresh refreshes one owned account synchronously. Without force it only
// refreshes when the token is due, so several processes calling it at once
// refresh once. It returns the account's status afterwards, whether this
// call obtained new tokens, and the refresh error, if any.
func (e *Engine) Refresh(ctx context.Context, name string, force bool) (Account, bool, error) {
	st, res, err := e.refreshSync(ctx, name, force, 0)
	return st, res.refreshed, err
}

func (e *Engine) refreshSync(ctx context.Context, name string, force bool, minValid time.Duration) (Account, refreshResult, error) {
	if _, ok := e.config(name); !ok {
		return Account{}, refreshResult{}, fmt.Errorf("%w %q", ErrUnknownAccount, name)
	}
	e.deliver(evFileChanged{name: name})
	var sch schedule
	var dead bool
	var st Account
	e.with(func(s *state) {
		if a := s.owned[name]; a != nil {
			sch, dead, st = a.schedule(), a.dead, a.pub
		}
	})
	if dead && !force {
		// The server rejected this login (remembered beside the token
		// file): sending it again changes nothing.
		rec, _ := e.store.Load(name)
		return st, refreshResult{name: name, rec: rec, dead: true}, fmt.Errorf("%s: %w: %s", name, ErrNotSignedIn, st.Reason)
	}
	res := e.refresh(ctx, name, force, sch, minValid)
	e.deliver(evRefreshDone{res: res, external: true})
	e.with(func(s *state) {
		if a := s.owned[name]; a != nil {
			st, res.dead = a.pub, a.dead
		}
	})
	return st, res, res.err
}

// AccessToken returns a valid access token for an owned account. It
// refreshes first only when less than tokenMinValidity of the token's
// validity is left. While the current access token is still valid it is
// returned even if that refresh failed transiently (check Snapshot for the
// account's health); a login the server rejected gives no token. Without a
// usable token the error wraps ErrNotSignedIn when the user has to sign in.
func (e *Engine) AccessToken(ctx context.Context, name string) (oauthflow.Secret, error) {
	rec, _, err := e.usable(ctx, name, tokenMinValidity)
	if err != nil {
		return "", err
	}
	return rec.AccessToken, nil
}

// usable returns the record holding a usable access token, refreshing
// first only when less than minValid of its validity is left; see
// AccessToken. The error of a failed refresh comes along when the token
// is usable anyway.
func (e *Engine) usable(ctx context.Context, name string, minValid time.Duration) (*store.Record, error, error) {
	st, res, rerr := e.refreshSync(ctx, name, false, minValid)
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	if errors.Is(rerr, ErrUnknownAccount) {
		return nil, nil, rerr
	}
	var me *atomicfile.MalformedError
	rec := res.rec
	switch {
	case errors.As(rerr, &me):
		return nil, nil, rerr
	case res.dead:
		// Rejected by the server: the access token may look valid, but the
		// login is dead.
		return nil, nil, fmt.Errorf("%s: %w: %s", name, ErrNotSignedIn, st.Reason)
	case rec == nil || rec.AccessToken.IsZero():
		return nil, nil, fmt.Errorf("%s: %w", name, ErrNotSignedIn)
	case rec.Expiry.IsZero() || e.clock.Now().Before(rec.Expiry):
		return rec, rerr, nil
	case st.State == NeedsSignIn:
		return nil, nil, fmt.Errorf("%s: %w: %s", name, ErrNotSignedIn, st.Reason)
	}
	return nil, nil, fmt.Errorf("%s: the access token has expired and could not be refreshed: %w", name, rerr)
}

// refresh performs one refresh under the store's cross-process lock:
// lock -> re-read -> decide -> refresh -> write -> unlock.
//
// ctx bounds the wait for the lock only. Once the request is sent, the
// server may rotate the refresh token at any moment, so the request and the
// write run to completion (bounded by oauthflow.DefaultTimeout) even when
// ctx is cancelled: dropping the response would leave the store holding a
// refresh token the server has already invalidated.
func (e *Engine) refresh(ctx context.Context, name string, force bool, sch schedule, minValid time.Duration) refreshResult {
	res := refreshResult{name: name}
	cfg, ok := e.config(name)
	if !ok {
		res.err = fmt.Errorf("%w %q", ErrUnknownAccount, name)
		return res
	}
	now := e.clock.Now()
	var latest, next *store.Record
	rec, err := e.store.Update(ctx, name, func(cur *store.Record) (*store.Record, error) {
		latest = cur
		if u, ok := e.unsaved.take(name, cur); ok {
			res.used, next = u.from, u.rec // first write what the server already gave us
			return next, nil
		}
		if cur == nil {
			return nil, ErrNotSignedIn
		}
		if !force && !sch.needed(cur, now, minValid) {
			if err := cur.Writable(); sch.checkWrite && err != nil {
				return nil, err // still cannot write (a rescued copy waits)
			}
			return nil, nil // another process refreshed already
		}
		if cur.RefreshToken.IsZero() {
			return nil, noRefreshError{}
		}
		if err := cur.Writable(); err != nil {
			return nil, err // a rotated token would have nowhere to go
		}
		res.used = cur.RefreshToken
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), oauthflow.DefaultTimeout)
		defer cancel()
		tok, err := cfg.Client.Refresh(rctx, cur.RefreshToken)
		if err != nil {
			return nil, err
		}
		cur.Apply(tok)
		next = cur
		return next, nil
	})
	if err != nil && next != nil {
		// The write failed after the server answered: keep the new tokens
		// and write them first next time.
		e.unsaved.put(name, unsaved{rec: next, from: res.used})
		e.log.Error("cannot store refreshed tokens; will retry the write", "account", name, "err", err)
	}
	if rec == nil {
		rec = latest
	}
	res.rec, res.err = rec, err
	res.refreshed = err == nil && next != nil
	if err != nil && !res.used.IsZero() && oauthflow.Classify(err) == oauthflow.Terminal {
		// Another process may have rotated the token without our lock
		// (RFC 6749 §6): re-read before declaring the login dead.
		if l, lerr := e.store.Load(name); lerr == nil {
			res.latest = l
		}
	}
	return res
}

// unsavedRecords are refreshed records that could not be written (disk
// full, read-only file system): the server has already rotated the
// refresh token, so they are written before anything else is tried.
type unsavedRecords struct {
	mu sync.Mutex
	m  map[string]unsaved
}

type unsaved struct {
	rec  *store.Record
	from oauthflow.Secret // the refresh token it replaced
}

func (u *unsavedRecords) put(name string, r unsaved) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := u.m[name]; !ok {
		u.m[name] = r
	}
}

// take returns the unsaved record of name if it still follows cur (nobody
// stored a newer login meanwhile); either way it is forgotten.
func (u *unsavedRecords) take(name string, cur *store.Record) (unsaved, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	r, ok := u.m[name]
	if !ok {
		return unsaved{}, false
	}
	delete(u.m, name)
	if cur == nil || cur.RefreshToken != r.from {
		return unsaved{}, false
	}
	return r, true
}

// pool runs refreshes, at most limit at a time per token endpoint host, on
// goroutines that exist only while there is work.
type pool struct {
	mu    sync.Mutex
	limit int
	hosts map[string]*hostQueue
}

type hostQueue struct {
	running int
	queue   []func()
}

func newPool(limit int) *pool { return &pool{limit: limit, hosts: map[string]*hostQueue{}} }

func (p *pool) submit(host string, job func()) {
	p.mu.Lock()
	q := p.hosts[host]
	if q == nil {
		q = &hostQueue{}
		p.hosts[host] = q
	}
	if q.running >= p.limit {
		q.queue = append(q.queue, job)
		p.mu.Unlock()
		return
	}
	q.running++
	p.mu.Unlock()
	go p.work(host, q, job)
}

func (p *pool) work(host string, q *hostQueue, job func()) {
	for {
		job()
		p.mu.Lock()
		if len(q.queue) == 0 {
			q.running--
			if q.running == 0 {
				delete(p.hosts, host)
			}
			p.mu.Unlock()
			return
		}
		job = q.queue[0]
		q.queue[0] = nil
		q.queue = q.queue[1:]
		p.mu.Unlock()
	}
}

// hostOf is the host of an account's token endpoint (or issuer, before
// discovery), the unit of the pool's limit.
func (e *Engine) hostOf(name string) string {
	a, _ := e.config(name)
	if a.Client == nil {
		return ""
	}
	raw := a.Client.Endpoint.TokenURL
	if raw == "" {
		raw = a.Client.Endpoint.Issuer
	}
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return raw
}

// noRefreshError is the failure to refresh a login without a refresh
// token: it says what to do, and it is oauthflow.ErrNoRefreshToken.
type noRefreshError struct{}

func (noRefreshError) Error() string { return noRefreshReason }
func (noRefreshError) Unwrap() error { return oauthflow.ErrNoRefreshToken }
