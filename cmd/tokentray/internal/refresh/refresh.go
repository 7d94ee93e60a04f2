// Package refresh is `tokentray refresh`: refresh owned accounts now.
package refresh

import (
	"context"
	"errors"
	"fmt"
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
			"when due; with --force it is refreshed now. Safe beside a running tokentray and other refresh commands.",
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
		case refreshed:
			fmt.Fprintf(f.IO.Out, "%s: refreshed, %s\n", n, st.ExpiryText(now))
		case st.NextRefresh.IsZero():
			fmt.Fprintf(f.IO.Out, "%s: not refreshed (%s; %s)\n", n, st.ExpiryText(now), st.State)
		default:
			fmt.Fprintf(f.IO.Out, "%s: not due (%s; next refresh in %s)\n", n,
				st.ExpiryText(now), keepalive.HumanDuration(st.NextRefresh.Sub(now)))
		}
	}
	if failed > 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

func describeFailure(name string, st keepalive.Account, err error) string {
	if st.State == keepalive.NeedsSignIn || errors.Is(err, keepalive.ErrNotSignedIn) {
		return fmt.Sprintf("needs sign-in (%v); run 'tokentray login %s'", err, name)
	}
	return err.Error()
}
