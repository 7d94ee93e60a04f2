package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/keepalive/watched"
	"github.com/tokentray/tokentray/oauthflow"
)

// globals is what every command shares: flags, output streams and, once
// loaded, the configuration.
type globals struct {
	configPath     string
	stdout, stderr io.Writer
	demo           bool // tokentray demo: never touch the user's own registrations

	paths config.Paths
	cfg   *config.Config
	log   *slog.Logger
	close []func()
}

// setup loads the configuration and opens the log. verbose sends
// informational lines to stderr too (when it is a terminal); otherwise only
// warnings reach stderr.
func (g *globals) setup(verbose bool) error {
	p, err := config.DefaultPaths()
	if err != nil {
		return err
	}
	if g.configPath != "" {
		p.Config = g.configPath
	}
	g.paths = p
	cfg, err := config.Load(p.Config)
	if err != nil {
		return err
	}
	g.cfg = cfg
	g.log = g.openLog(verbose)
	return nil
}

func (g *globals) openLog(verbose bool) *slog.Logger {
	var handlers []slog.Handler
	if err := os.MkdirAll(g.paths.State, 0o700); err == nil {
		lj := &lumberjack.Logger{Filename: g.paths.LogFile(), MaxSize: 5, MaxBackups: 2}
		g.close = append(g.close, func() { lj.Close() })
		handlers = append(handlers, slog.NewTextHandler(lj, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	level := slog.LevelWarn
	if verbose && isTerminal(g.stderr) {
		level = slog.LevelInfo
	}
	handlers = append(handlers, slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
	return slog.New(slog.NewMultiHandler(handlers...))
}

func (g *globals) shutdown() {
	for _, f := range g.close {
		f()
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// ownedAccounts turns the configured accounts into engine accounts.
func ownedAccounts(cfg *config.Config) []keepalive.OwnedAccount {
	var out []keepalive.OwnedAccount
	for _, a := range cfg.Accounts {
		out = append(out, keepalive.OwnedAccount{
			Name:          a.Name,
			Client:        clientFor(a),
			RefreshLead:   a.RefreshLead,
			CheckInterval: a.CheckInterval,
			SignIn: oauthflow.SignInOptions{
				Redirect:   oauthflow.Redirect(a.Redirect),
				AuthParams: a.AuthParams,
			},
		})
	}
	return out
}

func clientFor(a config.Account) *oauthflow.Client {
	return &oauthflow.Client{
		ClientID:     a.ClientID,
		ClientSecret: a.ClientSecret,
		Scopes:       a.Scopes,
		TokenBody:    a.TokenBody,
		Endpoint: oauthflow.Endpoint{
			Issuer:        a.Issuer,
			AuthURL:       a.AuthorizeURL,
			TokenURL:      a.TokenURL,
			RevocationURL: a.RevocationURL,
		},
	}
}

// engine builds the engine. what says which accounts it holds: the owned
// ones always, the other tools' logins only when the command shows them
// (reading them is needless work on a script's hot path, and on macOS a
// Keychain access).
func (g *globals) engine(what engineScope) *keepalive.Engine {
	opts := keepalive.Options{
		Store:      store.Open(g.paths.Data),
		Log:        g.log,
		WatchStore: what == forRun,
		OpenURL:    oauthflow.OpenBrowser,
	}
	if what != ownedOnly {
		opts.Watched = g.watchedSources()
	}
	return keepalive.New(opts, ownedAccounts(g.cfg))
}

type engineScope int

const (
	ownedOnly   engineScope = iota // token, refresh, logout
	allAccounts                    // status, login
	forRun                         // run: all accounts, following file changes
)

// watchedSources discovers other tools' logins and applies the [watch.*]
// settings. Only stores that exist (or that the user configured) are shown.
func (g *globals) watchedSources() []watched.Source {
	env := watched.EnvFromOS()
	var ovs []watched.Override
	for key, w := range g.cfg.Watch {
		ovs = append(ovs, watched.Override{
			Key: key, Kind: watched.Kind(w.Kind), Name: w.Rename, Path: w.Path, Disabled: !w.Enabled,
			LoginCommand: w.LoginCommand, CheckCommand: w.CheckCommand, WarnBefore: w.WarnBefore,
			Check: w.Check, LoginTerminal: w.LoginTerminal,
		})
	}
	sort.Slice(ovs, func(i, j int) bool { return ovs[i].Key < ovs[j].Key })
	srcs, err := watched.Apply(env, watched.Discover(env), ovs)
	if err != nil {
		g.log.Warn("tokentray: "+g.paths.Config+": [watch] settings", "err", err)
	}
	var out []watched.Source
	for _, s := range srcs {
		_, configured := g.cfg.Watch[s.Name]
		if s.Exists || configured {
			out = append(out, s)
		}
	}
	return out
}

// accountNames validates names given on the command line.
func (g *globals) accountNames(names []string) ([]string, error) {
	if len(names) == 0 {
		for _, a := range g.cfg.Accounts {
			names = append(names, a.Name)
		}
		return names, nil
	}
	for _, n := range names {
		if _, ok := g.cfg.Account(n); !ok {
			return nil, fmt.Errorf("no owned account %q in %s", n, g.paths.Config)
		}
	}
	return names, nil
}

// ownedArg parses the flags of a command that takes one owned account,
// loads the configuration and checks that the account exists. On success
// the caller defers g.shutdown().
func (g *globals) ownedArg(fs *flag.FlagSet, args []string) (string, error) {
	name, err := oneArg(fs, args)
	if err != nil {
		return "", err
	}
	if err := g.setup(false); err != nil {
		return "", err
	}
	if _, err := g.accountNames([]string{name}); err != nil {
		g.shutdown()
		return "", err
	}
	return name, nil
}

// noAccountsHint tells a new user how to add an account.
func (g *globals) noAccountsHint(w io.Writer) {
	fmt.Fprintf(w, "No accounts are configured. Add one to %s, for example:\n\n", g.paths.Config)
	fmt.Fprint(w, exampleAccount)
}

const exampleAccount = `[account.work]
issuer    = "https://login.example.com"   # OIDC discovery, or authorize_url + token_url
client_id = "your-own-client-id"
scopes    = ["openid", "offline_access"]
`

// statusFile is where the running instance publishes its latest snapshot
// for `tokentray status`.
func (g *globals) statusFile() string { return filepath.Join(g.paths.State, "status.json") }
