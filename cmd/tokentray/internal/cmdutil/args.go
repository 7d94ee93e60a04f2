package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// IsCancelled reports whether err is the end of a command interrupted by
// Ctrl-C (or SIGTERM).
func IsCancelled(err error) bool { return errors.Is(err, context.Canceled) }

// ExactArgs requires n positional arguments, described by what ("ACCOUNT").
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < n:
			return Usagef(cmd, "%s: missing %s", cmd.Name(), what)
		case len(args) > n:
			return Usagef(cmd, "%s: too many arguments (takes %s): %s", cmd.Name(), what, strings.Join(args[n:], " "))
		}
		return nil
	}
}

// NoArgs refuses positional arguments.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return Usagef(cmd, "%s: takes no arguments, not %q", cmd.Name(), args[0])
	}
	return nil
}

// SubcommandRequired is the Args of a command that only groups others
// (the root, autostart): an unknown word gets a suggestion.
func SubcommandRequired(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	if cmd.HasParent() {
		msg = fmt.Sprintf("%s: unknown command %q", cmd.Name(), args[0])
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return Usagef(cmd, "%s", msg)
}

// FlagError turns pflag's parse errors into UsageErrors that name the
// flag.
func FlagError(cmd *cobra.Command, err error) error {
	var ive *pflag.InvalidValueError
	if errors.As(err, &ive) {
		f := ive.GetFlag()
		return Usagef(cmd, "invalid value %q for --%s: %s", ive.GetValue(), f.Name, valueHint(f))
	}
	return Usagef(cmd, "%s", err.Error())
}

// valueHint says what a flag takes, in words.
func valueHint(f *pflag.Flag) string {
	if h, ok := f.Value.(interface{ Hint() string }); ok {
		return h.Hint() // a flag of its own type says it
	}
	switch f.Value.Type() {
	case "duration":
		return "want a duration such as 30s, 5m or 1h30m"
	case "int", "int64", "uint", "uint16":
		return "want a whole number"
	case "bool":
		return "want true or false"
	}
	return "not accepted"
}
