// Package daemon is the background instance of tokentray, shared by run
// and demo: the single-instance lock, the status file, and the engine with
// its tray (or headless).
package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/agent"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/keepalive/resume"
	"github.com/tokentray/tokentray/keepalive/statusfile"
	"github.com/tokentray/tokentray/tray"
)

type instance struct {
	f      *cmdutil.Factory
	loaded []byte // the configuration file the instance started with
}

// Run runs the engine with its user interface until ctx ends (or the
// user picks Quit in the tray). Used by run and demo. It must be called on
// main's goroutine: the tray needs the main OS thread.
//
// The tray is shown unless headless is set or no tray is possible: on
// Linux and the BSDs that means no reachable D-Bus session bus (a server,
// an SSH session), where it logs why and runs headless instead.
func Run(ctx context.Context, f *cmdutil.Factory, e *keepalive.Engine, headless bool) error {
	g := &instance{f: f}
	// From here on the instance follows config.toml (followConfig,
	// reload), so the configuration it was started with is not kept.
	if f.Config != nil {
		g.loaded = f.Config.Source
		f.Config = nil
	}
	if !headless {
		if err := tray.Available(); err != nil {
			g.f.Log.Info("no desktop session bus; running headless", "err", err)
			headless = true
		}
	}
	if headless {
		return g.runHeadless(ctx, e)
	}
	if tray.DetachOwnConsole() { // Windows, started at login: no console window
		g.f.Log.Info("detached from its own console window")
	}
	return g.runTray(ctx, e)
}

// runTray runs the engine and the status-file publisher in the background
// and the tray on this (the main) goroutine. Quit in the menu and a signal
// (ctx) both end all three; the exit status is 0.
func (g *instance) runTray(ctx context.Context, e *keepalive.Engine) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	engineErr := make(chan error, 1)
	go func() { engineErr <- g.runEngine(ctx, e) }()

	opts := tray.Options{
		Engine:  e,
		Log:     g.f.Log,
		LogFile: g.f.Paths.LogFile(),
	}
	if !g.f.Demo {
		cfg := g.f.Paths.Config
		opts.AddAccount = func() error { return OpenConfig(cfg, true, tray.OpenPath) }
		opts.OpenConfig = func() error { return OpenConfig(cfg, false, tray.OpenPath) }
	}
	if g.f.Demo {
		// The demo touches nothing of the user's: no login registration.
	} else if entry, warning, err := g.f.AutostartEntry(); err != nil {
		g.f.Log.Warn("start at login unavailable", "err", err)
	} else {
		if warning != "" {
			g.f.Log.Warn("start at login: " + warning)
		}
		opts.StartAtLogin = tray.AutostartEntry(entry)
	}
	g.f.Log.Info("tray started")
	err := tray.Run(ctx, opts)
	cancel()
	if eerr := <-engineErr; err == nil {
		err = eerr
	}
	if err == nil {
		g.f.Log.Info("stopped")
	}
	return err
}

// runHeadless runs the engine until ctx is cancelled.
func (g *instance) runHeadless(ctx context.Context, e *keepalive.Engine) error {
	err := g.runEngine(ctx, e)
	if err == nil {
		g.f.Log.Info("stopped")
	}
	return err
}

