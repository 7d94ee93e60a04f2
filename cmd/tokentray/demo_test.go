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
	demoCycle(t, "--headless")
}

// TestDemoWithoutDesktop: `tokentray demo` without a desktop session bus
// says so and completes the cycle by itself, exactly like --headless.
func TestDemoWithoutDesktop(t *testing.T) {
	out := demoCycle(t)
	if !strings.Contains(out, "no desktop session (no D-Bus session bus)") || !strings.Contains(out, "signs flaky in by itself") {
		t.Errorf("the demo does not say it runs headless:\n%s", out)
	}
	if strings.Contains(out, "click the notification") {
		t.Errorf("the demo asks for a click nobody can make:\n%s", out)
	}
}

// demoCycle runs the demo (h.env has no session bus) with a fast schedule
// until the cycle is complete and checks the story: every step, each
// once, and how to stop. It returns the output.
func demoCycle(t *testing.T, args ...string) string {
	h := newHome(t, oauthtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args = append([]string{"demo", "--access-ttl", "3s", "--fail-after", "1s", "--backoff", "1s", "--auto-signin", "200ms"}, args...)
	cmd := exec.CommandContext(ctx, binary, args...)
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
	seen := map[string]bool{}
	for _, l := range lines {
		step, _, _ := strings.Cut(l, ";") // "…(attempt 1); retrying in 290ms"
		if seen[step] && strings.HasPrefix(l, "demo:") {
			t.Errorf("story line %q told twice:\n%s", step, out)
		}
		seen[step] = true
	}
	if !strings.Contains(out, "Press Ctrl-C to stop") {
		t.Errorf("the demo does not say how to stop it:\n%s", out)
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
	return out
}
