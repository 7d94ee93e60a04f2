package watched

import (
	"context"
	"errors"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/keepalivetest"
)

// fakeOwner puts an executable shell script called name first on PATH.
// body runs after the script records its arguments in the returned file.
func fakeOwner(t *testing.T, name, body string) (argsFile string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("fake owner commands are shell scripts")
	}
	dir := testfs.TempDir(t)
	argsFile = filepath.Join(dir, name+".args")
	script := "#!/bin/sh\necho \"$*\" > '" + argsFile + "'\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	// Whether the owner could open a browser itself depends on these.
	for _, k := range []string{"DISPLAY", "WAYLAND_DISPLAY", "BROWSER"} {
		t.Setenv(k, "")
	}
	return argsFile
}

type opener struct {
	mu   sync.Mutex
	urls []string
	ch   chan string
}

func newOpener() *opener { return &opener{ch: make(chan string, 8)} }

func (o *opener) open(u string) error {
	o.mu.Lock()
	o.urls = append(o.urls, u)
	o.mu.Unlock()
	o.ch <- u
	return nil
}

func (o *opener) opened() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.urls...)
}

func TestLoginActions(t *testing.T) {
	noSecurity(t)
	home := testfs.TempDir(t)
	copyFixture(t, Opencode, "extra-fields.json", filepath.Join(home, ".local", "share", "opencode", "auth.json"))
	writeFile(t, filepath.Join(home, ".aws", "config"), readFixture(t, AWSSSO, "config"))
	copyFixture(t, GCloud, "healthy.json", filepath.Join(home, ".config", "gcloud", "legacy_credentials", "dev@example.com", "adc.json"))
	copyFixture(t, Azure, "healthy.json", filepath.Join(home, ".azure", "msal_token_cache.json"))
	env := Env{GOOS: "linux", Home: home}
	want := map[string]string{
		"claude-code":             "claude auth login",
		"codex":                   "codex login",
		"opencode-anthropic":      "opencode auth login --provider anthropic",
		"opencode-github-copilot": "opencode auth login --provider github-copilot",
		"aws-sso-work":            "aws sso login --sso-session work",
		"aws-sso-legacy":          "aws sso login --profile legacy",
		"azure-alice-example.com": "az login",
		"gcloud-dev-example.com":  "gcloud auth login dev@example.com",
	}
	srcs := Discover(env)
	for name, w := range want {
		s := byName(t, srcs, name)
		argv, url := s.LoginAction()
		if strings.Join(argv, " ") != w || url != "" {
			t.Errorf("%s: %q %q, want %q", name, argv, url, w)
		}
		if s.LoginTerminal != (s.Kind == Opencode || s.Kind == GCloud) {
			t.Errorf("%s: LoginTerminal = %v", name, s.LoginTerminal)
		}
	}
	if argv, url := byName(t, srcs, "gemini").LoginAction(); argv != nil || url != GeminiDocsURL {
		t.Errorf("gemini: %q %q", argv, url)
	}
	s := Source{Kind: Gemini, LoginCommand: []string{"gemini-login-helper", "--x"}}
	if argv, url := s.LoginAction(); strings.Join(argv, " ") != "gemini-login-helper --x" || url != "" {
		t.Errorf("configured: %q %q", argv, url)
	}
}

