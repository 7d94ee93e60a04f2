package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"path/filepath"
	"strings"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// Address is the agent's named pipe for a runtime directory:
// \\.\pipe\tokentray-agent-<user SID>-<hash of the directory>, so each
// user (and each test's directory) has its own.
func Address(runtimeDir string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(filepath.Clean(runtimeDir))))
	return `\\.\pipe\tokentray-agent-` + userSID() + "-" + hex.EncodeToString(sum[:6])
}

// Listen creates the named pipe with an ACL that admits only the current
// user (protected DACL, one allow entry for the user's SID).
func Listen(addr string) (net.Listener, error) {
	return winio.ListenPipe(addr, &winio.PipeConfig{
		SecurityDescriptor: "D:P(A;;GA;;;" + userSID() + ")",
	})
}

func dial(ctx context.Context, addr string) (net.Conn, error) {
	return winio.DialPipeContext(ctx, addr)
}

func userSID() string {
	tok := windows.GetCurrentProcessToken()
	u, err := tok.GetTokenUser()
	if err != nil {
		return "unknown"
	}
	return u.User.Sid.String()
}
