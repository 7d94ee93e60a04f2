package gitcred

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/oauthflow"
)

type fakeTokens struct {
	tok      keepalive.Token
	err      error
	rejected []string
}

func (f *fakeTokens) Token(context.Context, string, time.Duration) (keepalive.Token, error) {
	return f.tok, f.err
}

func (f *fakeTokens) Reject(_ context.Context, name string, access oauthflow.Secret) (bool, error) {
	f.rejected = append(f.rejected, name+":"+access.Reveal())
	return true, nil
}

func lookup(host, user string) (Account, bool) {
	if host == "gitlab.example.com" && (user == "" || user == "oauth2") {
		return Account{Name: "gl", Username: "oauth2"}, true
	}
	if host == "127.0.0.1:8080" {
		return Account{Name: "local", Username: "oauth2"}, true
	}
	return Account{}, false
}

func TestHandle(t *testing.T) {
	exp := time.Unix(1800000000, 0)
	for _, tc := range []struct {
		op, in, want string
		rejected     string
	}{
		{"get", "protocol=https\nhost=gitlab.example.com\npath=g/r.git\n\n",
			"username=oauth2\npassword=tt_at_X\npassword_expiry_utc=1800000000\n", ""},
		{"get", "protocol=https\nhost=gitlab.example.com\nusername=oauth2\n", "username=oauth2\npassword=tt_at_X\npassword_expiry_utc=1800000000\n", ""},
		{"get", "protocol=https\nhost=gitlab.example.com\nusername=alice\n", "", ""},
		{"get", "protocol=https\nhost=github.com\n", "", ""},
		{"get", "protocol=http\nhost=gitlab.example.com\n", "", ""},
		{"get", "protocol=http\nhost=127.0.0.1:8080\n", "username=oauth2\npassword=tt_at_X\npassword_expiry_utc=1800000000\n", ""},
		{"get", "protocol=ssh\nhost=gitlab.example.com\n", "", ""},
		{"get", "host=gitlab.example.com\n", "", ""},
		{"store", "protocol=https\nhost=gitlab.example.com\nusername=oauth2\npassword=tt_at_X\n", "", ""},
		{"erase", "protocol=https\nhost=gitlab.example.com\nusername=oauth2\npassword=tt_at_OLD\n", "", "gl:tt_at_OLD"},
		{"erase", "protocol=https\nhost=github.com\npassword=tt_at_OLD\n", "", ""},
		{"erase", "protocol=https\nhost=gitlab.example.com\n", "", ""},
	} {
		in, err := Read(strings.NewReader(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		toks := &fakeTokens{tok: keepalive.Token{AccessToken: "tt_at_X", Expiry: exp}}
		var out bytes.Buffer
		if err := Handle(context.Background(), tc.op, in, &out, lookup, toks); err != nil {
			t.Errorf("%s %q: %v", tc.op, tc.in, err)
		}
		if out.String() != tc.want {
			t.Errorf("%s %q:\n got %q\nwant %q", tc.op, tc.in, out.String(), tc.want)
		}
		if got := strings.Join(toks.rejected, ","); got != tc.rejected {
			t.Errorf("%s %q: rejected %q, want %q", tc.op, tc.in, got, tc.rejected)
		}
	}
}

func TestHandleNoExpiryAndErrors(t *testing.T) {
	in, _ := Read(strings.NewReader("protocol=https\nhost=gitlab.example.com\n"))
	var out bytes.Buffer
	Handle(context.Background(), "get", in, &out, lookup, &fakeTokens{tok: keepalive.Token{AccessToken: "t"}})
	if out.String() != "username=oauth2\npassword=t\n" {
		t.Errorf("without expiry: %q", out.String())
	}
	out.Reset()
	err := Handle(context.Background(), "get", in, &out, lookup, &fakeTokens{err: keepalive.ErrNotSignedIn})
	if !errors.Is(err, keepalive.ErrNotSignedIn) || out.Len() != 0 {
		t.Errorf("not signed in: %v, output %q", err, out.String())
	}
	if err := Handle(context.Background(), "get", in, &out, lookup, &fakeTokens{tok: keepalive.Token{AccessToken: "a\nhost=evil"}}); err == nil || out.Len() != 0 {
		t.Errorf("a token with a newline was written: %q", out.String())
	}
	if _, err := Read(strings.NewReader("protocol=https\nnonsense\n")); err == nil {
		t.Error("a line without = accepted")
	}
}
