package autostart

import (
	"fmt"
	"strings"
)

// This file holds the pure parts of the Windows backend, tested on every
// OS.

// windowsCommandLine builds the command line stored in the Run key. The
// program path is always quoted (CommandLineToArgvW takes argv[0]
// verbatim up to the closing quote, with no backslash processing, so it
// must not contain '"'); the arguments follow the MSVCRT /
// CommandLineToArgvW rules, see windowsQuoteArg.
func windowsCommandLine(exe string, args []string) (string, error) {
	if exe == "" || strings.Contains(exe, `"`) {
		return "", fmt.Errorf("%w: program path %q", ErrInvalid, exe)
	}
	var b strings.Builder
	b.WriteString(`"` + exe + `"`)
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(windowsQuoteArg(a))
	}
	return b.String(), nil
}

// windowsQuoteArg quotes one argument so CommandLineToArgvW returns it
// unchanged: arguments without blanks or quotes stay as they are;
// others are wrapped in double quotes, where a '"' is preceded by a
// backslash, and backslashes are doubled when they precede a '"' or the
// closing quote (elsewhere backslashes are literal).
func windowsQuoteArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\v\"") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	slashes := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			slashes++
			continue
		case '"':
			b.WriteString(strings.Repeat(`\`, 2*slashes+1))
		default:
			b.WriteString(strings.Repeat(`\`, slashes))
		}
		slashes = 0
		b.WriteByte(c)
	}
	b.WriteString(strings.Repeat(`\`, 2*slashes))
	b.WriteByte('"')
	return b.String()
}

// startupApprovedDisabled interprets a value under
// HKCU\...\Explorer\StartupApproved\Run, where Task Manager and Settings
// record the user's choice for a Run entry: the first byte is even
// (0x02, 0x06) when enabled and odd (0x03, 0x07) when disabled, followed
// by the time of the change. A missing value means enabled.
func startupApprovedDisabled(v []byte) bool {
	return len(v) > 0 && v[0]&1 == 1
}
