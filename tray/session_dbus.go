//go:build (linux || freebsd || openbsd || netbsd) && !android

package tray

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

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

// watcherName is the bus name of the StatusNotifierWatcher, the service
// of the panel (tray host) that StatusNotifierItems register with.
const watcherName = "org.kde.StatusNotifierWatcher"

// watchHost reports on hosts whether a tray host (StatusNotifierWatcher)
// is on the session bus: once at the start, then at every change, until
// ctx ends. It uses a private connection of its own: fyne.io/systray
// exits its loop on the first foreign signal read on the shared one.
// It returns an error when the bus cannot be asked; hosts is then never
// sent to.
func watchHost(ctx context.Context, hosts chan<- bool) error {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return err
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return err
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return err
	}
	// Subscribe first, then ask: no change between the two is missed.
	err = conn.AddMatchSignal(
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchObjectPath("/org/freedesktop/DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, watcherName),
	)
	if err != nil {
		conn.Close()
		return err
	}
	sigs := make(chan *dbus.Signal, 8)
	conn.Signal(sigs)
	var has bool
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = conn.BusObject().CallWithContext(cctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has)
	cancel()
	if err != nil {
		conn.Close()
		return err
	}
	go func() {
		defer conn.Close()
		send := func(v bool) bool {
			select {
			case hosts <- v:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if !send(has) {
			return
		}
		for {
			select {
			case <-ctx.Done():
				return
			case sig, ok := <-sigs:
				if !ok {
					return
				}
				if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || sig.Sender != "org.freedesktop.DBus" || len(sig.Body) != 3 {
					continue
				}
				if name, _ := sig.Body[0].(string); name != watcherName {
					continue
				}
				owner, _ := sig.Body[2].(string)
				if !send(owner != "") {
					return
				}
			}
		}
	}()
	return nil
}
