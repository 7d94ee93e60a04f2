//go:build linux

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// fillDisk writes to a file in dir until the file system is full.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 512)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// TestDiskFull: on a full disk `refresh --force` refuses to send a refresh
// that could rotate the refresh token into nowhere, says why, keeps the
// login, and works again once there is space. The token directory is a
// tiny tmpfs (root only; the store's tests inject ENOSPC otherwise).
func TestDiskFull(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	tokens := filepath.Dir(h.store.Path("work"))
	if err := os.MkdirAll(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", tokens, "tmpfs", 0, "size=64k,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs (%v); TestDiskFull* in keepalive/store covers a full disk", err)
	}
	t.Cleanup(func() { syscall.Unmount(tokens, syscall.MNT_DETACH) })
	h.writeConfig(h.ownedAccount("work"))
	first := h.signIn("work")
	filler := fillDisk(t, tokens)

	out, errOut, code := h.run("refresh", "--force", "work")
	if code == 0 {
		t.Fatalf("refresh on a full disk succeeded:\n%s%s", out, errOut)
	}
	if msg := out + errOut; !strings.Contains(msg, "no space left on device") || !strings.Contains(msg, "not refreshing") {
		t.Errorf("refresh on a full disk says:\n%s", msg)
	}
	if n := h.iss.Stats().Refreshes; n != 0 {
		t.Errorf("%d refresh requests sent with nowhere to store the answer", n)
	}
	// The stored access token is still valid and still printed.
	out, errOut, code = h.run("token", "work")
	if code != 0 || strings.TrimSpace(out) != first.AccessToken.Reveal() {
		t.Errorf("token on a full disk: exit %d\n%s", code, errOut)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = h.run("refresh", "--force", "work")
	if code != 0 || !strings.Contains(out, "work: refreshed") {
		t.Fatalf("refresh after space was freed: exit %d\n%s%s", code, out, errOut)
	}
	h.assertNoLeaks()
}

// TestFIFOTokenFile: a FIFO in place of a token file is reported as broken
// by refresh, token and status at once; none of them waits for a writer.
func TestFIFOTokenFile(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	h.writeConfig(h.ownedAccount("work"))
	h.signIn("work")
	path := h.store.Path("work")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"token", "work"}, {"refresh", "work"}, {"refresh", "--force", "work"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, binary, args...)
		cmd.Env = h.env
		out, err := cmd.CombinedOutput()
		blocked := ctx.Err() != nil
		cancel()
		if blocked {
			t.Fatalf("%v blocked on the FIFO", args)
		}
		if !strings.Contains(string(out), "not a regular file") {
			t.Errorf("%v (%v) says:\n%s", args, err, out)
		}
		if args[0] == "status" && !strings.Contains(string(out), "broken") {
			t.Errorf("status does not show the account as broken:\n%s", out)
		}
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", err)
	}
}
