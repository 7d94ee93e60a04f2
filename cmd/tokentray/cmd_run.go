package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/resume"
	"github.com/tokentray/tokentray/tray"
)

func cmdRun(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "run", "[--headless]", "Start the keepalive: refresh owned accounts before they expire and show their health.")
	headless := fs.Bool("headless", false, "run without a tray icon (log only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := g.setup(true); err != nil {
		return err
	}
	defer g.shutdown()

	unlock, err := g.lockInstance()
	if err != nil {
		return err
	}
	defer unlock()

	e := g.engine(forRun)
	if len(g.cfg.Accounts) == 0 {
		g.noAccountsHint(g.stderr)
	}
	g.log.Info("tokentray: started", "version", version, "accounts", len(g.cfg.Accounts), "config", g.paths.Config)
	return g.runApp(ctx, e, *headless)
}

// runApp runs the engine with its user interface until ctx ends (or the
// user picks Quit in the tray). Used by run and demo. It must be called on
// main's goroutine: the tray needs the main OS thread.
//
// The tray is shown unless headless is set or no tray is possible: on
// Linux and the BSDs that means no reachable D-Bus session bus (a server,
// an SSH session), where it logs why and runs headless instead.
func (g *globals) runApp(ctx context.Context, e *keepalive.Engine, headless bool) error {
	if !headless {
		if err := tray.Available(); err != nil {
			g.log.Info("tokentray: no desktop session bus; running headless", "err", err)
			headless = true
		}
	}
	if headless {
		return g.runHeadless(ctx, e)
	}
	return g.runTray(ctx, e)
}

// runTray runs the engine and the status-file publisher in the background
// and the tray on this (the main) goroutine. Quit in the menu and a signal
// (ctx) both end all three; the exit status is 0.
func (g *globals) runTray(ctx context.Context, e *keepalive.Engine) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	engineErr := make(chan error, 1)
	go func() { engineErr <- g.runEngine(ctx, e) }()

	opts := tray.Options{
		Engine:  e,
		Log:     g.log,
		LogFile: g.paths.LogFile(),
	}
	if g.demo {
		// The demo touches nothing of the user's: no login registration.
	} else if entry, err := g.autostartEntry(); err != nil {
		g.log.Warn("tokentray: start at login unavailable", "err", err)
	} else {
		opts.StartAtLogin = tray.AutostartEntry(entry)
	}
	g.log.Info("tokentray: tray started")
	err := tray.Run(ctx, opts)
	cancel()
	if eerr := <-engineErr; err == nil {
		err = eerr
	}
	if err == nil {
		g.log.Info("tokentray: stopped")
	}
	return err
}

// runHeadless runs the engine until ctx is cancelled.
func (g *globals) runHeadless(ctx context.Context, e *keepalive.Engine) error {
	err := g.runEngine(ctx, e)
	if err == nil {
		g.log.Info("tokentray: stopped")
	}
	return err
}

// runEngine runs the engine and its companions — the log and status-file
// publisher and the resume watcher — until ctx ends.
func (g *globals) runEngine(ctx context.Context, e *keepalive.Engine) error {
	var wg sync.WaitGroup
	wg.Go(func() { g.publishStatus(ctx, e) })
	wg.Go(func() {
		if err := resume.Watch(ctx, e.Wake); err != nil {
			g.log.Info("tokentray: no resume notifications; a resume is noticed within a minute", "err", err)
		}
	})
	err := e.Run(ctx)
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// publishStatus logs every health change and keeps status.json current so
// that `tokentray status` in a terminal sees what the running instance sees
// (retries, last errors).
func (g *globals) publishStatus(ctx context.Context, e *keepalive.Engine) {
	snaps, cancel := e.Subscribe()
	defer cancel()
	defer os.Remove(g.statusFile())
	prev := map[string]keepalive.State{}
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-snaps:
			for _, a := range s.Accounts {
				if old, ok := prev[a.Name]; !ok || old != a.State {
					g.log.Info("keepalive: health", "account", a.Name, "state", a.State.String(), "reason", a.Reason)
				}
				prev[a.Name] = a.State
			}
			data, err := json.MarshalIndent(s, "", "  ")
			if err == nil {
				err = atomicfile.WriteFile(g.statusFile(), data, 0o600)
			}
			if err != nil {
				g.log.Warn("tokentray: cannot write status file", "err", err)
			}
		}
	}
}

// lockInstance makes sure only one background instance runs per user.
func (g *globals) lockInstance() (func(), error) {
	if err := os.MkdirAll(g.paths.Runtime, 0o700); err != nil {
		return nil, err
	}
	l := flock.New(filepath.Join(g.paths.Runtime, "instance.lock"))
	// `tokentray status` holds the lock for an instant to see whether an
	// instance runs; try for a moment before concluding one does.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ok, err := l.TryLockContext(ctx, 50*time.Millisecond)
	if err != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("tokentray is already running for this user (lock %s); use 'tokentray status' or 'tokentray refresh'", l.Path())
	}
	return func() { l.Unlock() }, nil
}

// instanceRunning reports whether a background instance holds the lock.
func (g *globals) instanceRunning() bool {
	l := flock.New(filepath.Join(g.paths.Runtime, "instance.lock"))
	ok, err := l.TryLock()
	if err != nil {
		return false
	}
	if ok {
		l.Unlock()
		return false
	}
	return true
}
