package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// Exit statuses of tokentray.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	// ExitSignIn is the status of token and exec when the account needs a
	// sign-in, so that a script can tell it from a passing failure (a
	// server that is down, a full disk): retrying will not help.
	ExitSignIn    = 2
	ExitCancelled = 130 // 128 + SIGINT, as shells report it
)

// UsageError is a mistake on the command line: an unknown command or
// flag, a missing argument. It exits with status 2 and points to --help.
type UsageError struct {
	Cmd *cobra.Command // whose --help to point to; nil for none
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError for cmd.
func Usagef(cmd *cobra.Command, format string, args ...any) error {
	return &UsageError{Cmd: cmd, Msg: fmt.Sprintf(format, args...)}
}

// SilentError exits with Code after the command has said everything
// itself (e.g. status printed which accounts need action).
type SilentError struct{ Code int }

func (e SilentError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ErrSilent exits with status 1 without another message.
var ErrSilent = SilentError{Code: ExitFailure}

// SignInError says that the user has to sign in before the command can
// succeed. It exits with ExitSignIn and prints Err.
type SignInError struct{ Err error }

func (e *SignInError) Error() string { return e.Err.Error() }
func (e *SignInError) Unwrap() error { return e.Err }

// ExitCode is the exit status for err.
func ExitCode(err error) int {
	var se SilentError
	var ue *UsageError
	var sie *SignInError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &sie):
		return ExitSignIn
	case errors.As(err, &se):
		return se.Code
	case errors.As(err, &ue):
		return ExitUsage
	case IsCancelled(err):
		return ExitCancelled
	default:
		return ExitFailure
	}
}

// Message is the one line printed for err, or "" for none.
func Message(err error) string {
	var se SilentError
	var ue *UsageError
	switch {
	case err == nil, errors.As(err, &se):
		return ""
	case errors.As(err, &ue):
		msg := "tokentray: " + ue.Msg
		if ue.Cmd != nil {
			msg += fmt.Sprintf(" (see '%s --help')", ue.Cmd.CommandPath())
		}
		return msg
	case IsCancelled(err):
		return "tokentray: cancelled"
	default:
		return "tokentray: " + oneLine(err.Error())
	}
}

// oneLine joins a multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ; ")), " ")
}
