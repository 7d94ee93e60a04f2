//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"errors"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"
)

// ErrNoSessionBus reports that no D-Bus session bus is reachable, so no
// tray can be shown.
var ErrNoSessionBus = errors.New("no desktop session bus")

// Available reports whether a tray icon can be shown in this session. On
// Linux and the BSDs trays are D-Bus services (StatusNotifierItem), so a
// session bus must be reachable: Available connects to it on a private
// connection (never the shared one, which fyne.io/systray owns), without
// auto-starting a bus, and closes the connection again. A missing
// StatusNotifierWatcher is fine: the icon registers when a panel appears.
func Available() error {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" && os.Getenv("XDG_RUNTIME_DIR") == "" {
		return fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS is not set", ErrNoSessionBus)
	}
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoSessionBus, err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return fmt.Errorf("%w: %w", ErrNoSessionBus, err)
	}
	if err := conn.Hello(); err != nil {
		return fmt.Errorf("%w: %w", ErrNoSessionBus, err)
	}
	return nil
}
