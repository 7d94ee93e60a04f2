//go:build windows

package tray

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// shellOpen opens path like a double click in Explorer: ShellExecute
// with the "open" verb takes the path as one string, so no command line
// is built and nothing needs quoting.
func shellOpen(path string) error {
	verb, err := windows.UTF16PtrFromString("open")
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	file, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	if err := windows.ShellExecute(0, verb, file, nil, nil, windows.SW_SHOWNORMAL); err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	return nil
}
