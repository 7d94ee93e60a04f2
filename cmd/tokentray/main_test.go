package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// binary is the real tokentray executable, built once for the
// cross-process tests.
var binary string

func TestMain(m *testing.M) {
	// The Windows CI stage runs this test binary under Wine, where there
	// is no go command: it hands over a tokentray.exe built beside it.
	if b := os.Getenv("TOKENTRAY_TEST_BINARY"); b != "" {
		binary = b
		os.Exit(m.Run())
	}
	// Not in a temporary folder: start at login refuses a program there.
	base := ""
	if cache, err := os.UserCacheDir(); err == nil && os.MkdirAll(cache, 0o700) == nil {
		base = cache
	}
	dir, err := os.MkdirTemp(base, "tokentray-test-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tokentray")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	build := exec.Command("go", "build", "-o", binary, ".")
	if runtime.GOOS == "linux" {
		build.Env = append(os.Environ(), "CGO_ENABLED=0") // as make build does
	}
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building tokentray:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// home is a user's environment for the binary: its own HOME and XDG dirs.
type home struct {
	t      testing.TB
	root   string
	env    []string
	iss    *oauthtest.Issuer
	store  *store.Dir
	config string
	// outputs collects everything the binary printed, for the leak check.
	mu      sync.Mutex
	outputs []string
}

func newHome(t testing.TB, opts oauthtest.Options) *home {
	t.Helper()
	iss, err := oauthtest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	root := testfs.TempDir(t)
	h := &home{t: t, root: root, iss: iss}
	h.env = append(os.Environ(),
		"HOME="+root,
		"XDG_CONFIG_HOME="+filepath.Join(root, "config"),
		"XDG_DATA_HOME="+filepath.Join(root, "data"),
		"XDG_STATE_HOME="+filepath.Join(root, "state"),
		"XDG_RUNTIME_DIR="+filepath.Join(root, "run"),
		"DBUS_SESSION_BUS_ADDRESS=disabled:",
		// A display, as on a desktop: login chooses the browser flow (the
		// browser is a fake xdg-open). noDisplay removes it.
		"DISPLAY=:99", "WAYLAND_DISPLAY=",
		// Windows ignores HOME and XDG_*.
		"USERPROFILE="+root,
		"APPDATA="+filepath.Join(root, "config"),
		"LOCALAPPDATA="+filepath.Join(root, "data"),
	)
	h.store = store.Open(filepath.Join(root, "data", "tokentray", "tokens")) // the same on Windows
	h.config = filepath.Join(root, "config", "tokentray", "config.toml")
	return h
}

// stateDir is where the binary keeps its log and status file:
// $XDG_STATE_HOME/tokentray, on Windows %LocalAppData%\tokentray\logs.
func (h *home) stateDir() string {
	if runtime.GOOS == "windows" {
		return filepath.Join(h.root, "data", "tokentray", "logs")
	}
	return filepath.Join(h.root, "state", "tokentray")
}

func (h *home) writeConfig(text string) {
	h.t.Helper()
	os.MkdirAll(filepath.Dir(h.config), 0o700)
	if err := os.WriteFile(h.config, []byte(text), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// ownedAccount configures an account against the fake issuer.
func (h *home) ownedAccount(name string) string {
	return fmt.Sprintf("[account.%s]\nclient_id = %q\nauthorize_url = %q\ntoken_url = %q\n\n",
		name, oauthtest.DefaultClientID, h.iss.URL()+"/authorize", h.iss.TokenURL())
}

// signIn stores a fresh login for account, as a sign-in would.
func (h *home) signIn(account string) oauthflow.Token {
	tok := h.iss.Mint(oauthtest.DefaultClientID, "")
	_, err := h.store.Update(context.Background(), account, func(*store.Record) (*store.Record, error) {
		return store.NewRecord(&tok), nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// run runs the binary and returns stdout, stderr and the exit code.
func (h *home) run(args ...string) (string, string, int) {
	h.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = h.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	if len(args) == 0 || args[0] != "token" {
		h.outputs = append(h.outputs, out.String())
	}
	h.outputs = append(h.outputs, errb.String())
	h.mu.Unlock()
	return out.String(), errb.String(), code
}

// assertNoLeaks searches every output and the log for any token the issuer
// ever handed out.
func (h *home) assertNoLeaks() {
	h.t.Helper()
	logs, _ := filepath.Glob(filepath.Join(h.stateDir(), "*"))
	texts := append([]string{}, h.outputs...)
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		texts = append(texts, string(data))
	}
	secrets := h.iss.IssuedSecrets()
	if len(secrets) == 0 {
		h.t.Fatal("the issuer handed out nothing: the leak check would be empty")
	}
	for _, s := range secrets {
		for _, text := range texts {
			if strings.Contains(text, s) {
				h.t.Fatalf("a token leaked into output or log:\n%s", text)
			}
		}
	}
}

func TestStatusAndTokenAgainstFakeIssuer(t *testing.T) {
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work") + h.ownedAccount("idle"))
	first := h.signIn("work")

	// idle is not signed in: status says what to do and exits 1.
	out, errOut, code := h.run("status")
	if code != 1 {
		t.Fatalf("status exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Instance:       not running", "NAME", "work", "owned", "ok", "in 59m", "idle", "needs sign-in", "→ tokentray login idle (not signed in)"} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}

	// A fresh token is printed as is, without a refresh.
	out, _, code = h.run("token", "work")
	if code != 0 || strings.TrimSpace(out) != first.AccessToken.Reveal() || h.iss.Stats().Refreshes != 0 {
		t.Fatalf("token: exit %d, %d refreshes", code, h.iss.Stats().Refreshes)
	}

	// A forced refresh rotates; token then prints the new one.
	out, errOut, code = h.run("refresh", "--force", "work")
	if code != 0 || !strings.Contains(out, "work: refreshed, expires in") {
		t.Fatalf("refresh: exit %d\n%s%s", code, out, errOut)
	}
	out, _, _ = h.run("token", "work")
	if tok := strings.TrimSpace(out); tok == first.AccessToken.Reveal() || !h.iss.Valid(tok) {
		t.Fatal("token after refresh is not the new valid token")
	}

	// Not signed in: a clear message and exit 2 (retrying will not help).
	out, errOut, code = h.run("token", "idle")
	if code != 2 || out != "" || !strings.Contains(errOut, "tokentray login idle") {
		t.Errorf("token idle: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// JSON status.
	out, _, _ = h.run("status", "--json")
	var snap struct {
		Schema   int
		Running  bool
		Accounts []struct {
			Name, Source, Status string
		}
	}
	if err := json.Unmarshal([]byte(out), &snap); err != nil || snap.Schema != 1 || snap.Running || len(snap.Accounts) != 2 {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	for _, a := range snap.Accounts {
		if want := map[string]string{"work": "ok", "idle": "needs sign-in"}[a.Name]; a.Status != want || a.Source != "owned" {
			t.Errorf("status --json: %+v", a)
		}
	}
	// status NAME shows that account only; work alone is fine: exit 0.
	out, _, code = h.run("status", "work")
	if code != 0 || strings.Contains(out, "idle") || !strings.Contains(out, "work") {
		t.Errorf("status work: exit %d\n%s", code, out)
	}
	// A dead login: invalid_grant makes refresh fail with exit 1 and the
	// account needs sign-in.
	h.iss.RevokeAll()
	out, _, code = h.run("refresh", "--force", "work")
	if code != 1 || !strings.Contains(out, "needs sign-in") || !strings.Contains(out, "invalid_grant") {
		t.Errorf("refresh of a revoked login: exit %d\n%s", code, out)
	}
	h.assertNoLeaks()
}

func TestMalformedStoreReportedAndUntouched(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	h.writeConfig(h.ownedAccount("work"))
	path := h.store.Path("work")
	os.MkdirAll(filepath.Dir(path), 0o700)
	bad := []byte("{\"access_token\": \"at-123\", \"refresh_token\": [}")
	os.WriteFile(path, bad, 0o600)
	st0, _ := os.Stat(path)
	out, _, _ := h.run("status")
	if !strings.Contains(out, "broken") || !strings.Contains(out, "malformed token file") {
		t.Errorf("status:\n%s", out)
	}
	_, _, code := h.run("refresh", "--force")
	if code == 0 {
		t.Error("refresh of a malformed store succeeded")
	}
	_, errOut, code := h.run("token", "work")
	if code == 0 || !strings.Contains(errOut, "malformed") {
		t.Errorf("token: exit %d %s", code, errOut)
	}
	data, _ := os.ReadFile(path)
	st1, _ := os.Stat(path)
	if !bytes.Equal(data, bad) || !st1.ModTime().Equal(st0.ModTime()) || h.iss.Stats().Requests != 0 {
		t.Error("the malformed file was modified or a refresh was sent")
	}
	for _, o := range h.outputs {
		if strings.Contains(o, "at-123") {
			t.Errorf("file contents leaked: %s", o)
		}
	}
}

func TestBadConfigIsOneClearError(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	h.writeConfig("[account.work]\nissuer = \"https://idp.example\"\n")
	_, errOut, code := h.run("status")
	want := h.config + `:1: account "work".client_id: is required`
	if code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("exit %d, stderr %q, want %q", code, errOut, want)
	}
}

func TestNoConfigExplainsHowToAdd(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	out, _, code := h.run("status")
	if code != 0 || !strings.Contains(out, "No accounts are configured") || !strings.Contains(out, "[account.work]") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// TestConcurrentRefreshProcesses is the race that logs people out: several
// processes refreshing one rotating refresh token. With the store's lock
// and re-read, the issuer must never see a replayed token.
func TestConcurrentRefreshProcesses(t *testing.T) {
	procs, rounds := 4, 50
	if testfs.UnderWine() {
		// Wine starts a process in ~0.3 s, not ~3 ms: a short version (the
		// Windows stage's smoke runs more of them).
		rounds = 5
	}
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work"))
	h.signIn("work")
	for round := range rounds {
		var wg sync.WaitGroup
		for range procs {
			wg.Go(func() {
				out, errOut, code := h.run("refresh", "--force", "work")
				if code != 0 {
					t.Errorf("round %d: exit %d\n%s%s", round, code, out, errOut)
				}
			})
		}
		wg.Wait()
		data, err := os.ReadFile(h.store.Path("work"))
		if err != nil || !json.Valid(data) {
			t.Fatalf("round %d: token file invalid: %v", round, err)
		}
		if t.Failed() {
			break
		}
	}
	s := h.iss.Stats()
	if s.Rejected != 0 || s.ReuseDetected != 0 || s.FamiliesRevoked != 0 || s.Succeeded != procs*rounds {
		t.Errorf("issuer stats after %d concurrent refreshes: %+v", procs*rounds, s)
	}
	rec, err := h.store.Load("work")
	if err != nil || !h.iss.Valid(rec.AccessToken.Reveal()) {
		t.Errorf("final stored token invalid: %v", err)
	}
	h.assertNoLeaks()
}

func TestSingleInstance(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	h.writeConfig(h.ownedAccount("work"))
	// An overdue login whose refresh fails: the running instance retries,
	// which only it knows (the file alone says "due").
	h.signIn("work")
	h.store.Update(context.Background(), "work", func(cur *store.Record) (*store.Record, error) {
		cur.ObtainedAt, cur.Expiry = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)
		return cur, nil
	})
	h.iss.FailAll(oauthtest.Fault{Kind: oauthtest.ServerError})
	cmd := exec.Command(binary, "run", "--headless")
	cmd.Env = h.env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// The running instance publishes its status file once it holds the lock.
	status := filepath.Join(h.stateDir(), "status.json")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := os.Stat(status); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first instance never wrote its status file")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, binary, "run", "--headless")
	second.Env = h.env
	out, err := second.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "already running") {
		t.Fatalf("second instance: %v\n%s", err, out)
	}
	// CLI commands still work beside it, and see the running instance's view.
	deadline = time.Now().Add(15 * time.Second)
	for {
		data, _ := os.ReadFile(status)
		if strings.Contains(string(data), `"retrying"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the instance never retried:\n%s", data)
		}
		time.Sleep(20 * time.Millisecond)
	}
	out2, errOut, code := h.run("status", "-o", "wide", "--config", h.config)
	if code != 0 || !strings.Contains(out2, "Instance:       running, pid "+strconv.Itoa(cmd.Process.Pid)) ||
		!strings.Contains(out2, "retrying") || !strings.Contains(out2, "retry 2 in") || !strings.Contains(out2, "503") {
		t.Errorf("status beside a running instance: %d %s%s", code, out2, errOut)
	}
	// SIGTERM stops it cleanly and removes the status file.
	if runtime.GOOS == "windows" {
		t.Log("no SIGTERM on Windows: the instance is killed")
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("instance exit after SIGTERM: %v", err)
	}
	if _, err := os.Stat(status); !os.IsNotExist(err) {
		t.Errorf("status file left behind: %v", err)
	}
}

// TestRunWithNothingToKeepAlive: run says that there is nothing to do, how
// to add an account and how to stop, instead of sitting silent.
func TestRunWithNothingToKeepAlive(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	cmd := exec.Command(binary, "run", "--headless")
	cmd.Env = h.env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var text strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		text.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "Ctrl-C stops it") {
			break
		}
	}
	for _, want := range []string{"nothing to keep alive", h.config, "tokentray add NAME --issuer URL --client-id ID", "Ctrl-C stops it"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("run without accounts lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "level=") {
		t.Errorf("a log record on the terminal without --verbose:\n%s", text.String())
	}
	if runtime.GOOS == "windows" {
		t.Log("no SIGTERM on Windows: the instance is killed")
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

// TestCtrlCExits130: a command interrupted by Ctrl-C says so in one line
// and exits 130, as shells expect.
func TestCtrlCExits130(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("os.Interrupt cannot be sent to a process on Windows")
	}
	h := newHome(t, oauthtest.Options{})
	h.writeConfig(h.ownedAccount("work"))
	cmd := exec.Command(binary, "login", "work", "--no-browser")
	cmd.Env = h.env
	stdin, _ := cmd.StdinPipe() // kept open: the sign-in waits for a paste
	defer stdin.Close()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), h.iss.AuthorizeURL()) {
	}
	cmd.Process.Signal(os.Interrupt)
	var rest strings.Builder
	for sc.Scan() {
		rest.WriteString(sc.Text() + "\n")
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("exit %v, want 130\n%s", err, rest.String())
	}
	if !strings.Contains(rest.String(), "cancelled") || strings.Contains(rest.String(), "level=") {
		t.Errorf("after Ctrl-C:\n%s", rest.String())
	}
}