func TestRunLoginOpensURLWhenBrowserFailed(t *testing.T) {
	const url = "https://claude.ai/oauth/authorize?code=true&client_id=fake&state=abc123"
	args := fakeOwner(t, "claude", `
echo "Opening browser to sign in…"
printf '\033[33mBrowser didn'"'"'t open? Use the url below to sign in:\033[0m\n'
echo
printf '\033[4m`+url+`\033[0m\n'
sleep 2
echo "Login successful."`)
	log := &keepalivetest.Buffer{}
	o := newOpener()
	start := time.Now()
	if err := RunLogin(context.Background(), []string{"claude", "auth", "login"}, log, o.open); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Fatalf("RunLogin waited %v for the sign-in", d)
	}
	select {
	case got := <-o.ch:
		if got != url {
			t.Fatalf("opened %q, want %q", got, url)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("URL not opened")
	}
	keepalivetest.Eventually(t, "the command to finish", func() bool { return strings.Contains(log.String(), "[tokentray] claude: finished") })
	if b, err := os.ReadFile(args); err != nil || strings.TrimSpace(string(b)) != "auth login" {
		t.Fatalf("args = %q, %v", b, err)
	}
	if got := o.opened(); len(got) != 1 {
		t.Fatalf("opened %d times: %q", len(got), got)
	}
	if !strings.Contains(log.String(), "Login successful.") || !strings.Contains(log.String(), "Use the url below") {
		t.Fatalf("log = %q", log.String())
	}
}

