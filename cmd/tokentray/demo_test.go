//go:build linux

package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// TestDemoHeadlessCycle runs `tokentray demo --headless` with a fast
// schedule and watches the whole cycle: flaky fails three refreshes, needs
// sign-in, is signed in again and is healthy. The user's own directories
// stay empty.
func TestDemoHeadlessCycle(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "demo", "--headless",
		"--access-ttl", "3s", "--fail-after", "1s", "--backoff", "1s", "--auto-signin", "200ms")
	cmd.Env = h.env
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	var tmp string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		l := sc.Text()
		lines = append(lines, l)
		if _, after, ok := strings.Cut(l, "log under "); ok {
			tmp, _, _ = strings.Cut(after, " (")
		}
		if strings.Contains(l, "the cycle is complete") {
			break
		}
	}
	out := strings.Join(lines, "\n")
	for _, want := range []string{
		"steady: signed in through the browser flow",
		"flaky: signed in through the browser flow",
		"flaky's issuer now answers 503",
		"flaky refresh failed (attempt 1)",
		"flaky refresh failed (attempt 2)",
		"flaky needs sign-in (3 refreshes failed in a row)",
		"signing flaky in",
		"the cycle is complete",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The story tells each step once.
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			t.Errorf("demo line repeated: %q\n%s", l, out)
		}
		seen[l] = true
	}
	go io.Copy(io.Discard, stdout)
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Errorf("demo exit: %v", err)
	}
	if tmp == "" {
		t.Fatal("the demo did not say where its files are")
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("demo dir %s left behind: %v", tmp, err)
	}
	// Nothing was written in the user's config, data or state dirs.
	for _, d := range []string{"config", "data", "state", "run"} {
		if entries, _ := os.ReadDir(filepath.Join(h.root, d)); len(entries) != 0 {
			t.Errorf("the demo wrote into the user's %s dir", d)
		}
	}
}
