//go:build windows

package oauthflow

import "syscall"

// offlineErrnos mean the network itself is unavailable: WSAENETDOWN,
// WSAENETUNREACH and WSAEHOSTUNREACH (the syscall package names none of
// them).
var offlineErrnos = []error{syscall.Errno(10050), syscall.Errno(10051), syscall.Errno(10065)}
