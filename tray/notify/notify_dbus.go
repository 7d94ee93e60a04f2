//go:build (linux || freebsd || openbsd || netbsd) && !android

package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// D-Bus names of the Desktop Notifications Specification.
const (
	dbusName  = "org.freedesktop.Notifications"
	dbusPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	dbusIface = "org.freedesktop.Notifications"
)

// callTimeout bounds every call to the notification server: godbus calls
// have no timeout of their own, and a hung server must not block the
// caller forever. (This is why the calls are made here rather than with
// github.com/esiqveland/notify, whose helpers take no context.)
var callTimeout = 5 * time.Second

// expireDefault lets the server choose how long a bubble stays (spec:
// expire_timeout -1).
const expireDefault = int32(-1)

// defaultLabel is the label of the "default" action; servers usually do
// not display it (a click on the bubble invokes it).
const defaultLabel = "Open"

func newPlatform(appName string) Notifier {
	// A private connection: see the package comment. NoAutoStartup: never
	// spawn a bus of our own with dbus-launch when the session has none.
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return newUnavailable(err)
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return newUnavailable(err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return newUnavailable(err)
	}
	n, err := newDBus(appName, conn)
	if err != nil {
		conn.Close()
		return newUnavailable(err)
	}
	return n
}

// dbusNotifier talks to org.freedesktop.Notifications on its own
// connection, which it owns and closes.
type dbusNotifier struct {
	appName string
	conn    *dbus.Conn
	sigs    chan *dbus.Signal
	actions *actionSink
	done    chan struct{} // closed when the signal loop has exited

	mu    sync.Mutex
	byKey map[string]uint32 // Notification.Key -> id of its open bubble
	byID  map[uint32]string // id -> Key, for ids this notifier got back
}

func newDBus(appName string, conn *dbus.Conn) (*dbusNotifier, error) {
	d := &dbusNotifier{
		appName: appName,
		conn:    conn,
		sigs:    make(chan *dbus.Signal, 16),
		actions: newActionSink(),
		done:    make(chan struct{}),
		byKey:   map[string]uint32{},
		byID:    map[uint32]string{},
	}
	// Only signals of the current owner of org.freedesktop.Notifications:
	// nobody else can fake a button press. Signals for the bubbles of
	// other applications still arrive and are filtered by id.
	err := conn.AddMatchSignal(
		dbus.WithMatchSender(dbusName),
		dbus.WithMatchObjectPath(dbusPath),
		dbus.WithMatchInterface(dbusIface),
	)
	if err != nil {
		return nil, fmt.Errorf("notify: subscribing to notification signals: %w", err)
	}
	conn.Signal(d.sigs)
	go d.loop()
	return d, nil
}

// loop handles signals until the connection is closed (which closes sigs).
func (d *dbusNotifier) loop() {
	defer close(d.done)
	defer d.actions.close()
	for sig := range d.sigs {
		if sig == nil || len(sig.Body) < 2 {
			continue
		}
		id, ok := sig.Body[0].(uint32)
		if !ok {
			continue
		}
		switch sig.Name {
		case dbusIface + ".ActionInvoked":
			name, _ := sig.Body[1].(string)
			if name != ActionSignIn && name != ActionDefault {
				continue
			}
			d.mu.Lock()
			key, mine := d.byID[id]
			d.mu.Unlock()
			if mine {
				d.actions.send(Action{Key: key, Name: name})
			}
		case dbusIface + ".NotificationClosed":
			d.forget(id)
		}
	}
}

// forget drops the bookkeeping of a bubble that is gone.
func (d *dbusNotifier) forget(id uint32) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if key, ok := d.byID[id]; ok {
		delete(d.byID, id)
		if d.byKey[key] == id {
			delete(d.byKey, key)
		}
	}
}

// Show sends n, replacing the open bubble of n.Key (spec: replaces_id).
func (d *dbusNotifier) Show(n Notification) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var caps []string
	if err := d.server().CallWithContext(ctx, dbusIface+".GetCapabilities", 0).Store(&caps); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	body := n.Body
	actions := []string{}
	if slices.Contains(caps, "actions") {
		actions = append(actions, ActionDefault, defaultLabel)
		if n.SignIn {
			actions = append(actions, ActionSignIn, SignInLabel)
		}
	} else if n.SignIn {
		body = signInBody(body)
	}
	if slices.Contains(caps, "body-markup") {
		body = escapeMarkup(body)
	}
	hints := map[string]dbus.Variant{}
	if h := appIconHint(); h.ID != "" {
		hints[h.ID] = h.Variant
	}

	// Hold the lock across the call so a signal for the new id waits
	// until the id is recorded (signal delivery does not block the
	// connection, see godbus' default signal handler).
	d.mu.Lock()
	defer d.mu.Unlock()
	replaces := d.byKey[n.Key]
	var id uint32
	err := d.server().CallWithContext(ctx, dbusIface+".Notify", 0,
		d.appName, replaces, "", n.Title, body, actions, hints, expireDefault).Store(&id)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if replaces != 0 && replaces != id {
		delete(d.byID, replaces)
	}
	d.byKey[n.Key] = id
	d.byID[id] = n.Key
	return nil
}

// Dismiss closes the open bubble of key (CloseNotification).
func (d *dbusNotifier) Dismiss(key string) error {
	d.mu.Lock()
	id, ok := d.byKey[key]
	if ok {
		delete(d.byKey, key)
		delete(d.byID, id)
	}
	d.mu.Unlock()
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	err := d.server().CallWithContext(ctx, dbusIface+".CloseNotification", 0, id).Err
	var derr dbus.Error
	if errors.As(err, &derr) {
		// The server answers with an error when the bubble is already
		// gone (expired or dismissed by the user): nothing left to do.
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify: closing notification: %w", err)
	}
	return nil
}

func (d *dbusNotifier) server() dbus.BusObject { return d.conn.Object(dbusName, dbusPath) }

func (d *dbusNotifier) Actions() <-chan Action { return d.actions.ch }

// Close closes the private connection, which ends the signal loop and
// closes Actions.
func (d *dbusNotifier) Close() error {
	err := d.conn.Close()
	<-d.done
	if errors.Is(err, dbus.ErrClosed) {
		err = nil
	}
	return err
}

// escapeMarkup escapes the characters that servers with "body-markup"
// (a small HTML subset) would interpret.
func escapeMarkup(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
