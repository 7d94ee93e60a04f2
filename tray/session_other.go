//go:build !((linux || freebsd || openbsd || netbsd) && !android)

package tray

import (
	"context"
	"errors"
)

// ErrNoSessionBus reports that no D-Bus session bus is reachable (only on
// Linux and the BSDs).
var ErrNoSessionBus = errors.New("no desktop session bus")

// Available reports whether a tray icon can be shown: always on Windows
// and macOS, whose trays are part of the desktop.
func Available() error { return nil }

// watchHost reports a tray host at once: Windows and macOS always have one.
func watchHost(ctx context.Context, hosts chan<- bool) error {
	go func() {
		select {
		case hosts <- true:
		case <-ctx.Done():
		}
	}()
	return nil
}
