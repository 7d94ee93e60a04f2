package oauthflow

import (
	"fmt"
	"log/slog"
)

// Secret holds a credential (access, refresh or ID token, client secret).
//
// It prints as "[redacted]" through fmt verbs and log/slog, so a Secret that
// slips into a log line, an error message or a status line does not leak.
// JSON encoding keeps the real value, because the token store must persist
// it; call Reveal where the raw value is genuinely needed (an HTTP request,
// `tokentray token`).
type Secret string

const redacted = "[redacted]"

// Reveal returns the raw credential.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer so %#v does not leak either.
func (s Secret) GoString() string { return fmt.Sprintf("oauthflow.Secret(%q)", s.String()) }

// Format implements fmt.Formatter: every verb prints the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, s.String())
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
