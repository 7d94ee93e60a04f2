package tray

import (
	"fmt"
	"os/exec"
	"runtime"
)

// openCommand is the command that opens path with the desktop's default
// application on goos.
func openCommand(goos, path string) []string {
	switch goos {
	case "darwin":
		return []string{"open", path}
	case "windows":
		// url.dll's handler opens files and URLs like a double click,
		// without a console window and without cmd.exe's quoting rules.
		return []string{"rundll32", "url.dll,FileProtocolHandler", path}
	default:
		return []string{"xdg-open", path}
	}
}

// OpenPath opens a file with the desktop's default application: xdg-open
// on Linux and the BSDs, open on macOS, rundll32 url.dll on Windows. It
// does not wait for the application; the opener's output is discarded.
func OpenPath(path string) error {
	argv := openCommand(runtime.GOOS, path)
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	go cmd.Wait() // reap it
	return nil
}
