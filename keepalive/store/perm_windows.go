//go:build windows

package store

import "io/fs"

// On Windows the per-user profile directories are private by their ACLs;
// Unix permission bits mean nothing there.

func trustedDir(string) bool { return true }

func modeWarning(string, fs.FileMode) string { return "" }

func tightenDir(string) error { return nil }
