//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// TestAddAndLoginWithBrowser: `tokentray add` writes the account into an
// existing config and signs in through the browser flow; the browser is a
// fake xdg-open that hands the URL to the issuer's test browser.
func TestAddAndLoginWithBrowser(t *testing.T) {
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	existing := "# my config\n[watch.gemini]\nenabled = false\n"
	h.writeConfig(existing)
	bin, opened := fakeOpener(t)
	h.env = append(h.env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "add", "work", "--issuer", h.iss.URL(),
		"--client-id", oauthtest.DefaultClientID, "--scope", "openid", "--scope", "offline_access")
	cmd.Env = h.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	keepalivetest.Eventually(t, "the browser to be opened", func() bool { data, _ := os.ReadFile(opened); return len(data) > 0 })
	data, _ := os.ReadFile(opened)
	url := strings.TrimSpace(string(data))
	// The browser gets a one-time loopback start URL: the authorization
	// request (state, PKCE challenge) is on no command line.
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.Contains(url, "/tokentray-start/") || strings.Contains(url, "state") {
		t.Fatalf("opened %q", url)
	}
	browser := &oauthtest.Browser{}
	if err := browser.Open(url); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("add: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "work: signed in as user-1, expires in 59m") {
		t.Errorf("add output:\n%s", out.String())
	}
	h.outputs = append(h.outputs, out.String(), browser.Last().Body)

	cfgText, _ := os.ReadFile(h.config)
	if !strings.HasPrefix(string(cfgText), existing) {
		t.Errorf("existing config text changed:\n%s", cfgText)
	}
	cfg, err := config.Load(h.config)
	if err != nil || len(cfg.Accounts) != 1 || cfg.Accounts[0].Client.Endpoint.Issuer != h.iss.URL() {
		t.Fatalf("config after add: %+v %v", cfg, err)
	}
	st, err := os.Stat(h.store.Path("work"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", st, err)
	}
	dir, _ := os.Stat(filepath.Dir(h.store.Path("work")))
	if dir.Mode().Perm() != 0o700 {
		t.Errorf("token dir mode %v", dir.Mode().Perm())
	}
	stdout, _, code := h.run("status")
	if code != 0 || !strings.Contains(stdout, "work") || !strings.Contains(stdout, " ok ") {
		t.Errorf("status after add:\n%s", stdout)
	}
	tok, _, code := h.run("token", "work")
	if code != 0 || !h.iss.Valid(strings.TrimSpace(tok)) {
		t.Errorf("token after sign-in: exit %d", code)
	}

	// logout revokes at the server and forgets the login.
	stdout, _, code = h.run("logout", "work")
	if code != 0 || !strings.Contains(stdout, "work: signed out") || h.iss.Stats().Revocations != 1 {
		t.Errorf("logout: exit %d %q, %d revocations", code, stdout, h.iss.Stats().Revocations)
	}
	if _, errOut, code := h.run("token", "work"); code != 2 || !strings.Contains(errOut, "tokentray login work") {
		t.Errorf("token after logout: exit %d, want 2 with the next step: %s", code, errOut)
	}
	h.assertNoLeaks()
}

// TestLoginNoBrowserPaste is the manual fallback: the URL is printed, the
// "browser" runs elsewhere (it cannot reach the loopback listener), and the
// user pastes the redirect address.
func TestLoginNoBrowserPaste(t *testing.T) {
	for _, form := range []string{"url", "code#state", "code"} {
		t.Run(form, func(t *testing.T) {
			h := newHome(t, oauthtest.Options{})
			h.writeConfig(h.ownedAccount("work"))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, "login", "work", "--no-browser")
			cmd.Env = h.env
			stdin, _ := cmd.StdinPipe()
			stderr, _ := cmd.StderrPipe()
			var out bytes.Buffer
			cmd.Stdout = &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stderr)
			var url string
			for sc.Scan() {
				if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "http") {
					url = l
					break
				}
			}
			go io.Copy(io.Discard, stderr)
			if url == "" {
				t.Fatal("no URL printed")
			}
			remote := &oauthtest.Browser{NoFollow: true}
			if err := remote.Open(url); err != nil {
				t.Fatal(err)
			}
			redirect, err := neturl.Parse(remote.Last().Redirect)
			if err != nil || redirect.Query().Get("code") == "" {
				t.Fatalf("no redirect with a code: %q %v", remote.Last().Redirect, err)
			}
			q := redirect.Query()
			paste := redirect.String()
			switch form {
			case "code#state":
				paste = q.Get("code") + "#" + q.Get("state")
			case "code":
				paste = q.Get("code")
			}
			io.WriteString(stdin, "not a code at all?\n"+paste+"\n")
			if err := cmd.Wait(); err != nil {
				t.Fatalf("login: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "work: signed in") {
				t.Errorf("output %q", out.String())
			}
			rec, err := h.store.Load("work")
			if err != nil || !h.iss.Valid(rec.AccessToken.Reveal()) {
				t.Errorf("stored login: %v", err)
			}
		})
	}
}
