// Package exec is `tokentray exec`: run a command with a fresh access
// token in its environment.
package exec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/token"
)

// DefaultEnv is the variable that receives the token.
const DefaultEnv = "ACCESS_TOKEN"

// Options are exec's flags and arguments.
type Options struct {
	F        *cmdutil.Factory
	Account  string
	Env      string
	MinValid time.Duration
	Command  []string
}

// NewCmdExec returns the exec command; runF replaces its work in tests.
func NewCmdExec(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "exec ACCOUNT [--env VAR] [--min-valid DURATION] -- COMMAND [ARGS...]",
		Short: "Run a command with a fresh access token in its environment",
		Long: "Run COMMAND with a valid access token of ACCOUNT in the environment variable VAR\n" +
			"(default ACCESS_TOKEN), and exit with its exit status. The token is not on any command\n" +
			"line, so other users cannot read it from the process list.",
		Example: "  tokentray exec work -- sh -c 'curl -H \"Authorization: Bearer $ACCESS_TOKEN\" https://api.example.com/me'\n" +
			"  tokentray exec gitlab --env GITLAB_TOKEN -- glab mr list",
		Args: func(cmd *cobra.Command, args []string) error {
			if dash := cmd.ArgsLenAtDash(); dash > 1 {
				return cmdutil.Usagef(cmd, "exec: one ACCOUNT before --, not %q", strings.Join(args[:dash], " "))
			}
			if len(args) == 0 || cmd.ArgsLenAtDash() == 0 {
				return cmdutil.Usagef(cmd, "exec: missing ACCOUNT")
			}
			if len(args) == 1 {
				return cmdutil.Usagef(cmd, "exec: missing COMMAND (write it after --)")
			}
			return nil
		},
		ValidArgsFunction: cmdutil.CompleteAccounts(f, false, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Account, opts.Command = args[0], args[1:]
			if !validEnvName(opts.Env) {
				return cmdutil.Usagef(cmd, "invalid value %q for --env: want a variable name such as ACCESS_TOKEN", opts.Env)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	// The command's own flags go after "--".
	cmd.Flags().StringVar(&opts.Env, "env", DefaultEnv, "environment `variable` that receives the token")
	cmd.Flags().DurationVar(&opts.MinValid, "min-valid", 0, "refresh first when the token has less than this `duration` left")
	return cmd
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// Run runs the command and returns its exit status as a SilentError.
func Run(ctx context.Context, opts *Options) error {
	f, name := opts.F, opts.Account
	if err := f.SetupOwned(name); err != nil {
		return err
	}
	defer f.Close()
	tok, err := token.Get(ctx, f, name, opts.MinValid)
	if err != nil {
		return err
	}
	c := osexec.CommandContext(ctx, opts.Command[0], opts.Command[1:]...)
	c.Stdin, c.Stdout, c.Stderr = f.IO.In, f.IO.Out, f.IO.ErrOut
	c.Env = withEnv(os.Environ(), opts.Env, tok.AccessToken.Reveal())
	// Ctrl-C reaches the command by itself (same terminal); a SIGTERM to
	// tokentray is passed on so the command can end cleanly.
	c.Cancel = func() error {
		if err := c.Process.Signal(syscall.SIGTERM); err != nil {
			return c.Process.Kill()
		}
		return nil
	}
	c.WaitDelay = 10 * time.Second
	err = c.Run()
	var ee *osexec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return cmdutil.SilentError{Code: exitCode(ee)}
	}
	// It did not start: said, and the status, as a shell would.
	msg, code := startFailure(err)
	fmt.Fprintf(f.IO.ErrOut, "tokentray: %s: %s\n", opts.Command[0], msg)
	return cmdutil.SilentError{Code: code}
}

// startFailure says why a command did not start, in words, with the exit
// status a shell uses: 127 for a command that is not there, 126 for one
// that cannot be run.
func startFailure(err error) (string, int) {
	var pe *fs.PathError
	switch {
	case errors.Is(err, osexec.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		return "command not found", 127
	case errors.Is(err, fs.ErrPermission):
		return "permission denied", 126
	case errors.As(err, &pe):
		return "cannot run it: " + pe.Err.Error(), 126
	}
	return "cannot run it: " + err.Error(), 126
}

// withEnv returns env with name set to value (replacing any earlier one).
func withEnv(env []string, name, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != name {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}

// exitCode is the status a shell would report: the exit code, or 128 +
// the signal that ended the command.
func exitCode(ee *osexec.ExitError) int {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	if c := ee.ExitCode(); c >= 0 {
		return c
	}
	return 1
}
