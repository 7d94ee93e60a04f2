// Package demo is `tokentray demo`: the whole cycle against embedded fake
// issuers.
package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/daemon"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
	"github.com/tokentray/tokentray/tray"
)

// The demo runs the real app against two embedded fake issuers on loopback,
// with its own temporary config and data: nothing of the user's is read or
// written. Account "steady" stays healthy; account "flaky" has its
// refreshes fail after a while, so the whole cycle can be watched:
// three failed refreshes -> needs sign-in -> notification -> Sign In ->
// browser flow -> healthy again.
// Options are demo's flags.
type Options struct {
	F          *cmdutil.Factory
	Headless   bool
	FailAfter  time.Duration
	AccessTTL  time.Duration
	Backoff    time.Duration
	AutoSignIn time.Duration
}

// NewCmdDemo returns the demo command; runF replaces its work in tests.
func NewCmdDemo(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "demo [--headless]",
		Short: "Everything against an embedded local issuer; touches nothing of yours",
		Long: "Run tokentray against an embedded local issuer with two demo accounts. Nothing of your\n" +
			"config or tokens is touched. Watch 'flaky' fail three refreshes, ask you to sign in, and recover.",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Headless, "headless", false, "no tray icon; the demo signs 'flaky' in by itself")
	fl.DurationVar(&opts.FailAfter, "fail-after", 60*time.Second, "when flaky's refreshes start failing")
	fl.DurationVar(&opts.AccessTTL, "access-ttl", 2*time.Minute, "lifetime of the demo access tokens")
	fl.DurationVar(&opts.Backoff, "backoff", 5*time.Second, "first retry delay (tokentray itself uses 30s)")
	fl.DurationVar(&opts.AutoSignIn, "auto-signin", 15*time.Second, "headless: sign flaky in this long after it needs it")
	return cmd
}

