//go:build unix

package watched

import "syscall"

// detachedAttr starts the child in a new session: it has no controlling
// terminal and signals sent to tokentray's process group (Ctrl-C in a
// terminal) do not reach it.
func detachedAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}

// terminalAttr starts a terminal emulator in its own session, like a
// detached login command.
func terminalAttr() *syscall.SysProcAttr { return detachedAttr() }
