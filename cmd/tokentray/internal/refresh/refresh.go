// Package refresh is `tokentray refresh`: refresh owned accounts now.
package refresh

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/keepalive"
)

// Options are refresh's flags and arguments.
type Options struct {
	F        *cmdutil.Factory
	Force    bool
	Accounts []string
}

// NewCmdRefresh returns the refresh command; runF replaces its work in tests.
func NewCmdRefresh(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts, run := &Options{F: f}, cmdutil.Pick(Run, runF)
	cmd := &cobra.Command{
		Use:   "refresh [--force] [ACCOUNT...]",
		Short: "Refresh owned accounts now (when due, or always with --force)",
		Long: "Refresh owned accounts (all when none is named). Without --force an account is refreshed only\n" +
			"when due; with --force it is refreshed now. Safe beside a running tokentray and other refresh\n" +
			"commands.",
		ValidArgsFunction: cmdutil.CompleteAccounts(f, false, true),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Accounts = args
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "refresh even when the token is not due")
	return cmd
}

// Run refreshes the accounts; it fails when any refresh failed.
func Run(ctx context.Context, opts *Options) error {
	f := opts.F
	if err := f.Setup(); err != nil {
		return err
	}
	defer f.Close()
	names, err := f.AccountNames(opts.Accounts)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		f.NoAccountsHint(f.IO.ErrOut)
		return nil
	}
	svc := f.Service(ctx) // the running instance when there is one
	failed := 0
	for _, n := range names {
		st, refreshed, err := svc.Refresh(ctx, n, opts.Force)
		now := time.Now()
		switch {
		case cmdutil.IsCancelled(err):
			return err
		case err != nil:
			failed++
			fmt.Fprintf(f.IO.Out, "%s: %s\n", n, describeFailure(n, st, err))
		default:
			fmt.Fprintf(f.IO.Out, "%s: %s\n", n, describe(st, refreshed, now))
		}
	}
	if failed > 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

// describe says what a refresh that did not fail did: "refreshed,
// expires in 1h", "not due, expires in 40m; next refresh in 30m", or "not
// refreshed, expires in 60s; warning: cannot keep this login alive: ...".
func describe(st keepalive.Account, refreshed bool, now time.Time) string {
	switch {
	case refreshed:
		return "refreshed, " + st.ExpiryText(now)
	case st.NextRefresh.IsZero():
		s := "not refreshed, " + st.ExpiryText(now) + "; " + st.State.String()
		if r := strings.TrimSpace(st.Reason); r != "" {
			s += ": " + r
		}
		return s
	case !st.NextRefresh.After(now):
		return "not due, " + st.ExpiryText(now) + "; next refresh now"
	}
	return "not due, " + st.ExpiryText(now) + "; next refresh in " + keepalive.HumanDuration(st.NextRefresh.Sub(now))
}

func describeFailure(name string, st keepalive.Account, err error) string {
	if st.State == keepalive.NeedsSignIn || errors.Is(err, keepalive.ErrNotSignedIn) {
		return fmt.Sprintf("needs sign-in (%v); run 'tokentray login %s'", err, name)
	}
	return err.Error()
}