// runEngine runs the engine and its companions — the log and status-file
// publisher and the resume watcher — until ctx ends.
func (g *instance) runEngine(ctx context.Context, e *keepalive.Engine) error {
	var wg sync.WaitGroup
	wg.Go(func() { statusfile.Publish(ctx, e.Subscribe, g.f.StatusFile(), g.f.Log) })
	wg.Go(func() { g.followConfig(ctx, e) })
	if ln, err := agent.Listen(g.f.AgentAddress()); err != nil {
		g.f.Log.Warn("cannot serve the other commands; they use the token files", "err", err)
	} else {
		srv := &agent.Server{Service: agent.Local{Engine: e}, Reload: func() error { return g.reload(e) }, Log: g.f.Log}
		wg.Go(func() {
			if err := srv.Serve(ctx, ln); err != nil {
				g.f.Log.Warn("agent stopped", "err", err)
			}
		})
	}
	wg.Go(func() {
		if err := resume.Watch(ctx, e.Wake); err != nil {
			g.f.Log.Info("no resume notifications; the engine's timer notices a resume", "err", err)
		}
	})
	// Once start-up is over, the binary's pages only start-up used go
	// back to the system too; see memory.go for the rest.
	wg.Go(func() { idleMemory(ctx, e, newRuntimeGC(), settleQuiet, dropStartupPages) })
	err := e.Run(ctx)
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// followConfig makes the running instance follow config.toml: accounts
// added, removed or changed take effect without a restart. A file that
// does not parse is reported and the running accounts are kept.
func (g *instance) followConfig(ctx context.Context, e *keepalive.Engine) {
	if g.f.Demo {
		return // the demo's accounts are its own
	}
	loaded := g.loaded
	g.loaded = nil
	err := config.Follow(ctx, g.f.Paths.Config, loaded, func() {
		if err := g.reload(e); err != nil {
			g.f.Log.Warn("the changed configuration is not used", "err", err)
		}
	})
	if err != nil {
		g.f.Log.Info("cannot follow the configuration file; restart to apply changes", "err", err)
	}
}

// reload re-reads config.toml (after a change, add or remove) and hands
// the owned accounts and the watched stores to the engine.
func (g *instance) reload(e *keepalive.Engine) error {
	if g.f.Demo {
		return nil // the demo's accounts are its own
	}
	cfg, err := config.Load(g.f.Paths.Config)
	if err != nil {
		return err
	}
	e.Configure(cfg.Owned())
	e.ConfigureWatched(g.f.WatchedSourcesOf(cfg))
	g.f.Log.Info("configuration reloaded", "accounts", len(cfg.Accounts))
	return nil
}

// Lock makes sure only one background instance runs per user. It records
// this process's id beside the lock for `tokentray status`.
func Lock(f *cmdutil.Factory) (func(), error) {
	if err := os.MkdirAll(f.Paths.Runtime, 0o700); err != nil {
		return nil, err
	}
	l := flock.New(lockPath(f))
	// `tokentray status` holds the lock for an instant to see whether an
	// instance runs; try for a moment before concluding one does.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ok, err := l.TryLockContext(ctx, 50*time.Millisecond)
	if err != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("cannot take the instance lock: %w", err)
	}
	if !ok {
		msg := "tokentray is already running"
		if pid := readPID(f); pid > 0 {
			msg += fmt.Sprintf(" (pid %d)", pid)
		}
		return nil, errors.New(msg + "; use 'tokentray status' or 'tokentray refresh'")
	}
	pidFile := pidPath(f)
	if err := atomicfile.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		f.Log.Warn("cannot record the process id", "err", err)
	}
	return func() {
		os.Remove(pidFile)
		l.Unlock()
	}, nil
}

func lockPath(f *cmdutil.Factory) string { return filepath.Join(f.Paths.Runtime, "instance.lock") }
func pidPath(f *cmdutil.Factory) string  { return filepath.Join(f.Paths.Runtime, "instance.pid") }

func readPID(f *cmdutil.Factory) int {
	data, err := atomicfile.ReadFile(pidPath(f), 64)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	return pid
}

// Running reports whether a background instance holds the lock, and its
// process id (0 when unknown).
func Running(f *cmdutil.Factory) (running bool, pid int) {
	l := flock.New(lockPath(f))
	ok, err := l.TryLock()
	if err != nil {
		return false, 0
	}
	if ok {
		l.Unlock()
		return false, 0
	}
	return true, readPID(f)
}

// ConfigExample is what "Add an account…" puts into the config file: an
// owned account to uncomment and fill in.
const ConfigExample = `
# An account tokentray keeps signed in. Uncomment these lines, fill in the
# issuer and the client ID of your own OAuth client registration, save,
# and restart tokentray. Or run:
#   tokentray add work --issuer URL --client-id ID
#
# [account.work]
# issuer    = "https://login.example.com"   # OIDC discovery, or authorize_url + token_url
# client_id = "your-own-client-id"
# scopes    = ["openid", "offline_access"]
`

// OpenConfig opens the config file with open, creating it (and its
// folder) when missing. withExample first appends ConfigExample unless the
// file has it already; the rest of the file is kept as it is.
func OpenConfig(path string, withExample bool, open func(string) error) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	missing := err != nil
	if withExample && !strings.Contains(string(data), ConfigExample) {
		if len(data) > 0 && !strings.HasSuffix(string(data), "\n") {
			data = append(data, '\n')
		}
		data = append(data, ConfigExample...)
	} else if !missing {
		return open(path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	return open(path)
}
