//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
	"github.com/tokentray/tokentray/oauthflow/provider"
	"github.com/tokentray/tokentray/oauthflow/provider/providertest"
)

func TestRemove(t *testing.T) {
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	text := "# accounts\n\n" + h.ownedAccount("keep") +
		"# the work account\n" + strings.Replace(h.ownedAccount("work"), "token_url", "revocation_url = \""+h.iss.RevocationURL()+"\"\ntoken_url", 1) +
		"[account.work.redirect]\nport = 0\n\n# tuning\n[watch.gemini]\nenabled = false\n"
	h.writeConfig(text)
	keep := h.signIn("keep")
	h.signIn("work")

	out, errOut, code := h.run("remove", "work")
	if code != 0 || !strings.Contains(out, "work: signed out and removed") {
		t.Fatalf("remove: exit %d %q %q", code, out, errOut)
	}
	if h.iss.Stats().Revocations != 1 {
		t.Errorf("%d revocations, want 1", h.iss.Stats().Revocations)
	}
	if _, err := os.Stat(h.store.Path("work")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("token file of work: %v", err)
	}
	data, _ := os.ReadFile(h.config)
	want := "# accounts\n\n" + h.ownedAccount("keep") + "# the work account\n# tuning\n[watch.gemini]\nenabled = false\n"
	if string(data) != want {
		t.Errorf("config after remove:\n%s\nwant:\n%s", data, want)
	}
	// The other account is untouched.
	if got := strings.TrimSpace(h.mustRun("token", "keep")); got != keep.AccessToken.Reveal() {
		t.Error("the other account's login changed")
	}
	// Nothing of work is left beside the token files: no remembered
	// health, no journal, no lock file.
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(h.store.Path("work")), "*work*")); len(left) != 0 {
		t.Errorf("left behind by remove: %q", left)
	}
	if _, errOut, code := h.run("remove", "work"); code != 1 || !strings.Contains(errOut, `no owned account "work"`) {
		t.Errorf("second remove: exit %d %q", code, errOut)
	}
	h.assertNoLeaks()
}

// TestFailedAddLeavesTheConfigAlone: a typo in the issuer, or a sign-in
// that does not complete, changes nothing; the corrected add then works.
func TestFailedAddLeavesTheConfigAlone(t *testing.T) {
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	existing := "# mine\n[watch.gemini]\nenabled = false\n"
	h.writeConfig(existing)
	// Port 1 on loopback: nothing listens, as after a typo.
	_, errOut, code := h.run("add", "work", "--issuer", "http://127.0.0.1:1/", "--client-id", oauthtest.DefaultClientID, "--no-login")
	if code != 1 || !strings.Contains(errOut, "the provider's settings cannot be used") ||
		!strings.Contains(errOut, "cannot reach http://127.0.0.1:1: connection refused") || strings.Contains(errOut, "dial tcp") {
		t.Errorf("add with a bad issuer: exit %d %q", code, errOut)
	}
	if data, _ := os.ReadFile(h.config); string(data) != existing {
		t.Fatalf("config changed by a failed add:\n%s", data)
	}
	// A preset's missing parameter is named as the flag to give.
	// It is a mistake on the command line: exit 2.
	for _, tc := range []struct{ args, want string }{
		{"--provider okta", "--domain: is required"},
		{"--provider keycloak --url https://sso.example.com", "--realm: is required"},
		{"--provider google", "--client-secret: is required"},
		{"--issuer https://login.example.com --realm main", "--realm is a provider setting"},
	} {
		_, errOut, code = h.run(append([]string{"add", "work", "--client-id", "x", "--no-login"}, strings.Fields(tc.args)...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "config.toml") || !strings.Contains(errOut, "tokentray add --help") {
			t.Errorf("add %s: exit %d %q, want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	// An issuer URL that does not parse is said plainly.
	_, errOut, code = h.run("add", "work", "--client-id", "x", "--issuer", "http://127.0.0.1:35241x")
	if code != 2 || !strings.Contains(errOut, `--issuer: invalid URL: invalid port ":35241x" after host`) || strings.Contains(errOut, "parse") {
		t.Errorf("add --issuer with a bad port: exit %d %q", code, errOut)
	}
	// A denied sign-in.
	h.iss.SetConsent(oauthtest.Consent{Error: "access_denied"})
	bin, opened := fakeOpener(t)
	h.env = append(h.env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd, out := h.startAdd("work", "--issuer", h.iss.URL(), "--client-id", oauthtest.DefaultClientID)
	browse(t, opened, 1)
	if err := cmd.Wait(); err == nil || !strings.Contains(out.String(), "the config was not changed") {
		t.Fatalf("add with a denied sign-in: %v\n%s", err, out.String())
	}
	if data, _ := os.ReadFile(h.config); string(data) != existing {
		t.Fatalf("config changed by a failed sign-in:\n%s", data)
	}
	if _, err := os.Stat(h.store.Path("work")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("token file after a failed add: %v", err)
	}
	// Now it works, without "already exists".
	h.iss.SetConsent(oauthtest.Consent{})
	cmd, out = h.startAdd("work", "--issuer", h.iss.URL(), "--client-id", oauthtest.DefaultClientID)
	browse(t, opened, 2)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("add after the failures: %v\n%s", err, out.String())
	}
	h.outputs = append(h.outputs, out.String())
	if cfg, err := config.Load(h.config); err != nil || len(cfg.Accounts) != 1 {
		t.Fatalf("config after add: %v", err)
	}
	h.assertNoLeaks()
}

// TestAddProvider adds preset accounts, signing in against the fake
// issuer behaving like the provider: the config holds the preset and its
// parameters, not URLs, and the account works.
func TestAddProvider(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	bin, opened := fakeOpener(t)
	h.env = append(h.env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	for i, tc := range []struct {
		name, preset string
		params       map[string]string
		want         string // the table written
	}{
		{"corp", "keycloak", map[string]string{"realm": "main"},
			"[account.corp]\nprovider = 'keycloak'\nurl = '%s'\nrealm = 'main'\nclient_id = '" + providertest.ClientID + "'\n"},
		{"gl", "gitlab", nil,
			"[account.gl]\nprovider = 'gitlab'\nurl = '%s'\nclient_id = '" + providertest.ClientID + "'\ngit_hosts = ['%h']\n"},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			p, _ := provider.Lookup(tc.preset)
			srv, err := providertest.StartLoopback(p, tc.params, providertest.For(tc.preset))
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			base := srv.BaseURL()
			args := []string{tc.name, "--provider", tc.preset, "--client-id", providertest.ClientID, "--url", base}
			for k, v := range tc.params {
				args = append(args, "--"+k, v)
			}
			before, _ := os.ReadFile(h.config)
			cmd, out := h.startAdd(args...)
			browseWith(t, opened, i+1, srv)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("add: %v\n%s", err, out.String())
			}
			h.outputs = append(h.outputs, out.String())
			data, _ := os.ReadFile(h.config)
			table := strings.TrimPrefix(strings.TrimPrefix(string(data), string(before)), "\n")
			want := strings.Replace(strings.Replace(tc.want, "%s", base, 1), "%h", srv.Addr(), 1)
			if table != want {
				t.Errorf("table written:\n%s\nwant:\n%s", table, want)
			}
			for _, r := range srv.Seen() {
				if strings.Contains(r.Path, "well-known") {
					t.Errorf("a discovery request: %s", r.Path)
				}
			}
			tok := strings.TrimSpace(h.mustRun("token", tc.name))
			if !srv.Issuer.Valid(tok) {
				t.Error("the new account's token is not valid")
			}
			// GitLab's answers lack expires_in: the expiry is created_at + 2h.
			var js struct {
				ExpiresAt *time.Time `json:"expires_at"`
			}
			json.Unmarshal([]byte(h.mustRun("token", tc.name, "--format", "json")), &js)
			if tc.preset == "gitlab" && (js.ExpiresAt == nil || time.Until(*js.ExpiresAt) < 119*time.Minute || time.Until(*js.ExpiresAt) > 2*time.Hour) {
				t.Errorf("gitlab expiry %v, want in 2h", js.ExpiresAt)
			}
		})
	}
}

// startAdd starts `tokentray add` with args.
func (h *home) startAdd(args ...string) (*exec.Cmd, *keepalivetest.Buffer) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	h.t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary, append([]string{"add"}, args...)...)
	cmd.Env = h.env
	out := &keepalivetest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	return cmd, out
}

