//go:build windows

package tray

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	kernel32                  = windows.NewLazySystemDLL("kernel32.dll")
	procGetConsoleProcessList = kernel32.NewProc("GetConsoleProcessList")
	procFreeConsole           = kernel32.NewProc("FreeConsole")
)

// DetachOwnConsole frees the console window when no other process shares
// it: tokentray.exe is a console program (so CLI commands print in a
// terminal like any other), which makes Windows open a console window
// for it when it starts from the Run key or Explorer. The tray calls it
// so that window goes away at once instead of staying open, and ending
// tokentray when closed, for the tray's whole life. Started from a
// terminal, the console is shared with the shell and kept (Ctrl-C still
// stops it). It reports whether it detached.
func DetachOwnConsole() bool {
	var pids [2]uint32
	n, _, _ := procGetConsoleProcessList.Call(uintptr(unsafe.Pointer(&pids[0])), 2)
	if n != 1 {
		return false // no console (0), or one shared with its parent
	}
	r, _, _ := procFreeConsole.Call()
	return r != 0
}
