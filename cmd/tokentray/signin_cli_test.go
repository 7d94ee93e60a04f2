//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// loginRun is a `tokentray login` (or add) in progress, its stderr read
// line by line as a user reads the terminal.
type loginRun struct {
	t      *testing.T
	h      *home
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string          // stderr
	stderr keepalivetest.Buffer // everything read from stderr
	stdout keepalivetest.Buffer
	exited chan error
}

// startLogin starts the binary with env added to h.env.
func startLogin(t *testing.T, h *home, env []string, args ...string) *loginRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	r := &loginRun{t: t, h: h, lines: make(chan string, 100), exited: make(chan error, 1)}
	r.cmd = exec.CommandContext(ctx, binary, args...)
	r.cmd.Env = append(append([]string{}, h.env...), env...)
	r.cmd.Stdout = &r.stdout
	var err error
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	pipe, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			r.stderr.Write([]byte(sc.Text() + "\n"))
			r.lines <- sc.Text()
		}
		close(r.lines)
		r.exited <- r.cmd.Wait()
	}()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		h.mu.Lock()
		h.outputs = append(h.outputs, r.stdout.String(), r.stderr.String())
		h.mu.Unlock()
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout.String(), r.stderr.String())
		}
	})
	return r
}

// await returns the first stderr line that matches re, with its groups.
func (r *loginRun) await(re string) []string {
	r.t.Helper()
	rx := regexp.MustCompile(re)
	for l := range r.lines {
		if m := rx.FindStringSubmatch(l); m != nil {
			return m
		}
	}
	r.t.Fatalf("the command ended without a line matching %q", re)
	return nil
}

// wait returns the exit code.
func (r *loginRun) wait() int {
	r.t.Helper()
	for range r.lines { // drain
	}
	err := <-r.exited
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	r.t.Fatal(err)
	return -1
}

// TestLoginWithoutBrowserOpener: with no browser opener on PATH, login
// does not give up: it prints the URL, keeps listening, says how long and
// how to stop, and completes when the URL is opened.
func TestLoginWithoutBrowserOpener(t *testing.T) {
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work"))
	r := startLogin(t, h, []string{"PATH=" + t.TempDir()}, "login", "work")
	r.await(`^No browser could be opened \(no xdg-open, x-www-browser or www-browser is installed\)\.$`)
	url := r.await(`^  (http\S+)$`)[1]
	r.await(`^Waiting for you to sign in in the browser… \(Ctrl-C to cancel; gives up after 5 min\)$`)
	if err := (&oauthtest.Browser{}).Open(url); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if out := r.stdout.String(); !strings.HasPrefix(out, "work: signed in") || !strings.Contains(out, "expires in 59m") {
		t.Errorf("stdout %q", out)
	}
	h.assertNoLeaks()
}

// TestLoginBadPasteAsksAgain: a paste that is not accepted, including a
// code the server rejects, asks again; the right one then signs in.
func TestLoginBadPasteAsksAgain(t *testing.T) {
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work"))
	r := startLogin(t, h, nil, "login", "work", "--no-browser")
	url := r.await(`^  (http\S+)$`)[1]
	remote := &oauthtest.Browser{NoFollow: true}
	if err := remote.Open(url); err != nil {
		t.Fatal(err)
	}
	code, _, _ := strings.Cut(strings.SplitN(remote.Last().Redirect, "code=", 2)[1], "&")
	io.WriteString(r.stdin, "no good?\n")
	r.await(`^Not accepted: `)
	r.await(`^Paste the address again \(or just the code\):$`)
	io.WriteString(r.stdin, "not-the-code\n")
	if m := r.await(`^Not accepted: (.*)`); !strings.Contains(m[1], "did not accept the pasted code") {
		t.Errorf("rejected code explained as %q", m[1])
	}
	r.await(`^Paste the address again`)
	io.WriteString(r.stdin, code+"\n")
	if c := r.wait(); c != 0 {
		t.Fatalf("exit %d", c)
	}
	if !strings.HasPrefix(r.stdout.String(), "work: signed in") {
		t.Errorf("stdout %q", r.stdout.String())
	}
}

// TestLoginCtrlC: Ctrl-C says "sign-in cancelled" and exits 130.
func TestLoginCtrlC(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	h.writeConfig(h.ownedAccount("work"))
	r := startLogin(t, h, []string{"PATH=" + t.TempDir()}, "login", "work")
	r.await(`^Waiting for you to sign in`)
	r.cmd.Process.Signal(syscall.SIGINT)
	r.await(`^sign-in cancelled$`)
	if code := r.wait(); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	if s := r.stderr.String(); strings.Contains(s, "WARN") || strings.Contains(s, "level=") {
		t.Errorf("log records on the terminal:\n%s", s)
	}
}

// deviceAccount is an owned account with the fake issuer's device
// endpoint.
func (h *home) deviceAccount(name, extra string) string {
	return fmt.Sprintf("[account.%s]\nclient_id = %q\ntoken_url = %q\ndevice_authorization_url = %q\n%s\n",
		name, oauthtest.DefaultClientID, h.iss.TokenURL(), h.iss.DeviceAuthorizationURL(), extra)
}

