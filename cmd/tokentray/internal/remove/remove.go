// Package remove is `tokentray remove`: forget an owned account.
package remove

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/keepalive/store"
)

// Options are remove's arguments.
type Options = cmdutil.AccountOptions

// NewCmdRemove returns the remove command; runF replaces its work in tests.
func NewCmdRemove(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	return cmdutil.NewOwnedAccountCmd(f, &cobra.Command{
		Use:   "remove ACCOUNT",
		Short: "Revoke an owned account's login and remove it from the config",
		Long: "Remove an owned account: revoke its login at the server (when it offers revocation),\n" +
			"delete its token file and its table in the config file. The rest of the file, comments\n" +
			"included, is kept. A running tokentray drops the account at once.",
	}, Run, runF)
}

// Run removes the account.
func Run(ctx context.Context, opts *Options) error {
	f, name := opts.F, opts.Account
	if err := f.SetupOwned(name); err != nil {
		return err
	}
	defer f.Close()
	// Check the file can be edited before anything is revoked.
	if err := config.CheckRemoveAccount(f.Paths.Config, name); err != nil {
		return err
	}
	revokeErr, err := f.Engine(cmdutil.OwnedOnly).SignOut(ctx, name)
	if err != nil {
		return err
	}
	if err := config.RemoveAccount(f.Paths.Config, name); err != nil {
		return err
	}
	// The account is gone: so is all the store kept of it (what was
	// remembered about its login, the sign-out just recorded, its lock).
	if err := store.Open(f.Paths.Data).Forget(ctx, name); err != nil {
		f.Log.Warn("cannot remove the files of the removed account", "account", name, "err", err)
	}
	if revokeErr != nil {
		fmt.Fprintf(f.IO.Out, "%s: removed; revoking the login at the server failed: %v\n", name, revokeErr)
	} else {
		fmt.Fprintf(f.IO.Out, "%s: signed out and removed from %s\n", name, f.Paths.Config)
	}
	if _, err := f.NotifyAgent(ctx); err != nil {
		fmt.Fprintf(f.IO.ErrOut, "tokentray: the running instance did not take the change (%v); restart it\n", err)
	}
	return nil
}
