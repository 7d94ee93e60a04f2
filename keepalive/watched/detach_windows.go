//go:build windows

package watched

import "syscall"

// createNoWindow (CREATE_NO_WINDOW) keeps a console program started from
// the tray app from popping up a console window.
const createNoWindow = 0x08000000

// detachedAttr starts the child in its own process group (so console
// control events for tokentray do not reach it) without a console window.
func detachedAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP | createNoWindow,
		HideWindow:    true,
	}
}

// createNewConsole (CREATE_NEW_CONSOLE) gives an interactive login its own
// console window.
const createNewConsole = 0x00000010

// terminalAttr starts an interactive login in a new console window.
func terminalAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP | createNewConsole}
}