// TestLoginDevice: the device authorization grant against the fake
// issuer, as the user would see it: the page and the code, then the end
// the user chose on the page.
func TestLoginDevice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		decide func(iss *oauthtest.Issuer, code string) error
		exit   int
		want   string // on stdout (exit 0) or stderr
	}{
		{"approve", (*oauthtest.Issuer).ApproveDevice, 0, "work: signed in, expires in 59m"},
		{"deny", (*oauthtest.Issuer).DenyDevice, 1, "tokentray: work: the sign-in was denied on the verification page"},
		{"expire", (*oauthtest.Issuer).ExpireDevice, 1, "tokentray: work: the code expired before it was approved; run 'tokentray login work --device' again"},
		{"slow_down", func(iss *oauthtest.Issuer, code string) error {
			if err := iss.SlowDownDevice(code, 1); err != nil {
				return err
			}
			return iss.ApproveDevice(code)
		}, 0, "work: signed in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHome(t, oauthtest.Options{AccessTTL: time.Hour, DeviceInterval: time.Second})
			h.writeConfig(h.deviceAccount("work", ""))
			r := startLogin(t, h, nil, "login", "work", "--device")
			r.await(`^To sign in work, open this page on any device:$`)
			if page := r.await(`^  (\S+)$`)[1]; page != h.iss.VerificationURL() {
				t.Errorf("verification page %q", page)
			}
			code := r.await(`^and enter the code:  (\S+)$`)[1]
			r.await(`^\(Or open \S+user_code=\S+, which has the code filled in\.\)$`)
			r.await(`^Waiting for you to approve… \(Ctrl-C to cancel; the code expires in 10 min\)$`)
			if err := tc.decide(h.iss, code); err != nil {
				t.Fatal(err)
			}
			if got := r.wait(); got != tc.exit {
				t.Fatalf("exit %d, want %d", got, tc.exit)
			}
			out := r.stdout.String()
			if tc.exit != 0 {
				out = r.stderr.String()
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output %q, want %q", out, tc.want)
			}
			st := h.iss.Stats()
			if tc.name == "slow_down" {
				// One slow_down, and no more: the client waited 5 s longer.
				if iv, _ := h.iss.DeviceInterval(code); st.DeviceSlowDowns != 1 || iv != 6*time.Second || st.DeviceGrants != 1 {
					t.Errorf("slow_downs %d, interval %s, grants %d", st.DeviceSlowDowns, iv, st.DeviceGrants)
				}
			}
			if tc.exit == 0 {
				if rec, err := h.store.Load("work"); err != nil || !h.iss.Valid(rec.AccessToken.Reveal()) {
					t.Errorf("stored login: %v", err)
				}
			} else if _, err := os.Stat(h.store.Path("work")); !os.IsNotExist(err) {
				t.Errorf("a login was stored: %v", err)
			}
			h.assertNoLeaks()
		})
	}
}

// TestLoginWithoutDisplay: without a display, login uses the device grant
// by itself when the server offers it, and the printed browser URL (with
// the paste) when it does not.
func TestLoginWithoutDisplay(t *testing.T) {
	noDisplay := []string{"DISPLAY=", "WAYLAND_DISPLAY="}
	t.Run("device offered", func(t *testing.T) {
		h := newHome(t, oauthtest.Options{AccessTTL: time.Hour, DeviceInterval: time.Second})
		h.writeConfig(h.deviceAccount("work", fmt.Sprintf("authorize_url = %q", h.iss.AuthorizeURL())))
		r := startLogin(t, h, noDisplay, "login", "work")
		code := r.await(`^and enter the code:  (\S+)$`)[1]
		h.iss.ApproveDevice(code)
		if c := r.wait(); c != 0 {
			t.Fatalf("exit %d", c)
		}
	})
	t.Run("no device endpoint", func(t *testing.T) {
		h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
		h.writeConfig(h.ownedAccount("work"))
		r := startLogin(t, h, append(noDisplay, "PATH="+t.TempDir()), "login", "work")
		url := r.await(`^  (http\S+)$`)[1]
		if err := (&oauthtest.Browser{}).Open(url); err != nil {
			t.Fatal(err)
		}
		if c := r.wait(); c != 0 {
			t.Fatalf("exit %d", c)
		}
	})
}

// TestAddWithDevice: `add … --device` writes the account and signs it in
// with the device grant found by discovery.
func TestAddWithDevice(t *testing.T) {
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour, DeviceInterval: time.Second})
	r := startLogin(t, h, nil, "add", "work", "--issuer", h.iss.URL(), "--client-id", oauthtest.DefaultClientID,
		"--scope", "openid", "--device")
	code := r.await(`^and enter the code:  (\S+)$`)[1]
	if err := h.iss.ApproveDevice(code); err != nil {
		t.Fatal(err)
	}
	if c := r.wait(); c != 0 {
		t.Fatalf("exit %d", c)
	}
	if out := r.stdout.String(); !strings.Contains(out, "Added account \"work\"") || !strings.Contains(out, "work: signed in as user-1") {
		t.Errorf("stdout %q", out)
	}
	if st := h.iss.Stats(); st.DeviceGrants != 1 || st.Authorizations != 0 {
		t.Errorf("issuer stats %+v", st)
	}
}
