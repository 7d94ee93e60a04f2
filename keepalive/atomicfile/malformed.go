package atomicfile

import (
	"fmt"
	"strings"
)

// MalformedError reports a credential file (a token file tokentray owns,
// or another tool's store) that exists but cannot be used: not a regular
// file, empty, too large, not JSON, or a field of the wrong type. It
// never quotes the file, which holds tokens: messages are built only from
// fixed text, field names and byte offsets.
type MalformedError struct {
	// What the file is, for the message ("token file"); "" says
	// "credentials in".
	What string
	// Path is the file (or Keychain item); it may be empty while a parser
	// has not been told where its input came from.
	Path string
	// Field is the dotted JSON field at fault, empty for the whole
	// document; Offset the byte offset of a JSON syntax error (0: none).
	Field  string
	Offset int64
	// Problem is a fixed description ("want a number, got a string"); Err
	// the underlying error, used when Problem is empty.
	Problem string
	Err     error
}

func (e *MalformedError) Error() string {
	var b strings.Builder
	b.WriteString("malformed ")
	switch {
	case e.What != "":
		b.WriteString(e.What)
		if e.Path != "" {
			b.WriteString(" " + e.Path)
		}
	default:
		b.WriteString("credentials")
		if e.Path != "" {
			b.WriteString(" in " + e.Path)
		}
	}
	if e.Field != "" {
		b.WriteString(": field " + e.Field)
	}
	b.WriteString(": ")
	switch {
	case e.Problem != "":
		b.WriteString(e.Problem)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	if e.Offset > 0 {
		fmt.Fprintf(&b, " (byte offset %d)", e.Offset)
	}
	return b.String()
}

func (e *MalformedError) Unwrap() error { return e.Err }
