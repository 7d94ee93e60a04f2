//go:build !windows

package tray

func shellOpen(path string) error { panic("ShellExecute is Windows only") }
