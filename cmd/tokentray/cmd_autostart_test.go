//go:build linux || freebsd || openbsd || netbsd

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

func TestAutostartCommand(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	desktop := filepath.Join(h.root, "config", "autostart", "io.tokentray.tokentray.desktop")

	out, errOut, code := h.run("autostart", "status")
	if code != 0 || out != "Start at login: disabled ("+desktop+")\n" {
		t.Fatalf("status: exit %d %q %q", code, out, errOut)
	}
	cfg := filepath.Join(h.root, "my config.toml")
	out, errOut, code = h.run("--config", cfg, "autostart", "enable")
	if code != 0 || out != "Start at login: enabled ("+desktop+")\n" {
		t.Fatalf("enable: exit %d %q %q", code, out, errOut)
	}
	data, err := os.ReadFile(desktop)
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := filepath.EvalSymlinks(binary)
	// Desktop Entry quoting: the argument with a space is double-quoted.
	wantExec := "Exec=" + exe + ` --config "` + cfg + `" run`
	if !strings.Contains(string(data), wantExec+"\n") {
		t.Errorf("desktop entry lacks %q:\n%s", wantExec, data)
	}
	if out, _, _ := h.run("autostart", "status"); !strings.HasPrefix(out, "Start at login: enabled") {
		t.Errorf("status after enable: %q", out)
	}
	out, _, code = h.run("autostart", "disable")
	if code != 0 || !strings.HasPrefix(out, "Start at login: disabled") {
		t.Errorf("disable: exit %d %q", code, out)
	}
	if _, err := os.Stat(desktop); !os.IsNotExist(err) {
		t.Errorf("desktop entry left: %v", err)
	}
	for _, args := range [][]string{{"autostart"}, {"autostart", "maybe"}, {"autostart", "enable", "extra"}} {
		if _, errOut, code := h.run(args...); code != 2 || !strings.Contains(errOut, "see 'tokentray autostart") {
			t.Errorf("%q: exit %d %q", args, code, errOut)
		}
	}
}

// TestAutostartPaths: a program in a temporary folder is refused; one
// started through a symlink on PATH is registered by the symlink (a
// package manager's stable path), not by what it resolves to.
func TestAutostartPaths(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	desktop := filepath.Join(h.root, "config", "autostart", "io.tokentray.tokentray.desktop")

	tmpCopy := filepath.Join(t.TempDir(), "tokentray")
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(tmpCopy, data, 0o755)
	cmd := exec.Command(tmpCopy, "autostart", "enable")
	cmd.Env = h.env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "temporary folder") {
		t.Errorf("enable from a temporary folder: %v\n%s", err, out)
	}
	if _, err := os.Stat(desktop); !os.IsNotExist(err) {
		t.Errorf("a registration was written: %v", err)
	}

	linkDir := filepath.Join(filepath.Dir(binary), "linkbin")
	os.MkdirAll(linkDir, 0o755)
	link := filepath.Join(linkDir, "tokentray")
	os.Remove(link)
	if err := os.Symlink(binary, link); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("tokentray", "autostart", "enable")
	cmd.Env = append(h.env, "PATH="+linkDir)
	cmd.Path, cmd.Err = link, nil // argv[0] stays "tokentray", found on PATH
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("enable through a symlink: %v\n%s", err, out)
	}
	entry, _ := os.ReadFile(desktop)
	if !strings.Contains(string(entry), "Exec="+link+" run\n") {
		t.Errorf("desktop entry does not start the symlink %s:\n%s", link, entry)
	}
}
