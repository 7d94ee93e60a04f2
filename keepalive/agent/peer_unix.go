//go:build linux || darwin

package agent

import (
	"net"
	"os"
)

// checkPeer admits only processes of the agent's own user, asking the
// kernel who the peer of a Unix socket connection is (see peerUID),
// whatever the socket's mode.
func checkPeer(conn net.Conn) error {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return nil
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var uid int
	var uerr error
	if err := raw.Control(func(fd uintptr) { uid, uerr = peerUID(int(fd)) }); err != nil {
		return err
	}
	if uerr != nil {
		return uerr
	}
	return admit(uid, os.Getuid())
}
