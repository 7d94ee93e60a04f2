//go:build !windows

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// TestTokenFormatsAndMinValid prints the token in every format against the
// fake issuer and counts the refresh grants --min-valid causes.
func TestTokenFormatsAndMinValid(t *testing.T) {
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work"))
	tok := h.signIn("work")
	access := tok.AccessToken.Reveal()

	out := h.mustRun("token", "work")
	if out != access+"\n" {
		t.Errorf("raw: %q", out)
	}
	if out := h.mustRun("token", "work", "--format", "raw"); out != access+"\n" {
		t.Errorf("--format raw: %q", out)
	}
	if out := h.mustRun("token", "work", "--format", "header"); out != "Authorization: Bearer "+access+"\n" {
		t.Errorf("header: %q", out)
	}
	var js map[string]any
	if err := json.Unmarshal([]byte(h.mustRun("token", "--format", "json", "work")), &js); err != nil {
		t.Fatal(err)
	}
	if js["access_token"] != access || js["token_type"] != "Bearer" || js["expires_at"] != tok.Expiry.UTC().Format(time.RFC3339) || len(js) != 3 {
		t.Errorf("json: %v", js)
	}
	for _, version := range []string{"", "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"} {
		env := h.env
		want := "client.authentication.k8s.io/v1"
		if version != "" {
			want = version
			h.env = append(append([]string{}, env...), `KUBERNETES_EXEC_INFO={"kind":"ExecCredential","apiVersion":"`+version+`","spec":{"interactive":false}}`)
		}
		out := h.mustRun("token", "work", "--format", "exec-credential")
		h.env = env
		got, exp, err := consumeExecCredential([]byte(out), want)
		if err != nil {
			t.Fatalf("ExecCredential %s: %v\n%s", want, err, out)
		}
		if got != access || !exp.Equal(tok.Expiry.Truncate(time.Second)) {
			t.Errorf("ExecCredential %s: token ok %v, expiry %v, want %v", want, got == access, exp, tok.Expiry)
		}
	}
	if n := h.iss.Stats().Refreshes; n != 0 {
		t.Fatalf("%d refreshes of a fresh token", n)
	}

	// 59m left: --min-valid 30m needs nothing, 2h cannot be had from 1h
	// tokens (one refresh tried), 70m... neither.
	if out := h.mustRun("token", "work", "--min-valid", "30m"); out != access+"\n" || h.iss.Stats().Refreshes != 0 {
		t.Fatalf("--min-valid 30m with 59m left: refreshes %d", h.iss.Stats().Refreshes)
	}
	// Only 20 minutes left (as if time had passed): --min-valid 30m
	// refreshes once, the next call needs no refresh.
	h.store.Update(context.Background(), "work", func(cur *store.Record) (*store.Record, error) {
		cur.ObtainedAt, cur.Expiry = time.Now().Add(-40*time.Minute), time.Now().Add(20*time.Minute)
		return cur, nil
	})
	fresh := strings.TrimSpace(h.mustRun("token", "work", "--min-valid", "30m"))
	if fresh == access || !h.iss.Valid(fresh) || h.iss.Stats().Refreshes != 1 {
		t.Fatalf("--min-valid 30m with 20m left: new token %v, refreshes %d", fresh != access, h.iss.Stats().Refreshes)
	}
	if again := strings.TrimSpace(h.mustRun("token", "work", "--min-valid", "30m")); again != fresh || h.iss.Stats().Refreshes != 1 {
		t.Fatalf("second --min-valid 30m: refreshes %d", h.iss.Stats().Refreshes)
	}
	_, errOut, code := h.run("token", "work", "--min-valid", "2h")
	if code != 1 || !strings.Contains(errOut, "less than the 2h asked for") {
		t.Errorf("--min-valid 2h of 1h tokens: exit %d %q", code, errOut)
	}
	for _, bad := range [][]string{{"--format", "yaml"}, {"--min-valid", "soon"}} {
		if _, errOut, code := h.run(append([]string{"token", "work"}, bad...)...); code != 2 || !strings.Contains(errOut, bad[0]) {
			t.Errorf("token %v: exit %d %q, want a usage error naming the flag", bad, code, errOut)
		}
	}
	h.assertNoLeaks()
}

