// Package status is `tokentray status`: whether the background instance
// runs, and the health of every account with the next step for each one
// that needs the user.
package status

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/daemon"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/statusfile"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/tray/autostart"
)

// Options are status's flags, arguments and inputs.
type Options struct {
	F      *cmdutil.Factory
	JSON   bool
	Output string   // "" or "wide"
	Names  []string // show only these accounts

	// Gather collects the report; Now is the clock. Tests replace both.
	Gather func(*Options) (Report, error)
	Now    func() time.Time
}

// Report is everything status shows.
type Report struct {
	Running      bool
	PID          int   // 0 when unknown
	StartAtLogin *bool // nil when unknown
	Config       string
	Snapshot     keepalive.Snapshot
	Issuers      map[string]string // owned account -> issuer (or token endpoint)
	Files        map[string]string // account -> its credential file, when known
}

// NewCmdStatus returns the status command; runF replaces its work in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f, Gather: gather, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "status [ACCOUNT...] [--json] [-o wide]",
		Short: "Show the health of every account",
		Long: "Show whether tokentray is running and the health of every account (or of the named ones),\n" +
			"with the next step for each account that needs you. Never prints a token.\n\n" +
			"Exits 1 when an account needs you (needs sign-in, broken), else 0.",
		ValidArgsFunction: cmdutil.CompleteAccounts(f, true, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			if opts.Output != "" && opts.Output != "wide" {
				return cmdutil.Usagef(cmd, "status: -o takes \"wide\", not %q", opts.Output)
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON (see README: status --json)")
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "\"wide\": also where the expiry comes from, the issuer, next refresh and last error")
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]cobra.Completion{"wide"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Run prints the status. It fails (exit 1, nothing more said) when any
// shown account needs the user.
func Run(opts *Options) error {
	rep, err := opts.Gather(opts)
	if err != nil {
		return err
	}
	if len(opts.Names) > 0 {
		var keep []keepalive.Account
		for _, n := range opts.Names {
			a, ok := rep.Snapshot.Find(n)
			if !ok {
				return fmt.Errorf("no account %q (see 'tokentray status')", n)
			}
			if !slices.ContainsFunc(keep, func(k keepalive.Account) bool { return k.Name == n }) {
				keep = append(keep, a)
			}
		}
		rep.Snapshot.Accounts = keep
	}
	now := opts.Now()
	out := opts.F.IO.Out
	if opts.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(toJSON(rep)); err != nil {
			return err
		}
	} else {
		writeText(out, rep, now, opts.F.IO.Width(), opts.Output == "wide")
	}
	for _, a := range rep.Snapshot.Accounts {
		if needsAction(a) {
			return cmdutil.ErrSilent
		}
	}
	return nil
}

// gather reads the configuration, the token files and, when an instance
// runs, its published view.
func gather(opts *Options) (Report, error) {
	f := opts.F
	if err := f.Setup(); err != nil {
		return Report{}, err
	}
	defer f.Close()
	rep := Report{Config: f.Paths.Config, Issuers: map[string]string{}, Files: map[string]string{}}
	rep.Running, rep.PID = daemon.Running(f)
	if c := f.Agent(context.Background()); c != nil {
		// The running instance knows everything (retries, last errors)
		// and the token files stay untouched.
		snap, err := c.Status(context.Background())
		if err != nil {
			return Report{}, err
		}
		rep.Snapshot, rep.Running = snap, true
	} else {
		rep.Snapshot = f.Engine(cmdutil.AllAccounts).Snapshot()
		if rep.Running {
			rep.Snapshot = statusfile.Overlay(rep.Snapshot, f.StatusFile())
		}
	}
	if on, err := autostart.Status(cmdutil.AutostartID); err == nil {
		rep.StartAtLogin = &on
	}
	for _, a := range f.Config.Accounts {
		iss := a.Client.Endpoint.Issuer
		if iss == "" {
			iss = a.Client.Endpoint.TokenURL
		}
		rep.Issuers[a.Name] = iss
		rep.Files[a.Name] = store.Open(f.Paths.Data).Path(a.Name)
	}
	for _, w := range f.WatchedSources() {
		rep.Files[w.Name] = w.Path
	}
	return rep, nil
}

// needsAction: only the user can mend the account.
func needsAction(a keepalive.Account) bool {
	return a.State == keepalive.NeedsSignIn || a.State == keepalive.Broken
}

// nextStep is the one thing to do for an account, or "". file is its
// credential file ("" when unknown).
func nextStep(a keepalive.Account, file string) string {
	switch {
	case a.State == keepalive.Warning && a.Episode.Open() && !a.Episode.SignIn:
		// Not the login (the token file cannot be written): tokentray
		// retries by itself once there is room.
		if file == "" {
			return "make room for its token file"
		}
		return "make room for " + displayPath(file)
	}
	switch a.State {
	case keepalive.NeedsSignIn, keepalive.Warning:
		return "tokentray login " + a.Name
	case keepalive.Broken:
		if file == "" {
			return "fix or remove its credential file"
		}
		return "fix or remove " + displayPath(file)
	}
	return ""
}

// source and tool split an account's kind: ("owned", "") or ("watched",
// "claude-code").
func source(k keepalive.Kind) (string, string) {
	if !k.IsWatched() {
		return "owned", ""
	}
	s := string(k)
	s = strings.TrimPrefix(s, "watched (")
	s = strings.TrimSuffix(s, ")")
	return "watched", s
}

// displayPath shortens a path under the home directory to ~/….
func displayPath(p string) string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return p
	}
	if rel, err := filepath.Rel(home, p); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
		return filepath.Join("~", rel)
	}
	return p
}
