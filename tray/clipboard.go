package tray

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Clipboard copies sign-in links. The tray offers "Copy link" buttons only
// when Available; otherwise it shows the link for the user to copy.
type Clipboard interface {
	Available() bool
	Copy(text string) error
}

// SystemClipboard is the desktop clipboard through the usual command-line
// tools: wl-copy (Wayland), xclip or xsel (X11) on Linux and the BSDs,
// pbcopy on macOS, clip on Windows.
type SystemClipboard struct{}

// ErrNoClipboard reports that no clipboard tool is installed.
var ErrNoClipboard = errors.New("no clipboard tool found (wl-copy, xclip or xsel)")

// clipboardCommands are the candidate commands on goos, in order of
// preference; wl-copy only in a Wayland session.
func clipboardCommands(goos string, getenv func(string) string) [][]string {
	switch goos {
	case "darwin":
		return [][]string{{"pbcopy"}}
	case "windows":
		return [][]string{{"clip"}}
	}
	var out [][]string
	if getenv("WAYLAND_DISPLAY") != "" {
		out = append(out, []string{"wl-copy"})
	}
	return append(out, []string{"xclip", "-selection", "clipboard"}, []string{"xsel", "--clipboard", "--input"})
}

// command returns the first installed clipboard command.
func (SystemClipboard) command() ([]string, error) {
	for _, argv := range clipboardCommands(runtime.GOOS, os.Getenv) {
		if path, err := exec.LookPath(argv[0]); err == nil {
			return append([]string{path}, argv[1:]...), nil
		}
	}
	return nil, ErrNoClipboard
}

// Available reports whether a clipboard tool is installed.
func (c SystemClipboard) Available() bool {
	_, err := c.command()
	return err == nil
}

// Copy puts text on the clipboard. The tools keep serving the selection
// in a background process of their own, so Copy returns once the
// command has taken the text (bounded by a timeout).
func (c SystemClipboard) Copy(text string) error {
	argv, err := c.command()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(text)
	// No pipes for stdout and stderr: the background process that keeps
	// serving the selection (xclip, wl-copy) would inherit them, and
	// waiting for them to close would wait for that process.
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(argv[0]), err)
	}
	return nil
}
