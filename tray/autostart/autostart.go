// Package autostart registers a program to start when the user logs in,
// with the platform's own per-user mechanism:
//
//   - Linux and other XDG desktops: a desktop entry in
//     ${XDG_CONFIG_HOME:-~/.config}/autostart/<ID>.desktop (freedesktop
//     Desktop Application Autostart Specification).
//   - macOS: a launchd agent ~/Library/LaunchAgents/<ID>.plist with
//     RunAtLoad.
//   - Windows: the value <ID> under
//     HKCU\Software\Microsoft\Windows\CurrentVersion\Run.
//
// The registration itself is the only state: Status reads it back, so a
// menu checkbox shows what the system will really do, including a user
// disabling the entry in their desktop's settings. Enable and Disable are
// idempotent; files are replaced atomically.
package autostart

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
)

// Entry describes the program to start at login.
type Entry struct {
	// ID names the registration: the file name (without extension) or the
	// registry value name. Letters, digits, '.', '-' and '_' only, e.g.
	// "io.tokentray.tokentray".
	ID string
	// Name is the human-readable application name (desktop entry Name).
	Name string
	// Exec is the absolute path of the executable; see Executable.
	Exec string
	// Args are passed to the program after Exec.
	Args []string
}

// ErrInvalid reports an Entry (or ID) that cannot be registered safely.
var ErrInvalid = errors.New("start at login: invalid entry")

// validID checks an ID for use as a file name and registry value name.
func validID(id string) error {
	if id == "" || id[0] == '.' || id[0] == '-' {
		return fmt.Errorf("%w: id %q", ErrInvalid, id)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
		if !ok {
			return fmt.Errorf("%w: id %q", ErrInvalid, id)
		}
	}
	return nil
}

// validate checks what every backend needs: a good ID, an executable
// path that is absolute (isAbs: path.IsAbs for the Unix formats,
// filepath.IsAbs on Windows), no control characters anywhere (none of
// the three formats can carry a newline reliably). The Unix backends are
// judged by Unix rules on every OS, so their tests run everywhere.
func (e Entry) validate(isAbs func(string) bool) error {
	if err := validID(e.ID); err != nil {
		return err
	}
	if !isAbs(e.Exec) {
		return fmt.Errorf("%w: Exec %q is not an absolute path", ErrInvalid, e.Exec)
	}
	return e.checkText()
}

// checkText rejects control characters in Name, Exec and Args.
func (e Entry) checkText() error {
	for _, s := range append([]string{e.Name, e.Exec}, e.Args...) {
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fmt.Errorf("%w: control character in %q", ErrInvalid, s)
		}
	}
	return nil
}

// writeFileAtomic replaces path with data atomically (atomicfile.WriteFile),
// creating missing directories. When path already holds data, nothing is
// written.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if old, err := atomicfile.ReadFile(path, int64(len(data))); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("start at login: %w", err)
	}
	if err := atomicfile.WriteFile(path, data, perm); err != nil {
		return fmt.Errorf("start at login: writing %s: %w", path, err)
	}
	return nil
}

// removeFile deletes path; a missing file is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("start at login: %w", err)
	}
	return nil
}
