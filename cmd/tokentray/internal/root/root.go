// Package root assembles the tokentray command tree and turns its result
// into one line of output and an exit status.
package root

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/add"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/autostart"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/demo"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/exec"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/gitcredential"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/iostreams"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/login"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/logout"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/refresh"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/remove"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/run"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/status"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/token"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/version"
)

func init() {
	// The help lists the commands in the order of NewCmdRoot: the ones a
	// new user needs first.
	cobra.EnableCommandSorting = false
}

// NewCmdRoot returns the tokentray command with every verb.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokentray",
		Short: "Keep OAuth logins alive and tell you when one needs you",
		Long: "tokentray keeps OAuth logins alive and tells you when one needs you.\n\n" +
			"It refreshes the logins it owns before they expire, watches other tools' logins read-only,\n" +
			"and shows their health in the system tray. Start it with 'tokentray run' (or enable\n" +
			"'tokentray autostart'); see a summary with 'tokentray status'.",
		Version: f.Version,
		Args:    cmdutil.SubcommandRequired,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A bare tokentray explains itself rather than starting the
			// background instance.
			return cmd.Help()
		},
		SilenceErrors: true,
		SilenceUsage:  true,

		SuggestionsMinimumDistance: 2,
	}
	cmd.SetVersionTemplate("{{.Version}}\n")
	// Flag descriptions wrap at 100 columns, like the rest of the help.
	cmd.SetUsageTemplate(strings.ReplaceAll(cmd.UsageTemplate(), ".FlagUsages ", ".FlagUsagesWrapped 100 "))
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetIn(f.IO.In)
	cmd.SetFlagErrorFunc(cmdutil.FlagError)
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.ConfigPath, "config", "", "configuration `file` (default: the user config dir's tokentray/config.toml)")
	pf.BoolVar(&f.Verbose, "verbose", false, "also write log records to the terminal")
	cmd.Flags().BoolP("version", "v", false, "print the version")

	cmd.AddCommand(
		run.NewCmdRun(f, nil),
		status.NewCmdStatus(f, nil),
		refresh.NewCmdRefresh(f, nil),
		token.NewCmdToken(f, nil),
		exec.NewCmdExec(f, nil),
		gitcredential.NewCmdGitCredential(f, nil),
		login.NewCmdLogin(f, nil),
		add.NewCmdAdd(f, nil),
		remove.NewCmdRemove(f, nil),
		logout.NewCmdLogout(f, nil),
		autostart.NewCmdAutostart(f, nil),
		demo.NewCmdDemo(f, nil),
		version.NewCmdVersion(f),
	)
	// Shell completion comes from cobra's completion command; flags that
	// take a file complete files.
	cmd.MarkPersistentFlagFilename("config", "toml")
	// cobra adds help and completion when the tree runs; adding them now
	// lets an unknown word after them be a usage mistake like any other
	// ("tokentray completion bsh": did you mean "bash"?).
	cmd.InitDefaultCompletionCmd()
	cmd.InitDefaultHelpCmd()
	for _, c := range cmd.Commands() {
		switch c.Name() {
		case "completion":
			c.Args = cmdutil.SubcommandRequired
			c.RunE = func(c *cobra.Command, args []string) error {
				return cmdutil.Usagef(c, "completion: say bash, zsh, fish or powershell")
			}
		case "help":
			c.Run = nil
			c.RunE = func(c *cobra.Command, args []string) error {
				target, rest, err := c.Root().Find(args)
				if err != nil || target == nil || len(rest) > 0 {
					return cmdutil.SubcommandRequired(c.Root(), args)
				}
				return target.Help()
			}
		}
	}
	return cmd
}

// Main runs tokentray with args and returns the exit status. Errors are
// printed as one line on stderr.
func Main(ctx context.Context, args []string, ios *iostreams.IOStreams, v version.Info) int {
	f := &cmdutil.Factory{IO: ios, Version: v.String()}
	cmd := NewCmdRoot(f)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if msg := cmdutil.Message(err); msg != "" {
		fmt.Fprintln(ios.ErrOut, msg)
	}
	return cmdutil.ExitCode(err)
}
