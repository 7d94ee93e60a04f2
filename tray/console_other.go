//go:build !windows

package tray

// DetachOwnConsole is for Windows, where a console program started at
// login gets a console window of its own; elsewhere it does nothing.
func DetachOwnConsole() bool { return false }
