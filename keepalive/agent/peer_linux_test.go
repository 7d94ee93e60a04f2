package agent_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/agent"
	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/keepalive/store"
)

// peerEnv makes the test binary a client of the agent at its address: it
// asks for the status and prints "answered" or "refused: …".
const peerEnv = "TOKENTRAY_AGENT_PEER_ADDR"

func TestMain(m *testing.M) {
	if addr := os.Getenv(peerEnv); addr != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := agent.Connect(ctx, addr)
		if err == nil {
			_, err = c.Status(ctx)
		}
		if err != nil {
			fmt.Println("refused:", err)
		} else {
			fmt.Println("answered")
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestAgentRefusesOtherUsers: a process of another user that can reach
// the socket (here its mode is opened up on purpose) gets no answer; the
// same client as the agent's user does. It needs root, to start the
// client as another user.
func TestAgentRefusesOtherUsers(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	// A directory every user can reach, holding the socket and a copy
	// of this test binary that every user can run.
	dir, err := os.MkdirTemp("", "agentpeer")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	client := filepath.Join(dir, "client")
	if err := os.WriteFile(client, bin, 0o755); err != nil {
		t.Fatal(err)
	}

	addr := filepath.Join(dir, "run", "agent.sock")
	ln, err := agent.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	// Only the peer check is left between another user and the agent.
	os.Chmod(filepath.Dir(addr), 0o755)
	os.Chmod(addr, 0o666)
	var logs keepalivetest.Buffer
	eng := keepalive.New(keepalive.Options{Store: store.Open(filepath.Join(dir, "tokens"))}, nil)
	srv := &agent.Server{Service: agent.Local{Engine: eng}, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })

	run := func(cred *syscall.Credential) string {
		t.Helper()
		cmd := exec.Command(client)
		cmd.Env = append(os.Environ(), peerEnv+"="+addr)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("client (%+v): %v\n%s", cred, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if out := run(nil); out != "answered" {
		t.Fatalf("the agent's own user: %q", out)
	}
	if out := run(&syscall.Credential{Uid: 65534, Gid: 65534}); !strings.HasPrefix(out, "refused:") {
		t.Fatalf("another user: %q", out)
	}
	if !strings.Contains(logs.String(), "peer runs as user 65534, not 0") {
		t.Errorf("the refusal is not logged:\n%s", logs.String())
	}
}
