//go:build windows

package tray

import (
	"path/filepath"
	"testing"

	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
)

// TestOpenPathShellExecute: a missing file is reported (ShellExecute
// looked for exactly that path); in the Wine stage an existing folder
// opens. Folders open
// in Explorer, which exists under Wine too.
func TestOpenPathShellExecute(t *testing.T) {
	dir := filepath.Join(testfs.TempDir(t), "with space & odd")
	if err := OpenPath(filepath.Join(dir, "missing.log")); err == nil {
		t.Error("opening a missing file succeeded")
	}
	if !testfs.UnderWine() {
		return // on a desktop it would open a window
	}
	if err := OpenPath(testfs.TempDir(t)); err != nil {
		t.Errorf("opening a folder: %v", err)
	}
}
