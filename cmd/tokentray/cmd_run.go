package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gofrs/flock"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/store"
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

	e := g.engine(true)
	if len(g.cfg.Accounts) == 0 {
		g.noAccountsHint(g.stderr)
	}
	_ = headless // the tray arrives with the tray issue; until then run is headless
	g.log.Info("tokentray: started", "version", version, "accounts", len(g.cfg.Accounts), "config", g.paths.Config)
	return g.runHeadless(ctx, e)
}

// runHeadless runs the engine and its log and status-file subscribers until
// ctx is cancelled.
func (g *globals) runHeadless(ctx context.Context, e *keepalive.Engine) error {
	done := make(chan struct{})
	go func() { g.publishStatus(ctx, e); close(done) }()
	err := e.Run(ctx)
	<-done
	if errors.Is(err, context.Canceled) {
		g.log.Info("tokentray: stopped")
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
				err = store.WriteFileAtomic(g.statusFile(), data, 0o600)
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
	ok, err := l.TryLock()
	if err != nil {
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
