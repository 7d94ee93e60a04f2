// Package run is `tokentray run`: the background instance.
package run

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/daemon"
)

// Options are run's flags.
type Options struct {
	F        *cmdutil.Factory
	Headless bool
}

// NewCmdRun returns the run command; runF replaces its work in tests.
func NewCmdRun(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts, run := &Options{F: f}, cmdutil.Pick(Run, runF)
	cmd := &cobra.Command{
		Use:   "run [--headless]",
		Short: "Start the keepalive (tray icon, or headless)",
		Long: "Start the keepalive: refresh owned accounts before they expire, watch other tools' logins,\n" +
			"and show their health in the system tray. Only one instance runs per user; stop it with\n" +
			"Quit in the tray menu or Ctrl-C.",
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Headless, "headless", false, "run without a tray icon (log only)")
	return cmd
}

// Run starts the instance and returns when it stops.
func Run(ctx context.Context, opts *Options) error {
	f := opts.F
	f.Instance = true
	if err := f.Setup(); err != nil {
		return err
	}
	defer f.Close()
	unlock, err := daemon.Lock(f)
	if err != nil {
		return err
	}
	defer unlock()

	e := f.Engine(cmdutil.ForRun)
	stop := "Quit in the tray menu or Ctrl-C stops it"
	if opts.Headless {
		stop = "Ctrl-C stops it"
	}
	if n := len(e.Snapshot().Accounts); n == 0 {
		fmt.Fprintf(f.IO.ErrOut, "tokentray is running with nothing to keep alive: %s has no account\n"+
			"and no other tool's login was found. Add an account with\n\n"+
			"  tokentray add NAME --issuer URL --client-id ID\n\n"+
			"(see 'tokentray add --help'). %s.\n", f.Paths.Config, stop)
	} else {
		fmt.Fprintf(f.IO.ErrOut, "tokentray is running (%s); log: %s. %s.\n", countAccounts(n), f.Paths.LogFile(), stop)
	}
	f.Log.Info("started", "version", f.Version, "accounts", len(f.Config.Accounts), "config", f.Paths.Config)
	return daemon.Run(ctx, f, e, opts.Headless)
}

func countAccounts(n int) string {
	if n == 1 {
		return "1 account"
	}
	return fmt.Sprintf("%d accounts", n)
}
