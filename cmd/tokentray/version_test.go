package main

import (
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestVersionOfPlainGoBuild: a `go build` in a checkout, without make's
// -ldflags, reports the commit, whether the tree was dirty, and the Go
// version.
func TestVersionOfPlainGoBuild(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not a git checkout")
	}
	top, _ := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if st, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !st.IsDir() {
		// The go command stamps VCS information only when .git is a
		// directory, not in a `git worktree` (where .git is a file).
		t.Skip("not a plain git checkout")
	}
	porcelain, err := exec.Command("git", "status", "--porcelain").Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(testfs.TempDir(t), "tokentray")
	build := exec.Command("go", "build", "-o", bin, ".")
	// The machine may set GOFLAGS=-buildvcs=false; a user's go build does not.
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=true")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatal(err)
		}
		line := string(out)
		for _, want := range []string{"(commit " + strings.TrimSpace(string(rev))[:12], runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH} {
			if !strings.Contains(line, want) {
				t.Errorf("%q: %q lacks %q", args, line, want)
			}
		}
		if dirty := len(porcelain) > 0; strings.Contains(line, "uncommitted changes") != dirty {
			t.Errorf("%q: %q, tree dirty: %v", args, line, dirty)
		}
	}
}
