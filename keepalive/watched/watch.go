package watched

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

const (
	// watchDebounce collapses the burst of events of one owner write
	// (create temp, write, rename over) into one notification.
	watchDebounce = 200 * time.Millisecond
	// watchPoll is the re-check interval while the OS watcher cannot
	// cover every store (it could not be created, or a directory could
	// not be watched: no inotify watches left).
	watchPoll = 30 * time.Second
)

// testHookWatchReady, when set, is called once Watch has taken its first
// snapshot and installed its watches.
var testHookWatchReady func()

// testHookPolling, when set, is told after every (re)arming decision
// whether Watch polls.
var testHookPolling func(polling bool)

// Watch reports changes to the stores of srcs until ctx is done, calling
// changed (from Watch's goroutine, one call at a time) with each source
// whose store (or settings file, [Source.Settings]) was created, replaced,
// modified, removed or chmodded. It
// never opens the stores; it only stats them and watches directories.
//
// Owners replace their files by renaming a temporary file over them, which
// ends a watch on the file itself, so Watch watches the containing
// directories and filters events by name. A store whose directory does not
// exist yet is covered by watching the nearest existing ancestor directory
// and descending as the directories are created, so e.g. a first `codex
// login` (which creates ~/.codex) is noticed. Events are debounced by
// 200 ms. A symlinked store's target directory is watched too. While the
// OS watcher cannot cover every store (it cannot be created, or a
// directory cannot be watched, e.g. no inotify watches left), Watch also
// compares each store's size, mtime, mode and identity with the previous
// snapshot every 30 s; otherwise it does not poll (the engine re-reads the
// stores now and then anyway, which covers a network file system's
// remote writes that no event reports).
//
// Watch returns nil when ctx is done.
func Watch(ctx context.Context, srcs []Source, changed func(Source)) error {
	w := &watcher{srcs: srcs, dirs: map[string]bool{}, prints: map[string]os.FileInfo{}}
	fw, err := fsnotify.NewWatcher()
	if err == nil {
		w.fs = fw
		defer fw.Close()
	}
	w.targets = w.computeTargets()
	for t := range w.targets {
		w.prints[t] = statOrNil(t)
	}
	w.resync()
	if testHookWatchReady != nil {
		testHookWatchReady()
	}

	var events <-chan fsnotify.Event
	var errs <-chan error
	if w.fs != nil {
		events, errs = w.fs.Events, w.fs.Errors
	}
	// Polling only while some directory is not watched.
	var poll <-chan time.Time
	var pollT *time.Ticker
	setPoll := func() {
		switch {
		case w.complete() && pollT != nil:
			pollT.Stop()
			pollT, poll = nil, nil
		case !w.complete() && pollT == nil:
			pollT = time.NewTicker(watchPoll)
			poll = pollT.C
		}
		if testHookPolling != nil {
			testHookPolling(pollT != nil)
		}
	}
	setPoll()
	defer func() {
		if pollT != nil {
			pollT.Stop()
		}
	}()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	named := map[string]bool{}
	all := false

	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			name := filepath.Clean(ev.Name)
			hit := false
			for t := range w.targets {
				if name == t {
					// A bare chmod counts only if the mode really changed
					// (the snapshot compares it).
					if ev.Op != fsnotify.Chmod {
						named[t] = true
					}
					hit = true
				} else if isAncestor(name, t) {
					hit = true
				}
			}
			if hit {
				debounce.Reset(watchDebounce)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				all = true
				debounce.Reset(watchDebounce)
			}
		case <-debounce.C:
			w.fire(ctx, named, all, changed)
			named, all = map[string]bool{}, false
			setPoll()
		case <-poll:
			w.fire(ctx, nil, false, changed)
			setPoll()
		}
	}
}

type watcher struct {
	srcs    []Source
	fs      *fsnotify.Watcher // nil: polling only
	dirs    map[string]bool   // directories currently watched
	targets map[string][]int  // store path -> indexes into srcs
	prints  map[string]os.FileInfo
	missed  bool // a directory that should be watched is not
}

// complete reports whether the OS watcher covers every target.
func (w *watcher) complete() bool { return w.fs != nil && !w.missed }

// computeTargets maps every store path (and the resolved target of a
// symlinked store, the Keychain database and the tool's settings file) to
// its sources.
func (w *watcher) computeTargets() map[string][]int {
	m := map[string][]int{}
	add := func(p string, i int) {
		for _, j := range m[p] {
			if j == i {
				return
			}
		}
		m[p] = append(m[p], i)
	}
	for i, s := range w.srcs {
		for _, p := range []string{s.Path, s.KeychainDB, s.Settings} {
			if p == "" {
				continue
			}
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
			add(p, i)
			if r, err := filepath.EvalSymlinks(p); err == nil && r != p {
				add(r, i)
			}
		}
	}
	return m
}

// resync watches, for every target, its directory or the nearest existing
// ancestor of it, and drops watches no longer needed.
func (w *watcher) resync() {
	if w.fs == nil {
		return
	}
	want := map[string]bool{}
	for t := range w.targets {
		if d := nearestDir(filepath.Dir(t)); d != "" {
			want[d] = true
		}
	}
	for d := range w.dirs {
		if !want[d] {
			_ = w.fs.Remove(d) // may already be gone with the directory
			delete(w.dirs, d)
		}
	}
	w.missed = false
	for d := range want {
		if w.dirs[d] {
			continue
		}
		if w.fs.Add(d) == nil {
			w.dirs[d] = true
		} else {
			w.missed = true
		}
	}
}

// fire re-resolves watches and targets, then calls changed once for every
// source with a named event or a changed snapshot.
func (w *watcher) fire(ctx context.Context, named map[string]bool, all bool, changed func(Source)) {
	w.targets = w.computeTargets()
	w.resync()
	dirty := map[int]bool{}
	for t, idx := range w.targets {
		fi := statOrNil(t)
		prev, known := w.prints[t]
		if all || named[t] || (known && !sameFile(prev, fi)) {
			for _, i := range idx {
				dirty[i] = true
			}
		}
		w.prints[t] = fi
	}
	for t := range w.prints {
		if _, ok := w.targets[t]; !ok {
			delete(w.prints, t)
		}
	}
	for i, s := range w.srcs {
		if dirty[i] && ctx.Err() == nil {
			changed(s)
		}
	}
}

func statOrNil(p string) os.FileInfo {
	fi, err := os.Stat(p)
	if err != nil {
		return nil
	}
	return fi
}

func sameFile(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && a.Mode() == b.Mode() && os.SameFile(a, b)
}

// nearestDir returns dir or its nearest existing ancestor directory.
func nearestDir(dir string) string {
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// isAncestor reports whether dir is a proper ancestor of p.
func isAncestor(dir, p string) bool {
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(p, dir)
}
