//go:build linux || freebsd || openbsd || netbsd

package main

import (
	"os"
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
