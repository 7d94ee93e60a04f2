package oauthflow

import (
	"strings"
	"syscall"

	"golang.org/x/sys/windows"
)

// errnoReason says why a socket call failed, in the same words on every
// system: Winsock's own texts are sentences ("No connection could be made
// because the target machine actively refused it.").
func errnoReason(errno syscall.Errno) string {
	switch errno {
	case windows.WSAECONNREFUSED:
		return "connection refused"
	case windows.WSAECONNRESET:
		return "connection reset by peer"
	case windows.WSAENETUNREACH:
		return "network is unreachable"
	case windows.WSAEHOSTUNREACH:
		return "no route to host"
	case windows.WSAETIMEDOUT:
		return "no answer in time"
	}
	msg := strings.TrimSuffix(strings.TrimSpace(errno.Error()), ".")
	if msg != "" {
		msg = strings.ToLower(msg[:1]) + msg[1:]
	}
	return msg
}
