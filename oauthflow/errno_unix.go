//go:build unix

package oauthflow

import "syscall"

// offlineErrnos mean the network itself is unavailable.
var offlineErrnos = []error{syscall.ENETUNREACH, syscall.ENETDOWN, syscall.EHOSTUNREACH}
