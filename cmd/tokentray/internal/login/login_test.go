package login

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/iostreams"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// After a while without an answer from the browser, the terminal explains
// what an error shown only in the browser usually means, and which
// redirect URI to register.
func TestHintOnBrowserOnlyErrors(t *testing.T) {
	iss, err := oauthtest.Start(oauthtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	root := testfs.TempDir(t)
	for k, v := range map[string]string{"HOME": root, "XDG_CONFIG_HOME": filepath.Join(root, "config"),
		"XDG_DATA_HOME": filepath.Join(root, "data"), "XDG_STATE_HOME": filepath.Join(root, "state"),
		"PATH": testfs.TempDir(t), "DISPLAY": ":99"} {
		t.Setenv(k, v)
	}
	cfg := filepath.Join(root, "tokentray.toml")
	err = os.WriteFile(cfg, []byte("[account.work]\nclient_id = \""+oauthtest.DefaultClientID+"\"\nauthorize_url = \""+
		iss.AuthorizeURL()+"\"\ntoken_url = \""+iss.TokenURL()+"\"\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer func(d time.Duration) { hintAfter = d }(hintAfter)
	hintAfter = 10 * time.Millisecond

	stdin, _ := io.Pipe()
	errRead, errOut := io.Pipe()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(errRead)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	f := &cmdutil.Factory{IO: &iostreams.IOStreams{In: stdin, Out: io.Discard, ErrOut: errOut}, ConfigPath: cfg}
	if err := f.Setup(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- SignIn(ctx, f, f.Engine(cmdutil.OwnedOnly), "work", How{}) }()
	var seen []string
	next := func(want string) {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("no line with %q in:\n%s", want, strings.Join(seen, "\n"))
				}
				seen = append(seen, l)
				if strings.Contains(l, want) {
					return
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("no line with %q within 20 s in:\n%s", want, strings.Join(seen, "\n"))
			}
		}
	}
	next("Still waiting.")
	next("register http://127.0.0.1/callback (any port)")
	next("Fix the account in " + cfg)
	cancel()
	next("sign-in cancelled")
	var se cmdutil.SilentError
	if err := <-done; !errors.As(err, &se) || se.Code != cmdutil.ExitCancelled {
		t.Errorf("after Ctrl-C: %v", err)
	}
}

func TestRedirectToRegister(t *testing.T) {
	for _, tc := range []struct {
		r    oauthflow.Redirect
		want string
	}{
		{oauthflow.Redirect{}, "http://127.0.0.1/callback (any port)"},
		{oauthflow.Redirect{Host: "localhost", Port: 8765, Path: "/cb"}, "http://localhost:8765/cb"},
		{oauthflow.Redirect{Host: "[::1]"}, "http://[::1]/callback (any port)"},
		{oauthflow.Redirect{Host: "::1", Port: 9000}, "http://[::1]:9000/callback"},
	} {
		if got := redirectToRegister(tc.r); got != tc.want {
			t.Errorf("redirectToRegister(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestSignedInLine(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	st := keepalive.Account{Name: "work", User: "bob@example.com", Expiry: now.Add(time.Hour)}
	for _, tc := range []struct {
		prev string
		st   keepalive.Account
		want string
	}{
		{"", st, "work: signed in as bob@example.com, expires in 1h"},
		{"Bob@Example.com", st, "work: signed in as bob@example.com, expires in 1h"},
		{"alice@example.com", st, "work: signed in as bob@example.com, expires in 1h\n" +
			"Note: this is a different account than before: work was signed in as alice@example.com."},
		{"alice@example.com", keepalive.Account{Name: "work", NextRefresh: now.Add(30 * time.Minute)}, "work: signed in, expiry unknown (refreshed every check_interval)"},
		// Without a refresh token nothing is refreshed (the warning follows).
		{"", keepalive.Account{Name: "work", State: keepalive.Warning}, "work: signed in, expiry unknown"},
		{"", keepalive.Account{Name: "work", Expiry: now.Add(time.Minute), ExpirySource: oauthflow.ExpiryFromJWT}, "work: signed in, expires in 1m (from the token itself)"},
	} {
		if got := SignedIn("work", tc.prev, tc.st, now); got != tc.want {
			t.Errorf("SignedIn(%q, %+v) = %q, want %q", tc.prev, tc.st, got, tc.want)
		}
	}
}

func TestMethod(t *testing.T) {
	// No display: none on X11/Wayland, and a session over SSH (what counts
	// on Windows and macOS).
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("SSH_CONNECTION", "192.0.2.1 50000 192.0.2.2 22")
	for _, tc := range []struct {
		signIn string
		how    How
		want   keepalive.SignInMethod
	}{
		{"", How{}, keepalive.MethodDeviceIfOffered},
		{"", How{NoBrowser: true}, keepalive.MethodBrowser},
		{"", How{Device: true}, keepalive.MethodDevice},
		{"browser", How{}, keepalive.MethodBrowser},
		{"device", How{}, keepalive.MethodDevice},
	} {
		if got := method(config.Account{SignInMethod: tc.signIn}, tc.how); got != tc.want {
			t.Errorf("method(%q, %+v) = %v, want %v", tc.signIn, tc.how, got, tc.want)
		}
	}
	t.Setenv("DISPLAY", ":0")
	t.Setenv("SSH_CONNECTION", "")
	if got := method(config.Account{}, How{}); got != keepalive.MethodBrowser {
		t.Errorf("with a display: %v", got)
	}
}