func TestRunLoginCodexStyle(t *testing.T) {
	fakeOwner(t, "codex", `
echo "Starting local login server on http://localhost:1455."
echo "If your browser did not open, navigate to this URL to authenticate:"
echo
echo "https://auth.openai.com/oauth/authorize?response_type=code&state=xyz."`)
	o := newOpener()
	if err := RunLogin(context.Background(), []string{"codex", "login"}, &keepalivetest.Buffer{}, o.open); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-o.ch:
		if got != "https://auth.openai.com/oauth/authorize?response_type=code&state=xyz" {
			t.Fatalf("opened %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("URL not opened")
	}
}

func TestRunLoginURLBeforePhrase(t *testing.T) {
	old := fallbackDelay
	fallbackDelay = 100 * time.Millisecond
	t.Cleanup(func() { fallbackDelay = old })
	fakeOwner(t, "opencode", `
echo "Go to: https://console.example.com/oauth?x=1"
echo "If it could not open a browser, use the link above."
sleep 1`)
	o := newOpener()
	if err := RunLogin(context.Background(), []string{"opencode", "auth", "login"}, nil, o.open); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-o.ch:
		if got != "https://console.example.com/oauth?x=1" {
			t.Fatalf("opened %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("URL not opened")
	}
}

func TestRunLoginLeavesBrowserToOwner(t *testing.T) {
	args := fakeOwner(t, "claude", `
echo "Opening https://claude.ai/oauth/authorize?state=1 in your browser"
echo "Waiting for sign-in..."
echo "Could not open https://sentinel.example/after"`)
	log := &keepalivetest.Buffer{}
	o := newOpener()
	if err := RunLogin(context.Background(), []string{"claude", "auth", "login", "--extra"}, log, o.open); err != nil {
		t.Fatal(err)
	}
	// RunLogin opens at most one URL: the last line, which asks for it,
	// is the one opened only if nothing was opened before it.
	select {
	case got := <-o.ch:
		if got != "https://sentinel.example/after" {
			t.Fatalf("opened %q although the owner did not ask", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the URL the owner could not open was not opened")
	}
	if b, _ := os.ReadFile(args); strings.TrimSpace(string(b)) != "auth login --extra" {
		t.Fatalf("args = %q", b)
	}
}

func TestRunLoginFailures(t *testing.T) {
	fakeOwner(t, "codex", `echo "error: unrecognized subcommand 'login'" >&2; exit 3`)
	log := &keepalivetest.Buffer{}
	err := RunLogin(context.Background(), []string{"codex", "login"}, log, nil)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || err.Error() != "codex exited with status 3" {
		t.Fatalf("err = %v, want exit status 3, in words", err)
	}
	if !strings.Contains(log.String(), "unrecognized subcommand") {
		t.Fatalf("stderr not logged: %q", log.String())
	}

	err = RunLogin(context.Background(), []string{"tokentray-no-such-owner-cli"}, nil, nil)
	if !errors.Is(err, exec.ErrNotFound) || !strings.HasPrefix(err.Error(), "tokentray-no-such-owner-cli is not installed") || strings.Contains(err.Error(), "$PATH") {
		t.Fatalf("err = %v, want ErrNotFound, in words", err)
	}
	if err := RunLogin(context.Background(), nil, nil, nil); err == nil {
		t.Fatal("empty argv accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := RunLogin(ctx, []string{"codex"}, nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
}

func TestRunLoginDetached(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	// Field 6 of /proc/PID/stat is the session id; a session leader's
	// equals its pid.
	out := filepath.Join(testfs.TempDir(t), "sid")
	fakeOwner(t, "claude", `set -- $(cat /proc/$$/stat); echo "$1 $6" > '`+out+`'`)
	if err := RunLogin(context.Background(), []string{"claude"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	keepalivetest.Eventually(t, "the script", func() bool { b, _ := os.ReadFile(out); return len(b) > 0 })
	b, _ := os.ReadFile(out)
	f := strings.Fields(string(b))
	if len(f) != 2 || f[0] != f[1] {
		t.Fatalf("pid/sid = %q: not in its own session", b)
	}
}

func TestRunCheck(t *testing.T) {
	ctx := context.Background()
	fakeOwner(t, "claude", `
case "$STATUS" in
in) echo '{"loggedIn": true, "authMethod": "claude.ai", "email": "dev@example.com", "subscriptionType": "max"}' ;;
out) echo '{"loggedIn": false}'; exit 1 ;;
lies) echo '{"loggedIn": false}' ;;
plain) echo "Signed in with token sk-ant-oat01-AAAAbbbb1111CCCCdddd2222" ;;
hang) sleep 30 ;;
esac`)
	cases := []struct {
		status string
		ok     bool
		detail string
	}{
		{"in", true, "logged in as dev@example.com (max)"},
		{"out", false, "exit status 1; not logged in"},
		{"lies", false, "not logged in"},
		{"plain", true, "Signed in with token [redacted]"},
	}
	for _, tc := range cases {
		t.Setenv("STATUS", tc.status)
		ok, detail, err := RunCheck(ctx, []string{"claude", "auth", "status"})
		if err != nil || ok != tc.ok || detail != tc.detail {
			t.Errorf("%s: ok=%v detail=%q err=%v, want %v %q", tc.status, ok, detail, err, tc.ok, tc.detail)
		}
	}
	t.Setenv("STATUS", "hang")
	tctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, _, err := RunCheck(tctx, []string{"claude", "auth", "status"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hang: err = %v", err)
	}
	if _, _, err := RunCheck(ctx, []string{"tokentray-no-such-owner-cli"}); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("missing: err = %v", err)
	}
}

// TestSignInAndWaitReportsTheOutcome: for the CLI the owner's login is
// awaited, so a command that fails late is reported as failed, however
// long it took (RunLogin alone returns after loginGrace).
func TestSignInAndWaitReportsTheOutcome(t *testing.T) {
	defer func(g time.Duration) { loginGrace = g }(loginGrace)
	loginGrace = time.Millisecond // a command slower than the grace, for sure
	dir := testfs.TempDir(t)
	started, release := filepath.Join(dir, "started"), filepath.Join(dir, "release")
	fakeOwner(t, "aws", "touch '"+started+"'\nwhile [ ! -e '"+release+"' ]; do sleep 0.01; done\necho 'Error when retrieving token from sso' >&2\nexit 2")
	go func() {
		keepalivetest.Eventually(t, "the owner's command to start", func() bool { _, err := os.Stat(started); return err == nil })
		os.WriteFile(release, nil, 0o600) // after loginGrace, typically
	}()
	log := &keepalivetest.Buffer{}
	err := SignInAndWait(context.Background(), Source{Kind: AWSSSO, LoginCommand: []string{"aws", "sso", "login"}}, log, nil)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || err.Error() != "aws exited with status 2" {
		t.Fatalf("err = %v, want aws's exit status 2", err)
	}
	if !strings.Contains(log.String(), "Error when retrieving token") {
		t.Errorf("the owner's output: %q", log.String())
	}
}
