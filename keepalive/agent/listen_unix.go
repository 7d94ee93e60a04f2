//go:build !windows

package agent

import (
	"context"
	"net"
	"os"
	"path/filepath"
)

// Address is the agent's endpoint for a runtime directory: the Unix
// socket agent.sock in it.
func Address(runtimeDir string) string { return filepath.Join(runtimeDir, "agent.sock") }

// Listen creates the agent's socket at addr, mode 0600 in a 0700
// directory. A socket left behind by an instance that died is replaced:
// the caller holds the single-instance lock, so no live agent owns it.
func Listen(addr string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(addr), 0o700); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(addr); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(addr)
	}
	ln, err := net.Listen("unix", addr)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(addr, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

func dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", addr)
}
