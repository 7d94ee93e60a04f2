package resume

import (
	"context"
	"fmt"

	"github.com/godbus/dbus/v5"
)

const (
	logindName  = "org.freedesktop.login1"
	logindPath  = "/org/freedesktop/login1"
	managerIfce = "org.freedesktop.login1.Manager"
)

// Watch calls wake each time systemd-logind's PrepareForSleep(false)
// signal on the system bus announces a resume, until ctx ends. It uses a
// private bus connection of its own. Without a system bus it returns an
// error at once; the engine then relies on its wall-clock timer.
func Watch(ctx context.Context, wake func()) error {
	conn, err := dbus.SystemBusPrivate()
	if err != nil {
		return fmt.Errorf("system bus: %w", err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return fmt.Errorf("system bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		return fmt.Errorf("system bus: %w", err)
	}
	// Only logind may send it: the bus daemon matches the well-known
	// sender name against its current owner.
	if err := conn.AddMatchSignalContext(ctx,
		dbus.WithMatchSender(logindName),
		dbus.WithMatchObjectPath(logindPath),
		dbus.WithMatchInterface(managerIfce),
		dbus.WithMatchMember("PrepareForSleep"),
	); err != nil {
		return fmt.Errorf("subscribing to logind: %w", err)
	}
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)
	for {
		select {
		case <-ctx.Done():
			return nil
		case sig, ok := <-signals:
			if !ok {
				return fmt.Errorf("system bus connection closed")
			}
			if sig.Name != managerIfce+".PrepareForSleep" || len(sig.Body) != 1 {
				continue
			}
			if sleeping, ok := sig.Body[0].(bool); ok && !sleeping {
				wake()
			}
		}
	}
}
