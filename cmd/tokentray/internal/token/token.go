// Package token is `tokentray token`: a valid access token for scripts.
package token

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/keepalive"
)

// Options are token's flags and arguments.
type Options struct {
	F       *cmdutil.Factory
	Account string
}

// NewCmdToken returns the token command; runF replaces its work in tests.
func NewCmdToken(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "token ACCOUNT",
		Short: "Print a valid access token for scripts (refreshes first when due)",
		Long: "Print a valid access token of an owned account on stdout, for scripts:\n\n" +
			"  curl -H \"Authorization: Bearer $(tokentray token work)\" ...\n\n" +
			"It refreshes first when the token is due. Exits 1 with a message when a sign-in is needed.",
		Args:              cmdutil.ExactArgs(1, "ACCOUNT"),
		ValidArgsFunction: cmdutil.CompleteAccounts(f, false, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Account = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	return cmd
}

// Run prints the token.
func Run(ctx context.Context, opts *Options) error {
	f, name := opts.F, opts.Account
	if err := f.SetupOwned(name); err != nil {
		return err
	}
	defer f.Close()
	e := f.Engine(cmdutil.OwnedOnly)
	tok, err := e.AccessToken(ctx, name)
	if errors.Is(err, keepalive.ErrNotSignedIn) {
		return fmt.Errorf("%v; sign in with 'tokentray login %s'", err, name)
	}
	if err != nil {
		return err
	}
	if st, _ := e.Snapshot().Find(name); st.State >= keepalive.Retrying {
		fmt.Fprintf(f.IO.ErrOut, "tokentray: warning: %s is %s (%s); the printed token is still valid, %s\n",
			name, st.State, st.Reason, keepalive.ExpiresIn(st.Expiry, time.Now()))
	}
	// The one place a token is revealed: the user asked for it on stdout.
	fmt.Fprintln(f.IO.Out, tok.Reveal())
	return nil
}
