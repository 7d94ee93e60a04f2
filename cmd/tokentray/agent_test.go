//go:build !windows

package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/agent"
	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// startInstance runs `tokentray run --headless` and waits until its agent
// answers. stop ends it (SIGTERM) and waits for its exit; the test's
// cleanup calls it too.
func startInstance(t *testing.T, h *home) (stop func()) {
	t.Helper()
	cmd := exec.Command(binary, "run", "--headless")
	cmd.Env = h.env
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = sync.OnceFunc(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		h.outputs = append(h.outputs, out.String())
	})
	t.Cleanup(stop)
	addr := agent.Address(filepath.Join(h.root, "run", "tokentray"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := agent.Connect(context.Background(), addr); err == nil {
			return stop
		}
		select {
		case err := <-exited:
			t.Fatalf("run exited: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the instance's agent never answered at %s\n%s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCommandsAskTheRunningInstance: with an instance running, token,
// exec, git-credential, refresh and status get their answers from it and
// do not touch the token files. The commands are given another data
// directory holding a decoy token file: reading the files themselves,
// they would print the decoy (or find no login).
func TestCommandsAskTheRunningInstance(t *testing.T) {
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work") + "git_hosts = [\"git.example.test\"]\n")
	access := h.signIn("work").AccessToken.Reveal()
	stop := startInstance(t, h)

	decoyDir := filepath.Join(t.TempDir(), "data")
	decoy := store.Open(filepath.Join(decoyDir, "tokentray", "tokens"))
	decoyTok := oauthflow.Token{AccessToken: "decoy-access", RefreshToken: "decoy-refresh", Expiry: time.Now().Add(time.Hour), ObtainedAt: time.Now()}
	decoy.Update(context.Background(), "work", func(*store.Record) (*store.Record, error) { return store.NewRecord(&decoyTok), nil })
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.Chtimes(decoy.Path("work"), old, old)
	realEnv := h.env
	h.env = append(append([]string{}, h.env...), "XDG_DATA_HOME="+decoyDir)

	if out := strings.TrimSpace(h.mustRun("token", "work")); out != access {
		t.Fatalf("token beside a running instance: decoy %v, want the instance's token", out == "decoy-access")
	}
	if out := strings.TrimSpace(h.mustRun("token", "work", "--format", "header")); out != "Authorization: Bearer "+access {
		t.Fatalf("token --format header beside a running instance: %q", strings.ReplaceAll(out, access, "<token>"))
	}
	got := filepath.Join(t.TempDir(), "got")
	h.mustRun("exec", "work", "--", "sh", "-c", `printf %s "$ACCESS_TOKEN" > "$0"`, got)
	if data, _ := os.ReadFile(got); string(data) != access {
		t.Fatal("exec beside a running instance did not get the instance's token")
	}
	cmd := exec.Command(binary, "git-credential", "get")
	cmd.Env, cmd.Stdin = h.env, strings.NewReader("protocol=https\nhost=git.example.test\n\n")
	out, err := cmd.Output()
	if err != nil || parseCred(string(out))["password"] != access {
		t.Fatalf("git-credential beside a running instance: %v", err)
	}
	// refresh --force: the instance refreshes (one grant) and stores it in
	// the real directory.
	if out := h.mustRun("refresh", "--force", "work"); !strings.Contains(out, "work: refreshed") || h.iss.Stats().Refreshes != 1 {
		t.Fatalf("refresh beside a running instance: %q, %d refreshes", out, h.iss.Stats().Refreshes)
	}
	if st := h.statuses(); st["work"] != "ok" {
		t.Fatalf("status beside a running instance: %v", st)
	}
	next := strings.TrimSpace(h.mustRun("token", "work"))
	if next == access || !h.iss.Valid(next) {
		t.Fatal("token after the instance refreshed: not the new token")
	}
	if rec, err := store.Open(filepath.Join(h.root, "data", "tokentray", "tokens")).Load("work"); err != nil || rec.AccessToken.Reveal() != next {
		t.Fatalf("the instance did not store the refreshed token: %v", err)
	}
	rec, err := decoy.Load("work")
	fi, _ := os.Stat(decoy.Path("work"))
	if err != nil || rec.AccessToken != "decoy-access" || !fi.ModTime().Equal(old) {
		t.Fatalf("the decoy token file was touched: %v, mtime %v", err, fi.ModTime())
	}
	if n := h.iss.Stats().Refreshes; n != 1 {
		t.Fatalf("%d refreshes, want the one forced", n)
	}

	// Without the instance, the same command works on the files: it
	// prints the token the instance stored there.
	stop()
	h.env = realEnv
	if _, err := agent.Connect(context.Background(), agent.Address(filepath.Join(h.root, "run", "tokentray"))); !errors.Is(err, agent.ErrNotRunning) {
		t.Fatalf("the instance still answers after it was stopped: %v", err)
	}
	if out := strings.TrimSpace(h.mustRun("token", "work")); out != next {
		t.Fatal("token without the instance: not the token the instance stored")
	}
	h.assertNoLeaks()
}

// TestAgentSocketMode: the socket is the user's own, mode 0600. (A
// process of another user that reaches it anyway is refused by the agent's
// peer check: TestAgentRefusesOtherUsers in keepalive/agent.)
func TestAgentSocketMode(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	h.writeConfig(h.ownedAccount("work"))
	startInstance(t, h)
	fi, err := os.Stat(agent.Address(filepath.Join(h.root, "run", "tokentray")))
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("agent socket: %v %v", fi.Mode(), err)
	}
}

// TestAddAndRemoveReachTheRunningInstance: the tray shows an added
// account, and stops showing a removed one, without a restart.
func TestAddAndRemoveReachTheRunningInstance(t *testing.T) {
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work"))
	h.signIn("work")
	startInstance(t, h)
	shows := func(name string) bool {
		_, ok := h.statuses()[name]
		return ok
	}
	_, errOut, code := h.run("add", "new", "--issuer", h.iss.URL(), "--client-id", oauthtest.DefaultClientID, "--no-login")
	if code != 0 {
		t.Fatalf("add: exit %d %s", code, errOut)
	}
	if errOut != "" {
		t.Errorf("add beside a running instance: %q", errOut)
	}
	keepalivetest.Eventually(t, "the running instance to show the added account", func() bool { return shows("new") })
	if _, errOut, code := h.run("remove", "work"); code != 0 || errOut != "" {
		t.Fatalf("remove: exit %d %q", code, errOut)
	}
	keepalivetest.Eventually(t, "the running instance to drop the removed account", func() bool { return !shows("work") })
	h.assertNoLeaks()
}

// statuses is `status --json`: the status of every account by name.
func (h *home) statuses() map[string]string {
	h.t.Helper()
	out, errOut, _ := h.run("status", "--json")
	var doc struct {
		Running  bool `json:"running"`
		Accounts []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		h.t.Fatalf("status --json: %v\n%s%s", err, out, errOut)
	}
	m := map[string]string{}
	for _, a := range doc.Accounts {
		m[a.Name] = a.Status
	}
	return m
}
