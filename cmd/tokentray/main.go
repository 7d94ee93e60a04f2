// Command tokentray keeps OAuth logins alive and shows their health in the
// system tray. See README.md; the commands live in internal/.
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/iostreams"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/root"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/version"
	"github.com/tokentray/tokentray/oauthflow"
)

// versionOverride may be set at link time (-ldflags "-X main.versionOverride=...");
// otherwise the version comes from the build information.
var versionOverride string

func main() {
	v := version.FromBuild(versionOverride)
	oauthflow.Version = v.Short()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	args := os.Args[1:]
	// Windows starts the toasts' activator (this program) with -Embedding
	// when a toast is clicked after tokentray exited: start the tray.
	if len(args) == 1 && strings.EqualFold(args[0], "-Embedding") {
		args = []string{"run"}
	}
	code := root.Main(ctx, args, iostreams.System(), v)
	stop()
	os.Exit(code)
}