// browse opens the n-th URL the fake opener recorded in the test browser.
func browse(t *testing.T, opened string, n int) {
	t.Helper()
	browseWith(t, opened, n, nil)
}

func browseWith(t *testing.T, opened string, n int, srv *providertest.Server) {
	t.Helper()
	var lines []string
	keepalivetest.Eventually(t, "the browser to be opened", func() bool {
		data, _ := os.ReadFile(opened)
		lines = strings.Fields(string(data))
		return len(lines) >= n
	})
	b := &oauthtest.Browser{}
	if srv != nil {
		b = srv.Browser()
	}
	if err := b.Open(lines[n-1]); err != nil {
		t.Fatal(err)
	}
}

// TestAddClientAuth: --client-auth is written as client_auth; a wrong
// value is a usage error naming what it takes.
func TestAddClientAuth(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	_, errOut, code := h.run("add", "work", "--issuer", h.iss.URL(), "--client-id", "c", "--client-secret", "s3", "--client-auth", "post", "--no-login")
	if code != 0 {
		t.Fatalf("add --client-auth post: exit %d %s", code, errOut)
	}
	cfg, err := config.Load(h.config)
	if err != nil || len(cfg.Accounts) != 1 || cfg.Accounts[0].Client.ClientAuth != "post" {
		t.Fatalf("config after add --client-auth post: %+v %v", cfg, err)
	}
	_, errOut, code = h.run("add", "other", "--issuer", h.iss.URL(), "--client-id", "c", "--client-auth", "secret")
	if code != 2 || !strings.Contains(errOut, `invalid value "secret" for --client-auth: want basic, post or none`) {
		t.Errorf("add --client-auth secret: exit %d %q", code, errOut)
	}
	// A method that needs the secret, without one: named as the flag.
	_, errOut, code = h.run("add", "other", "--issuer", h.iss.URL(), "--client-id", "c", "--client-auth", "basic", "--no-login")
	if code != 2 || !strings.Contains(errOut, "--client-auth: ") || strings.Contains(errOut, "config.toml") {
		t.Errorf("add --client-auth basic without a secret: exit %d %q", code, errOut)
	}
}
