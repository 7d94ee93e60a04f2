package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
)

// ErrNoAccount is returned by RemoveAccount for a name not in the file.
var ErrNoAccount = errors.New("no such account")

// RemoveAccount deletes the [account.<name>] table, and its sub-tables
// such as [account.<name>.redirect], from the configuration file at path.
// Every other line — comments, blank lines, other tables — is kept byte for
// byte; comment lines just before the next table stay with it. The result
// is parsed before it is written (atomically). An account written in a
// form this cannot cut out (an inline table, dotted keys) is an error and
// the file is left alone.
func RemoveAccount(path, name string) error {
	out, err := withoutAccount(path, name)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, out, 0o600)
}

// CheckRemoveAccount reports whether RemoveAccount would succeed, without
// writing: remove checks first, then revokes, then edits the file.
func CheckRemoveAccount(path, name string) error {
	_, err := withoutAccount(path, name)
	return err
}

func withoutAccount(path, name string) ([]byte, error) {
	old, err := atomicfile.ReadFile(path, maxConfigSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: account %q: %w", path, name, ErrNoAccount)
	}
	if err != nil {
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	cur, err := Parse(path, old)
	if err != nil {
		return nil, err
	}
	if _, ok := cur.Account(name); !ok {
		return nil, fmt.Errorf("%s: account %q: %w", path, name, ErrNoAccount)
	}
	out := cutTables(old, name)
	next, err := Parse(path, out)
	if err != nil {
		return nil, fmt.Errorf("removing account %q would make the file invalid: %w", name, err)
	}
	if _, still := next.Account(name); still {
		return nil, fmt.Errorf("%s: account %q is not written as an [account.%s] table; remove it by hand", path, name, name)
	}
	return out, nil
}

// cutTables returns data without the lines of every table whose header
// starts with account.<name>: from the header line up to the last line
// before the next header that is neither blank nor a comment.
func cutTables(data []byte, name string) []byte {
	lines := bytes.SplitAfter(data, []byte("\n"))
	type header struct {
		line int // 0-based
		ours bool
	}
	var headers []header
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		n := p.Expression()
		if n.Kind != unstable.Table && n.Kind != unstable.ArrayTable {
			continue
		}
		key := keyParts(n.Key())
		it := n.Key()
		line := 0
		if it.Next() {
			if r := it.Node().Raw; r.Length > 0 {
				line = p.Shape(r).Start.Line - 1
			}
		}
		ours := len(key) >= 2 && key[0] == "account" && key[1] == name
		headers = append(headers, header{line, ours})
	}
	drop := make([]bool, len(lines))
	for i, h := range headers {
		if !h.ours {
			continue
		}
		end := len(lines)
		if i+1 < len(headers) {
			end = headers[i+1].line
		}
		// Leave the comments and blank lines that precede the next
		// header (or end the file) with it, unless that is ours too.
		for (i+1 >= len(headers) || !headers[i+1].ours) && end > h.line+1 && isBlankOrComment(lines[end-1]) {
			end--
		}
		// One blank line separated the table from what came before:
		// drop the blank lines after it, so the seam keeps one.
		if h.line == 0 || isBlank(lines[h.line-1]) {
			for end < len(lines) && isBlank(lines[end]) && (i+1 >= len(headers) || end < headers[i+1].line) {
				end++
			}
		}
		for l := h.line; l < end && l < len(lines); l++ {
			drop[l] = true
		}
	}
	var out bytes.Buffer
	for i, l := range lines {
		if !drop[i] {
			out.Write(l)
		}
	}
	return out.Bytes()
}

func isBlank(l []byte) bool { return len(bytes.TrimSpace(l)) == 0 }

func isBlankOrComment(l []byte) bool {
	t := bytes.TrimSpace(l)
	return len(t) == 0 || t[0] == '#'
}
