//go:build !windows

package oauthflow

import "syscall"

// errnoReason says why a socket call failed, in the system's words
// ("connection refused").
func errnoReason(errno syscall.Errno) string { return errno.Error() }
