// Package gitcred speaks git's credential helper protocol (see
// gitcredentials(7) and git-credential(1)): git writes a credential
// description of key=value lines to the helper's stdin, ended by a blank
// line or EOF; for "get" the helper answers with the attributes it knows.
//
// tokentray answers "get" for the hosts an owned account lists in
// git_hosts with username=<git_username>, password=<access token> and
// password_expiry_utc; "erase" marks that access token rejected so the next
// "get" refreshes; "store" does nothing (tokentray keeps the login itself).
// A refresh token is never written.
package gitcred

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/oauthflow"
)

// Credential is a credential description: its attributes in order.
type Credential struct {
	Attrs []Attr
}

// Attr is one key=value line.
type Attr struct{ Key, Value string }

// Get returns the first value of key, or "".
func (c Credential) Get(key string) string {
	for _, a := range c.Attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// maxInput bounds what is read from git.
const maxInput = 64 << 10

// Read parses a credential description. Lines without "=" are an error,
// as git treats them.
func Read(r io.Reader) (Credential, error) {
	var c Credential
	sc := bufio.NewScanner(io.LimitReader(r, maxInput))
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			return c, fmt.Errorf("git credential input: a line without key=value")
		}
		c.Attrs = append(c.Attrs, Attr{k, v})
	}
	return c, sc.Err()
}

// Write prints c in the protocol's format. Values with a newline or NUL
// would break the protocol; they are refused.
func Write(w io.Writer, c Credential) error {
	var b strings.Builder
	for _, a := range c.Attrs {
		if strings.ContainsAny(a.Key+a.Value, "\n\x00") || strings.Contains(a.Key, "=") {
			return fmt.Errorf("git credential output: attribute %q cannot be written", a.Key)
		}
		b.WriteString(a.Key + "=" + a.Value + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Account is what a lookup finds for a host: the owned account serving
// it and the user name to give git.
type Account struct {
	Name     string
	Username string
}

// Lookup finds the account for host (host[:port] as git sends it) and the
// user name git already has ("" for none).
type Lookup func(host, username string) (Account, bool)

// Tokens is the part of the agent's service the helper needs.
type Tokens interface {
	Token(ctx context.Context, name string, minValid time.Duration) (keepalive.Token, error)
	Reject(ctx context.Context, name string, access oauthflow.Secret) (bool, error)
}

// Handle runs one helper operation ("get", "store", "erase") on the
// description in, writing the answer to out. A host no account serves,
// another protocol than https (http only for loopback hosts) and an
// unknown operation produce no output and no error, so git goes on to its
// next helper.
func Handle(ctx context.Context, op string, in Credential, out io.Writer, lookup Lookup, tokens Tokens) error {
	acc, ok := match(in, lookup)
	if !ok {
		return nil
	}
	switch op {
	case "get":
		tok, err := tokens.Token(ctx, acc.Name, 0)
		if err != nil {
			return err
		}
		res := Credential{Attrs: []Attr{
			{"username", acc.Username},
			{"password", tok.AccessToken.Reveal()},
		}}
		if !tok.Expiry.IsZero() {
			res.Attrs = append(res.Attrs, Attr{"password_expiry_utc", strconv.FormatInt(tok.Expiry.Unix(), 10)})
		}
		return Write(out, res)
	case "erase":
		if pw := in.Get("password"); pw != "" {
			_, err := tokens.Reject(ctx, acc.Name, oauthflow.Secret(pw))
			return err
		}
	}
	return nil // store: tokentray keeps the login itself
}

func match(in Credential, lookup Lookup) (Account, bool) {
	host := in.Get("host")
	if host == "" {
		return Account{}, false
	}
	switch in.Get("protocol") {
	case "https":
	case "http":
		h, _, err := net.SplitHostPort(host)
		if err != nil {
			h = host
		}
		if ip := net.ParseIP(h); !strings.EqualFold(h, "localhost") && (ip == nil || !ip.IsLoopback()) {
			return Account{}, false // never send a token in the clear
		}
	default:
		return Account{}, false
	}
	if acc, ok := lookup(host, in.Get("username")); ok {
		return acc, true
	}
	return Account{}, false
}
