package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// internalText matches what people must never read: a Go package prefix
// ("oauthflow: refresh: 503", "store: invalid account name"), a Go type
// name (config.accountTOML, []string, struct {…}, *atomicfile.MalformedError)
// or a log record (time=… level=WARN msg=…).
var internalText = regexp.MustCompile(
	`(^|[\s"(])(oauthflow|oauthtest|store|keepalive|config|watched|tray|notify|autostart|resume|cmdutil|daemon|iostreams|toml|json): |` +
		`\b(config|store|keepalive|oauthflow|watched|tray)\.[A-Za-z]|` +
		`\[\](string|int|byte)|struct \{|\bof type\b|\blevel=(INFO|WARN|ERROR)\b|\btime=\d|` +
		`\[\w[\w-]*( \w[\w-]*)+\]`) // a Go slice printed with %v

// TestNoInternalsInUserOutput runs the failure paths a user meets and
// searches everything the binary printed.
func TestNoInternalsInUserOutput(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	var outputs []string
	run := func(args ...string) {
		t.Helper()
		out, errOut, code := h.run(args...)
		if code == 0 && !strings.Contains(strings.Join(args, " "), "status") {
			t.Errorf("%q succeeded; the test wants its failure path", args)
		}
		if code != 0 && errOut != "" && strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: an error takes one line:\n%s", args, errOut)
		}
		outputs = append(outputs, strings.Join(args, " ")+"\n"+out+errOut)
	}

	// Usage mistakes.
	run("stauts")
	run("status", "--jsn")
	run("demo", "--backoff", "soon")
	run("login")
	run("add", "work", "--issuer", "https://idp.example")
	run("add", "a b", "--issuer", "https://idp.example", "--client-id", "c")
	run("add", "work", "--issuer", "http://idp.example", "--client-id", "c")
	run("add", "work", "--issuer", "https://idp.example", "--client-id", "c", "--token-body", "xml")

	// Config files with wrong types.
	for _, text := range []string{
		"[account.work]\nclient_id = \"c\"\nissuer = \"https://idp.example\"\nscopes = \"openid\"\n",
		"[account.work]\nclient_id = 5\n",
		"[account.work]\nclient_id = \"c\"\n[account.work.redirect]\nport = \"x\"\n",
		"[watch.claude-code]\nlogin_command = \"claude login\"\n",
		"[watch.x]\nkind = \"nosuch\"\npath = \"/nowhere/x.json\"\n",
		"[account.\"a b\"]\nclient_id = \"c\"\nissuer = \"https://idp.example\"\n",
		"[account.work\n",
	} {
		h.writeConfig(text)
		run("status")
	}

	// Accounts that fail at the server or on disk.
	h.writeConfig(h.ownedAccount("work") + h.ownedAccount("idle") + h.ownedAccount("mangled"))
	h.signIn("work")
	path := h.store.Path("mangled")
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte(`{"access_token": 5}`), 0o600)
	run("token", "nosuch")
	run("token", "idle")
	run("token", "mangled")
	run("refresh", "--force", "mangled")
	h.iss.FailAll(oauthtest.Fault{Kind: oauthtest.ServerError})
	run("refresh", "--force", "work")
	h.iss.ClearFaults()
	h.iss.RevokeAll()
	run("refresh", "--force", "work")
	run("status")
	run("status", "-o", "wide")
	run("status", "--json")
	run("status", "nosuch")
	run("logout", "nosuch")
	run("remove", "nosuch")
	run("exec", "nosuch", "--", "true")
	run("exec", "work")
	run("token", "work", "--format", "bogus")
	run("token", "work", "--min-valid", "soon")
	run("add", "x", "--provider", "nosuch", "--client-id", "c")
	outputs = append(outputs, signInFailureOutputs(t, h)...)

	for _, o := range outputs {
		if m := internalText.FindString(strings.ReplaceAll(o, "config.toml", "")); m != "" {
			t.Errorf("internal text %q in:\n%s", m, o)
		}
	}
	if len(outputs) < 25 {
		t.Fatalf("only %d outputs searched", len(outputs))
	}
}
