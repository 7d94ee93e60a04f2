// Package autostart is `tokentray autostart`: start tokentray at login.
package autostart

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/tray/autostart"
)

// Options say what to do with the registration.
type Options struct {
	F      *cmdutil.Factory
	Action string // enable, disable or status
}

// NewCmdAutostart returns the autostart command with its enable, disable
// and status subcommands; runF replaces their work in tests.
func NewCmdAutostart(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "autostart enable|disable|status",
		Short: "Start tokentray when you log in (or stop, or show)",
		Long: "Start tokentray when you log in (enable), stop doing so (disable), or show the registration\n" +
			"(status). The tray menu's Start at login checkbox does the same.",
		Args: cmdutil.SubcommandRequired,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdutil.Usagef(cmd, "autostart: say enable, disable or status")
		},
	}
	for _, sub := range []struct{ name, short string }{
		{"enable", "Start tokentray when you log in"},
		{"disable", "Stop starting tokentray when you log in"},
		{"status", "Show whether tokentray starts when you log in"},
	} {
		opts := &Options{F: f, Action: sub.name}
		cmd.AddCommand(&cobra.Command{
			Use:   sub.name,
			Short: sub.short,
			Args:  cmdutil.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				if runF != nil {
					return runF(opts)
				}
				return Run(opts)
			},
		})
	}
	return cmd
}

// Run applies the action and prints the registration read back.
func Run(opts *Options) error {
	f := opts.F
	where, err := autostart.Location(cmdutil.AutostartID)
	if err != nil {
		return err
	}
	switch opts.Action {
	case "enable":
		e, warning, err := f.AutostartEntry()
		if err != nil {
			return err
		}
		if warning != "" {
			fmt.Fprintf(f.IO.ErrOut, "tokentray: warning: %s\n", warning)
		}
		if err := autostart.Enable(e); err != nil {
			return err
		}
	case "disable":
		if err := autostart.Disable(cmdutil.AutostartID); err != nil {
			return err
		}
	}
	// The registration read back is the answer, also after enable/disable.
	on, err := autostart.Status(cmdutil.AutostartID)
	if err != nil {
		return err
	}
	if on {
		fmt.Fprintf(f.IO.Out, "Start at login: enabled (%s)\n", where)
	} else {
		fmt.Fprintf(f.IO.Out, "Start at login: disabled (%s)\n", where)
	}
	return nil
}