// consumeExecCredential reads an ExecCredential the way kubectl's exec
// credential plugin support (k8s.io/client-go/plugin/pkg/client/auth/exec)
// does: strictly, the apiVersion must be the one it asked for, a token (or
// a certificate) must be there, the expiry must be RFC 3339.
func consumeExecCredential(data []byte, wantVersion string) (string, time.Time, error) {
	var cred struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Interactive bool            `json:"interactive"`
			Cluster     json.RawMessage `json:"cluster,omitempty"`
		} `json:"spec"`
		Status *struct {
			ExpirationTimestamp   *string `json:"expirationTimestamp,omitempty"`
			Token                 string  `json:"token,omitempty"`
			ClientCertificateData string  `json:"clientCertificateData,omitempty"`
			ClientKeyData         string  `json:"clientKeyData,omitempty"`
		} `json:"status,omitempty"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cred); err != nil {
		return "", time.Time{}, err
	}
	switch {
	case cred.Kind != "ExecCredential":
		return "", time.Time{}, fmt.Errorf("kind %q", cred.Kind)
	case cred.APIVersion != wantVersion:
		return "", time.Time{}, fmt.Errorf("exec plugin is configured to use API version %s, plugin returned version %s", wantVersion, cred.APIVersion)
	case cred.Status == nil:
		return "", time.Time{}, fmt.Errorf("exec plugin didn't return a status field")
	case cred.Status.Token == "" && cred.Status.ClientCertificateData == "":
		return "", time.Time{}, fmt.Errorf("exec plugin didn't return a token or cert/key pair")
	}
	var exp time.Time
	if ts := cred.Status.ExpirationTimestamp; ts != nil {
		var err error
		if exp, err = time.Parse(time.RFC3339, *ts); err != nil {
			return "", time.Time{}, err
		}
	}
	return cred.Status.Token, exp, nil
}

func TestExecPassesTheTokenAndTheExitStatus(t *testing.T) {
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work"))
	access := h.signIn("work").AccessToken.Reveal()
	got := filepath.Join(t.TempDir(), "got")
	h.env = append(h.env, "ACCESS_TOKEN=stale-value-from-the-parent")

	_, _, code := h.run("exec", "work", "--", "sh", "-c", `printf %s "$ACCESS_TOKEN" > "$0"; exit 7`, got)
	if code != 7 {
		t.Errorf("exit status %d, want the command's 7", code)
	}
	if data, _ := os.ReadFile(got); string(data) != access {
		t.Errorf("the command got %q in ACCESS_TOKEN", data)
	}
	// --env; flags after -- belong to the command.
	os.Remove(got)
	_, _, code = h.run("exec", "work", "--env", "GITLAB_TOKEN", "--", "sh", "-c", `printf %s "$GITLAB_TOKEN" > "$0"`, got)
	if data, _ := os.ReadFile(got); code != 0 || string(data) != access {
		t.Errorf("--env GITLAB_TOKEN: exit %d, got %q", code, data)
	}
	if _, errOut, code := h.run("exec", "work", "--", "no-such-command-here"); code != 127 || !strings.Contains(errOut, "command not found") {
		t.Errorf("missing command: exit %d %q", code, errOut)
	}
	// A path that is not there, or not a program: as a shell says it.
	notExec := filepath.Join(h.root, "not-a-program")
	os.WriteFile(notExec, []byte("data"), 0o600)
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{filepath.Join(h.root, "nonexistent"), 127, ": command not found"},
		{notExec, 126, ": permission denied"},
	} {
		_, errOut, code := h.run("exec", "work", "--", tc.path)
		if code != tc.code || errOut != "tokentray: "+tc.path+tc.want+"\n" {
			t.Errorf("exec %s: exit %d %q, want %d and %q", tc.path, code, errOut, tc.code, tc.want)
		}
	}
	if _, errOut, code := h.run("exec", "work"); code != 2 || !strings.Contains(errOut, "missing COMMAND") {
		t.Errorf("no command: exit %d %q", code, errOut)
	}
	if _, _, code := h.run("exec", "nobody", "--", "true"); code != 1 {
		t.Errorf("unknown account: exit %d", code)
	}
	h.assertNoLeaks()
}

// TestGitCredentialWithRealGit drives the helper with git itself.
func TestGitCredentialWithRealGit(t *testing.T) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("gl") + "git_hosts = [\"git.example.test\"]\n")
	access := h.signIn("gl").AccessToken.Reveal()
	gitConfig := filepath.Join(h.root, "gitconfig")
	if err := os.WriteFile(gitConfig, []byte("[credential]\n\thelper = \"!'"+binary+"' git-credential\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.env = append(h.env, "GIT_CONFIG_GLOBAL="+gitConfig, "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=")
	git := func(stdin string, args ...string) (string, string, error) {
		cmd := exec.Command(gitBin, args...)
		cmd.Env = h.env
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		h.outputs = append(h.outputs, errb.String())
		return out.String(), errb.String(), err
	}

	out, errOut, err := git("protocol=https\nhost=git.example.test\npath=group/repo.git\n\n", "credential", "fill")
	if err != nil {
		t.Fatalf("git credential fill: %v\n%s", err, errOut)
	}
	if attrs := parseCred(out); attrs["username"] != "oauth2" || attrs["password"] != access {
		t.Fatalf("git credential fill: username %q, password ok %v", attrs["username"], attrs["password"] == access)
	}

	// An unknown host: the helper says nothing, so git (without a
	// terminal) gives up; called directly, it prints nothing and exits 0.
	if _, _, err := git("protocol=https\nhost=github.com\n\n", "credential", "fill"); err == nil {
		t.Error("git got a credential for a host no account lists")
	}
	cmd := exec.Command(binary, "git-credential", "get")
	cmd.Env, cmd.Stdin = h.env, strings.NewReader("protocol=https\nhost=github.com\n")
	if out, err := cmd.Output(); err != nil || len(out) != 0 {
		t.Errorf("helper for an unknown host: %v, output %q", err, out)
	}
	// Plain http would send the token in the clear: no answer.
	cmd = exec.Command(binary, "git-credential", "get")
	cmd.Env, cmd.Stdin = h.env, strings.NewReader("protocol=http\nhost=git.example.test\n")
	if out, err := cmd.Output(); err != nil || len(out) != 0 {
		t.Errorf("helper over http: %v, output %q", err, out)
	}
	// The helper's own answer carries the expiry (git before 2.41 does
	// not pass it on) and never a refresh token.
	cmd = exec.Command(binary, "git-credential", "get")
	cmd.Env, cmd.Stdin = h.env, strings.NewReader("protocol=https\nhost=git.example.test\n\n")
	direct, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	attrs := parseCred(string(direct))
	rec, _ := h.store.Load("gl")
	if attrs["password_expiry_utc"] != strconv.FormatInt(rec.Expiry.Unix(), 10) || len(attrs) != 3 {
		t.Errorf("helper answer: %v keys, expiry %q, want %d", len(attrs), attrs["password_expiry_utc"], rec.Expiry.Unix())
	}

	// store does nothing; erase (git's reject after a 401) makes the next
	// fill refresh.
	if _, errOut, err := git("protocol=https\nhost=git.example.test\nusername=oauth2\npassword="+access+"\n\n", "credential", "approve"); err != nil {
		t.Fatalf("approve: %v %s", err, errOut)
	}
	if after, _ := h.store.Load("gl"); after.AccessToken.Reveal() != access || h.iss.Stats().Refreshes != 0 {
		t.Fatal("store changed the login")
	}
	if _, errOut, err := git("protocol=https\nhost=git.example.test\nusername=oauth2\npassword="+access+"\n\n", "credential", "reject"); err != nil {
		t.Fatalf("reject: %v %s", err, errOut)
	}
	out, errOut, err = git("protocol=https\nhost=git.example.test\n\n", "credential", "fill")
	if err != nil {
		t.Fatalf("fill after reject: %v %s", err, errOut)
	}
	next := parseCred(out)["password"]
	if next == access || !h.iss.Valid(next) || h.iss.Stats().Refreshes != 1 {
		t.Fatalf("after reject: new token %v, valid %v, refreshes %d", next != access, h.iss.Valid(next), h.iss.Stats().Refreshes)
	}
	// Rejecting the old token again changes nothing.
	git("protocol=https\nhost=git.example.test\nusername=oauth2\npassword="+access+"\n\n", "credential", "reject")
	if out, _, _ := git("protocol=https\nhost=git.example.test\n\n", "credential", "fill"); parseCred(out)["password"] != next {
		t.Error("a stale reject threw away the new token")
	}
	h.assertNoLeaks()
}

func parseCred(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

// mustRun runs the binary and fails the test unless it exits 0.
func (h *home) mustRun(args ...string) string {
	h.t.Helper()
	out, errOut, code := h.run(args...)
	if code != 0 {
		h.t.Fatalf("tokentray %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}
