//go:build windows

package tray

import (
	"os"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/windows"
)

const consoleChildEnv = "TOKENTRAY_TEST_CONSOLE_CHILD"

// Exit codes of the child: whether DetachOwnConsole detached.
const (
	childDetached = 10
	childKept     = 11
)

func TestMain(m *testing.M) {
	if os.Getenv(consoleChildEnv) == "1" {
		if DetachOwnConsole() {
			os.Exit(childDetached)
		}
		os.Exit(childKept)
	}
	os.Exit(m.Run())
}

func runConsoleChild(t *testing.T, flags uint32) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), consoleChildEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: flags}
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// TestDetachOwnConsole: a console of its own (as Windows gives a console
// program started at login) is freed; no console, nothing to do.
func TestDetachOwnConsole(t *testing.T) {
	if got := runConsoleChild(t, windows.CREATE_NEW_CONSOLE); got != childDetached {
		t.Errorf("with a console of its own: exit %d, want %d (detached)", got, childDetached)
	}
	if got := runConsoleChild(t, windows.DETACHED_PROCESS); got != childKept {
		t.Errorf("without a console: exit %d, want %d (nothing to detach)", got, childKept)
	}
}
