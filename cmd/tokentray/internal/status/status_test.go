package status

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/iostreams"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/oauthflow"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var now = time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)

func report() Report {
	on := true
	min := func(m int) time.Time { return now.Add(time.Duration(m)*time.Minute + 400*time.Millisecond) }
	return Report{
		Running: true, PID: 4242, StartAtLogin: &on, Config: "/etc/tokentray/config.toml",
		Issuers: map[string]string{"work": "https://login.example.com", "flaky": "https://idp.example.org/oauth2/token", "mangled": "https://login.example.com", "retry": "https://login.example.com"},
		Files:   map[string]string{"mangled": "/var/lib/tokentray/tokens/mangled.json"},
		Snapshot: keepalive.Snapshot{At: now, Accounts: []keepalive.Account{
			{Name: "work", Kind: keepalive.Owned, State: keepalive.OK, User: "ada.lovelace@analytical-engines.example.com",
				Expiry: min(52), ExpirySource: oauthflow.ExpiryFromServer, NextRefresh: min(42), LastRefresh: min(-8),
				FileWarning: "token file /var/lib/tokentray/tokens/work.json is accessible by other users (mode 0644); tokentray sets 0600 when it next writes it"},
			{Name: "mock", Kind: keepalive.Owned, State: keepalive.OK, Expiry: min(2), ExpirySource: oauthflow.ExpiryFromJWT, NextRefresh: min(1)},
			{Name: "flaky", Kind: keepalive.Owned, State: keepalive.NeedsSignIn, Reason: "3 refreshes failed in a row",
				Expiry: min(-3), Attempt: 3, LastError: "server error 503: Service Unavailable"},
			{Name: "retry", Kind: keepalive.Owned, State: keepalive.Retrying, Expiry: min(7), Attempt: 1, NextTry: min(2),
				LastError: "server error 503: temporarily unavailable"},
			{Name: "mangled", Kind: keepalive.Owned, State: keepalive.Broken, Reason: "malformed token file: unexpected end of JSON input"},
			{Name: "claude-code", Kind: keepalive.Watched("claude-code"), State: keepalive.Warning, User: "max",
				Reason: "login ends in 2d 4h", Expiry: min(-60), Deadline: min(2*24*60 + 4*60)},
			{Name: "opencode-anthropic", Kind: keepalive.Watched("opencode"), State: keepalive.NeedsSignIn, Reason: "no refresh token"},
			{Name: "codex", Kind: keepalive.Watched("codex"), State: keepalive.OK, Reason: "kept in the OS keyring; expiry unknown"},
		}},
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func runStatus(t *testing.T, width int, args ...string) (string, error) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	ios.SetWidth(width)
	var err error
	cmd := NewCmdStatus(&cmdutil.Factory{IO: ios}, func(o *Options) error {
		o.Gather = func(*Options) (Report, error) { return report(), nil }
		o.Now = func() time.Time { return now }
		err = Run(o)
		return nil
	})
	cmd.SetArgs(append([]string{}, args...))
	if e := cmd.Execute(); e != nil {
		t.Fatal(e)
	}
	return out.String(), err
}

func TestTextGolden(t *testing.T) {
	for _, tc := range []struct {
		file  string
		width int
		args  []string
	}{
		{"narrow.golden", 80, nil},
		{"default.golden", 100, nil},
		{"wide.golden", 100, []string{"-o", "wide"}},
		{"filtered.golden", 80, []string{"work", "claude-code"}},
	} {
		out, err := runStatus(t, tc.width, tc.args...)
		golden(t, tc.file, out)
		if tc.args == nil {
			for _, l := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(l); n > tc.width {
					t.Errorf("%s: line of %d columns: %q", tc.file, n, l)
				}
			}
		}
		// flaky and mangled need the user; the filtered view has none.
		if wantFail := tc.file != "filtered.golden"; (err != nil) != wantFail {
			t.Errorf("%s: error %v, want failure %v", tc.file, err, wantFail)
		}
	}
}

func TestJSONGolden(t *testing.T) {
	out, _ := runStatus(t, 80, "--json")
	golden(t, "status.json", out)
	// Every field of every account is present, null when unknown.
	var doc struct {
		Schema   int
		Accounts []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Schema != Schema {
		t.Fatalf("%v, schema %d", err, doc.Schema)
	}
	want := len(doc.Accounts[0])
	for _, a := range doc.Accounts {
		if len(a) != want {
			t.Errorf("account %v has %d fields, the first has %d", a["name"], len(a), want)
		}
	}
	if bytes.Contains([]byte(out), []byte(".4")) || !strings.Contains(out, `"token_expires_at": "2026-12-01T14:52:00Z"`) {
		t.Errorf("times not in whole seconds:\n%s", out)
	}
}

func TestUnknownNameFails(t *testing.T) {
	if _, err := runStatus(t, 80, "nosuch"); err == nil || !strings.Contains(err.Error(), `no account "nosuch"`) {
		t.Errorf("err %v", err)
	}
}

// TestTextNotRunningFits: the header of an instance that does not run
// (with its hints) fits the terminal too.
func TestTextNotRunningFits(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetWidth(80)
	off := false
	rep := report()
	rep.Running, rep.PID, rep.StartAtLogin = false, 0, &off
	opts := &Options{F: &cmdutil.Factory{IO: ios}, Now: func() time.Time { return now },
		Gather: func(*Options) (Report, error) { return rep, nil }}
	Run(opts)
	golden(t, "notrunning.golden", out.String())
	for _, l := range strings.Split(out.String(), "\n") {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
}

func TestTextNotRunningNoAccounts(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.SetWidth(80)
	opts := &Options{F: &cmdutil.Factory{IO: ios}, Now: func() time.Time { return now },
		Gather: func(*Options) (Report, error) { return Report{Config: "/etc/tokentray/config.toml"}, nil }}
	if err := Run(opts); err != nil {
		t.Fatal(err)
	}
	golden(t, "empty.golden", out.String())
}

// A token file that cannot be written is no reason to sign in.
func TestNextStepCannotWrite(t *testing.T) {
	a := keepalive.Account{Name: "work", Kind: keepalive.Owned, State: keepalive.Warning, Reason: "cannot write the token file: disk full",
		Episode: keepalive.Episode{ID: 1, State: keepalive.Warning}}
	if got := nextStep(a, "/var/lib/tokentray/tokens/work.json"); got != "make room for /var/lib/tokentray/tokens/work.json" {
		t.Errorf("next step %q", got)
	}
	a.Episode.SignIn = true // a login that ends soon
	if got := nextStep(a, ""); got != "tokentray login work" {
		t.Errorf("next step %q", got)
	}
}