// Run runs the demo until ctx ends.
func Run(ctx context.Context, opts *Options) error {
	g := opts.F
	dir, err := os.MkdirTemp("", "tokentray-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	g.Paths = config.Paths{
		Config:  filepath.Join(dir, "config.toml"),
		Data:    filepath.Join(dir, "tokens"),
		State:   filepath.Join(dir, "state"),
		Runtime: filepath.Join(dir, "run"),
	}
	g.Demo = true
	g.Instance = true
	g.Log = g.OpenLog()
	defer g.Close()
	headless := opts.Headless
	if !headless {
		if err := tray.Available(); err != nil {
			// No desktop to click in: play the user, exactly like --headless.
			g.Log.Info("no desktop session bus; the demo runs headless", "err", err)
			fmt.Fprintln(g.IO.Out, "tokentray demo: no desktop session (no D-Bus session bus), so no tray icon and no notifications;")
			fmt.Fprintln(g.IO.Out, "  the demo runs headless and signs flaky in by itself.")
			headless = true
		}
	}

	issuers := map[string]*oauthtest.Issuer{}
	for _, name := range []string{"steady", "flaky"} {
		iss, err := oauthtest.Start(oauthtest.Options{AccessTTL: opts.AccessTTL})
		if err != nil {
			return err
		}
		defer iss.Close()
		issuers[name] = iss
		err = config.AddAccount(g.Paths.Config, config.Account{
			Name: name, RefreshLead: opts.AccessTTL / 4,
			Client: oauthflow.Client{Endpoint: oauthflow.Endpoint{Issuer: iss.URL()}, ClientID: oauthtest.DefaultClientID,
				Scopes: []string{"openid", "offline_access"}},
		})
		if err != nil {
			return err
		}
	}
	if g.Config, err = config.Load(g.Paths.Config); err != nil {
		return err
	}

	testBrowser := &oauthtest.Browser{}
	open := testBrowser.Open
	if !headless {
		// A real browser completes the fake issuer's flow too: it approves
		// at once and redirects to tokentray's loopback listener.
		open = func(url string) error {
			if err := oauthflow.OpenBrowser(url); err != nil {
				return testBrowser.Open(url)
			}
			return nil
		}
	}
	policy := keepalive.DefaultPolicy
	policy.Base, policy.Offline = opts.Backoff, opts.Backoff
	e := keepalive.New(keepalive.Options{
		Store: store.Open(g.Paths.Data), Log: g.Log, WatchStore: true, OpenURL: open, Policy: policy,
	}, g.Config.Owned())

	fmt.Fprintf(g.IO.Out, "tokentray demo: two accounts against local issuers (%s, %s)\n", issuers["steady"].URL(), issuers["flaky"].URL())
	fmt.Fprintf(g.IO.Out, "  config, tokens and log under %s (removed on exit)\n", dir)
	for _, name := range []string{"steady", "flaky"} {
		if err := e.SignInWith(ctx, name, keepalive.SignInUI{Open: testBrowser.Open}); err != nil {
			return fmt.Errorf("demo sign-in of %s: %w", name, err)
		}
		fmt.Fprintf(g.IO.Out, "  %s: signed in through the browser flow (PKCE, loopback redirect)\n", name)
	}
	fmt.Fprintf(g.IO.Out, "Access tokens live %s and are refreshed %s before expiry.\n", opts.AccessTTL, opts.AccessTTL/4)
	fmt.Fprintf(g.IO.Out, "In %s flaky's issuer starts failing; after three failed refreshes it needs you.\n", opts.FailAfter)
	if headless {
		fmt.Fprintln(g.IO.Out, "Headless: the demo then signs flaky in by itself. Press Ctrl-C to stop.")
	} else {
		fmt.Fprintln(g.IO.Out, "Then click the notification's Sign In button, or the tray menu's Sign In to flaky…. Ctrl-C or Quit to stop.")
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go demoScript(ctx, g, e, issuers["flaky"], opts.FailAfter, headless, opts.AutoSignIn, testBrowser.Open)
	return daemon.Run(ctx, g, e, headless)
}

// demoScript breaks flaky's issuer after failAfter and narrates the cycle,
// each step once (snapshots repeat a state whenever another account
// changes).
func demoScript(ctx context.Context, g *cmdutil.Factory, e *keepalive.Engine, flaky *oauthtest.Issuer,
	failAfter time.Duration, headless bool, autoSignIn time.Duration, open func(string) error) {
	snaps, cancel := e.Subscribe()
	defer cancel()
	breakAt := time.After(failAfter)
	var autoAt <-chan time.Time
	needed := false
	told := 0 // the failed attempt last told
	for {
		select {
		case <-ctx.Done():
			return
		case <-breakAt:
			flaky.FailAll(oauthtest.Fault{Kind: oauthtest.ServerError})
			fmt.Fprintln(g.IO.Out, "demo: flaky's issuer now answers 503 to every refresh")
		case s := <-snaps:
			a, _ := s.Find("flaky")
			switch {
			case a.State == keepalive.Retrying && a.Attempt != told:
				// Once per failed attempt, however many snapshots show it.
				told = a.Attempt
				fmt.Fprintf(g.IO.Out, "demo: flaky refresh failed (attempt %d); retrying in %s\n",
					a.Attempt, keepalive.HumanDuration(time.Until(a.NextTry)))
			case a.State == keepalive.NeedsSignIn && !needed:
				needed = true
				// From now on only a new sign-in helps: the old login is dead.
				flaky.ClearFaults()
				flaky.RevokeAll()
				fmt.Fprintf(g.IO.Out, "demo: flaky needs sign-in (%s)\n", a.Reason)
				if headless {
					autoAt = time.After(autoSignIn)
				}
			case a.State == keepalive.OK && needed:
				needed, told = false, 0
				fmt.Fprintln(g.IO.Out, "demo: flaky is signed in again and healthy: the cycle is complete. Press Ctrl-C to stop.")
			}
		case <-autoAt:
			fmt.Fprintln(g.IO.Out, "demo: signing flaky in (as if you had clicked Sign In)")
			go func() {
				if err := e.SignInWith(ctx, "flaky", keepalive.SignInUI{Open: open}); err != nil {
					fmt.Fprintln(g.IO.Out, "demo: sign-in failed:", err)
				}
			}()
		}
	}
}
