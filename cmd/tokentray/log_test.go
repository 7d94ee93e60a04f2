//go:build !windows

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// TestLogBackups: the instance keeps the log's old copies down to two; a
// command leaves them (it does not list the log folder on its way out).
func TestLogBackups(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	h.writeConfig(h.ownedAccount("work"))
	h.signIn("work")
	dir := h.stateDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// Old copies as the log's rotation names them.
	for _, stamp := range []string{"2026-11-01T10-00-00.000", "2026-11-02T10-00-00.000", "2026-11-03T10-00-00.000", "2026-11-04T10-00-00.000"} {
		if err := os.WriteFile(filepath.Join(dir, "tokentray-"+stamp+".log"), []byte("old\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	backups := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "tokentray-*.log"))
		return m
	}
	h.run("status")
	if n := len(backups()); n != 4 {
		t.Errorf("a command changed the old log copies: %d left, want 4", n)
	}
	stop := startInstance(t, h)
	defer stop()
	keepalivetest.Eventually(t, "two old log copies", func() bool { return len(backups()) == 2 })
	if b := backups(); filepath.Base(b[0]) != "tokentray-2026-11-03T10-00-00.000.log" {
		t.Errorf("kept %q, want the newest two", b)
	}
}
