// Package logout is `tokentray logout`: revoke and forget a login.
package logout

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
)

// Options are logout's arguments.
type Options = cmdutil.AccountOptions

// NewCmdLogout returns the logout command; runF replaces its work in tests.
func NewCmdLogout(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	return cmdutil.NewOwnedAccountCmd(f, &cobra.Command{
		Use:   "logout ACCOUNT",
		Short: "Revoke and forget an owned account's login",
		Long: "Forget an owned account's login: revoke it at the server (when it offers revocation)\n" +
			"and delete the stored tokens. The account stays in the config.",
	}, Run, runF)
}

// Run signs the account out.
func Run(ctx context.Context, opts *Options) error {
	f, name := opts.F, opts.Account
	if err := f.SetupOwned(name); err != nil {
		return err
	}
	defer f.Close()
	revokeErr, err := f.Engine(cmdutil.OwnedOnly).SignOut(ctx, name)
	if err != nil {
		return err
	}
	if revokeErr != nil {
		fmt.Fprintf(f.IO.Out, "%s: signed out locally; revocation at the server failed: %v\n", name, revokeErr)
		return nil
	}
	fmt.Fprintf(f.IO.Out, "%s: signed out\n", name)
	return nil
}
