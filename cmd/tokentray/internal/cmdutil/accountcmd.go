package cmdutil

import (
	"context"

	"github.com/spf13/cobra"
)

// AccountOptions are the arguments of a command about one owned account,
// such as logout and remove.
type AccountOptions struct {
	F       *Factory
	Account string
}

// NewOwnedAccountCmd completes cmd (its Use, Short and Long set) into a
// command taking one ACCOUNT argument, completed from the owned accounts,
// that runs run, or runF instead when it is not nil (in tests).
func NewOwnedAccountCmd(f *Factory, cmd *cobra.Command, run, runF func(context.Context, *AccountOptions) error) *cobra.Command {
	opts := &AccountOptions{F: f}
	run = Pick(run, runF)
	cmd.Args = ExactArgs(1, "ACCOUNT")
	cmd.ValidArgsFunction = CompleteAccounts(f, false, false)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		opts.Account = args[0]
		return run(cmd.Context(), opts)
	}
	return cmd
}

// Pick is what a command runs: runF when it is set (a test replacing the
// command's work), else run.
func Pick[O any](run, runF func(context.Context, *O) error) func(context.Context, *O) error {
	if runF != nil {
		return runF
	}
	return run
}
