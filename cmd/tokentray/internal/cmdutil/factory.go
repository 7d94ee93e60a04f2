// Package cmdutil is what the commands of tokentray share: the Factory
// (global flags, streams, configuration, log, engine), the errors that
// choose the exit status, and argument helpers.
package cmdutil

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/iostreams"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/keepalive/watched"
	"github.com/tokentray/tokentray/oauthflow"
)

// Factory is what every command shares: the global flags, the streams and,
// once loaded, the configuration and the log.
type Factory struct {
	IO      *iostreams.IOStreams
	Version string // the version line, see package version

	// Global flags.
	ConfigPath string // --config
	Verbose    bool   // --verbose: log records on the terminal too

	// Demo: tokentray demo; never touch the user's own registrations.
	Demo bool
	// Instance: this process is the background instance (run, demo). It
	// keeps the log's old copies down to two; a short command does not
	// list the log folder on its way out (see OpenLog).
	Instance bool

	Paths  config.Paths
	Config *config.Config
	Log    *slog.Logger
	close  []func()

	warnedWatch bool
}

// LoadPaths sets Paths: the defaults, with --config applied.
func (f *Factory) LoadPaths() error {
	p, err := config.DefaultPaths()
	if err != nil {
		return err
	}
	if f.ConfigPath != "" {
		p.Config = f.ConfigPath
	}
	f.Paths = p
	return nil
}

// Setup loads the configuration and opens the log. The caller defers
// Close.
func (f *Factory) Setup() error {
	if err := f.LoadPaths(); err != nil {
		return err
	}
	cfg, err := config.Load(f.Paths.Config)
	if err != nil {
		return err
	}
	f.Config = cfg
	f.Log = f.OpenLog()
	for _, w := range cfg.Warnings {
		f.Log.Warn(w)
		fmt.Fprintln(f.IO.ErrOut, "tokentray: warning: "+w)
	}
	return nil
}

// OpenLog opens the log file (rotated at 5 MB). Log records reach the
// terminal only with --verbose: a command reports to people in sentences,
// not records. Only the instance removes old copies beyond the last two:
// removing them lists the log folder in the background each time the log
// is opened, work a command on a script's hot path (token, git-credential)
// need not do, and that under Wine can keep a process from ending.
func (f *Factory) OpenLog() *slog.Logger {
	var handlers []slog.Handler
	if err := os.MkdirAll(f.Paths.State, 0o700); err == nil {
		lj := &lumberjack.Logger{Filename: f.Paths.LogFile(), MaxSize: 5}
		if f.Instance {
			lj.MaxBackups = 2
		}
		f.close = append(f.close, func() { lj.Close() })
		handlers = append(handlers, slog.NewTextHandler(lj, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if f.Verbose {
		handlers = append(handlers, slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewMultiHandler(handlers...))
}

// Close closes what Setup opened.
func (f *Factory) Close() {
	for _, c := range f.close {
		c()
	}
	f.close = nil
}

// Scope says which accounts an engine holds: the owned ones always, the
// other tools' logins only when the command shows them (reading them is
// needless work on a script's hot path, and on macOS a Keychain access).
type Scope int

const (
	OwnedOnly   Scope = iota // token, refresh, logout
	AllAccounts              // status, login
	ForRun                   // run: all accounts, following file changes
)

// Engine builds the engine for a command.
func (f *Factory) Engine(what Scope) *keepalive.Engine {
	opts := keepalive.Options{
		Store:      store.Open(f.Paths.Data),
		Log:        f.Log,
		WatchStore: what == ForRun,
		OpenURL:    oauthflow.OpenBrowser,
	}
	if what != OwnedOnly {
		opts.Watched = f.WatchedSources()
	}
	return keepalive.New(opts, f.Config.Owned())
}

// WatchedSources discovers other tools' logins and applies the [watch.*]
// settings. Only stores that exist (or that the user configured) are shown.
func (f *Factory) WatchedSources() []watched.Source { return f.WatchedSourcesOf(f.Config) }

// WatchedSourcesOf is WatchedSources with the settings of cfg (a reloaded
// configuration).
func (f *Factory) WatchedSourcesOf(cfg *config.Config) []watched.Source {
	env := watched.EnvFromOS()
	var ovs []watched.Override
	for key, w := range cfg.Watch {
		ovs = append(ovs, watched.Override{
			Key: key, Kind: watched.Kind(w.Kind), Name: w.Rename, Path: w.Path, Disabled: !w.Enabled,
			LoginCommand: w.LoginCommand, CheckCommand: w.CheckCommand, WarnBefore: w.WarnBefore,
			Check: w.Check, LoginTerminal: w.LoginTerminal,
		})
	}
	sort.Slice(ovs, func(i, j int) bool { return ovs[i].Key < ovs[j].Key })
	srcs, err := watched.Apply(env, watched.Discover(env), ovs)
	if err != nil {
		// A mistake in the user's file: say it on the terminal too (once).
		f.Log.Warn(""+f.Paths.Config+": [watch] settings", "err", err)
		if !f.warnedWatch {
			f.warnedWatch = true
			fmt.Fprintf(f.IO.ErrOut, "tokentray: warning: %s: %v\n", f.Paths.Config, err)
		}
	}
	var out []watched.Source
	for _, s := range srcs {
		_, configured := cfg.Watch[s.Name]
		if s.Exists || configured {
			out = append(out, s)
		}
	}
	return out
}

// AccountNames validates owned account names given on the command line;
// none means all.
func (f *Factory) AccountNames(names []string) ([]string, error) {
	if len(names) == 0 {
		for _, a := range f.Config.Accounts {
			names = append(names, a.Name)
		}
		return names, nil
	}
	for _, n := range names {
		if _, ok := f.Config.Account(n); !ok {
			return nil, fmt.Errorf("no owned account %q in %s", n, f.Paths.Config)
		}
	}
	return names, nil
}

// SetupOwned loads the configuration and checks that name is an owned
// account. On success the caller defers f.Close().
func (f *Factory) SetupOwned(name string) error {
	if err := f.Setup(); err != nil {
		return err
	}
	if _, err := f.AccountNames([]string{name}); err != nil {
		f.Close()
		return err
	}
	return nil
}

// NoAccountsHint tells a new user how to add an account.
func (f *Factory) NoAccountsHint(w io.Writer) {
	fmt.Fprintf(w, "No accounts are configured. Add one to %s, for example:\n\n", f.Paths.Config)
	fmt.Fprint(w, ExampleAccount)
}

// ExampleAccount is a minimal owned account table.
const ExampleAccount = `[account.work]
issuer    = "https://login.example.com"   # OIDC discovery, or authorize_url + token_url
client_id = "your-own-client-id"
scopes    = ["openid", "offline_access"]
`

// StatusFile is where the running instance publishes its latest snapshot
// for `tokentray status`.
func (f *Factory) StatusFile() string { return filepath.Join(f.Paths.State, "status.json") }
