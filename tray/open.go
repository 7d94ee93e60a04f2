package tray

import (
	"fmt"
	"os/exec"
	"runtime"
)

// openCommand is the command that opens path with the desktop's default
// application on goos; Windows has none (see open_windows.go).
func openCommand(goos, path string) []string {
	switch goos {
	case "darwin":
		return []string{"open", path}
	default:
		return []string{"xdg-open", path}
	}
}

// OpenPath opens a file with the desktop's default application: xdg-open
// on Linux and the BSDs, open on macOS, ShellExecute on Windows. It does
// not wait for the application; the opener's output is discarded.
func OpenPath(path string) error {
	if runtime.GOOS == "windows" {
		return shellOpen(path)
	}
	argv := openCommand(runtime.GOOS, path)
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	go cmd.Wait() // reap it
	return nil
}
