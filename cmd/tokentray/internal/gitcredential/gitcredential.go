// Package gitcredential is `tokentray git-credential`: git's credential
// helper, serving the access tokens of the accounts that list git_hosts.
package gitcredential

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/gitcred"
)

// Options are git-credential's arguments.
type Options struct {
	F  *cmdutil.Factory
	Op string
}

// NewCmdGitCredential returns the git-credential command; runF replaces
// its work in tests.
func NewCmdGitCredential(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	return &cobra.Command{
		Use:   "git-credential get|store|erase",
		Short: "Git credential helper: access tokens for the hosts in git_hosts",
		Long: "A git credential helper (see gitcredentials(7)). For a host that an owned account lists in\n" +
			"git_hosts, 'get' prints username (git_username, default oauth2), password (a valid access\n" +
			"token) and password_expiry_utc; 'erase' marks that token rejected so the next 'get' refreshes;\n" +
			"'store' does nothing. Other hosts get no answer, so git asks its next helper. Set it up with\n\n" +
			"  git config --global credential.https://gitlab.example.com.helper '!tokentray git-credential'",
		Args:      cmdutil.ExactArgs(1, "get, store or erase"),
		ValidArgs: []cobra.Completion{"get", "store", "erase"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Op = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
}

// Run answers git.
func Run(ctx context.Context, opts *Options) error {
	f := opts.F
	switch opts.Op {
	case "get", "store", "erase":
	default:
		return nil // git may add operations; unknown ones are ignored
	}
	in, err := gitcred.Read(f.IO.In)
	if err != nil {
		return err
	}
	if err := f.Setup(); err != nil {
		return err
	}
	defer f.Close()
	lookup := func(host, user string) (gitcred.Account, bool) {
		a, ok := f.Config.GitAccount(host, user)
		return gitcred.Account{Name: a.Name, Username: a.GitUsername}, ok
	}
	err = gitcred.Handle(ctx, opts.Op, in, f.IO.Out, lookup, f.Service(ctx))
	if errors.Is(err, keepalive.ErrNotSignedIn) {
		acc, _ := f.Config.GitAccount(in.Get("host"), in.Get("username"))
		return fmt.Errorf("%v; sign in with 'tokentray login %s'", err, acc.Name)
	}
	return err
}
