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
// expire_timeout -1); expireNever keeps it until the user acts on it.
const (
	expireDefault = int32(-1)
	expireNever   = int32(0)
)

// urgencyCritical is the value of the "urgency" hint that makes servers
// keep a bubble until the user acts on it (spec: "Urgency Levels").
const urgencyCritical = byte(2)

// defaultAsButton lists notification servers (GetServerInformation
// names) that draw the "default" action as a button of its own instead
// of binding it to a click on the bubble: xfce4-notifyd showed an extra
// button labelled with the default action's label. They get no
// "default" action, so every button on screen is one of ours.
var defaultAsButton = []string{"xfce4-notifyd"}

// buttonless lists notification servers that take actions but draw no
// buttons (dunst offers them in a context menu): their bubbles also get
// the text that replaces the buttons.
var buttonless = []string{"dunst"}

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
	byID  map[uint32]bubble // for ids this notifier got back
	// testHookForgot, when set, is called (under mu) each time a
	// NotificationClosed signal has been handled.
	testHookForgot func()
}

// bubble is what the notifier remembers of a bubble it showed.
type bubble struct {
	key     string
	buttons []string // button ids; a click on the bubble is the first
}

func newDBus(appName string, conn *dbus.Conn) (*dbusNotifier, error) {
	d := &dbusNotifier{
		appName: appName,
		conn:    conn,
		sigs:    make(chan *dbus.Signal, 16),
		actions: newActionSink(),
		done:    make(chan struct{}),
		byKey:   map[string]uint32{},
		byID:    map[uint32]bubble{},
	}
	// Broadcast signals of the current owner of
	// org.freedesktop.Notifications (the bus resolves the name). This
	// rule only keeps other broadcasts out: the bus delivers a signal
	// addressed to this connection whatever its match rules say, so
	// loop also checks the sender of every signal against the owner.
	// Signals for the bubbles of other applications still arrive and
	// are filtered by id.
	err := conn.AddMatchSignal(
		dbus.WithMatchSender(dbusName),
		dbus.WithMatchObjectPath(dbusPath),
		dbus.WithMatchInterface(dbusIface),
	)
	if err != nil {
		return nil, fmt.Errorf("subscribing to notification signals: %w", err)
	}
	// Follow the owner of the name: subscribe to its changes first, then
	// ask for the current owner, so no change is missed.
	err = conn.AddMatchSignal(
		dbus.WithMatchSender(busName),
		dbus.WithMatchObjectPath(busPath),
		dbus.WithMatchInterface(busName),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, dbusName),
	)
	if err != nil {
		return nil, fmt.Errorf("subscribing to %s owner changes: %w", dbusName, err)
	}
	conn.Signal(d.sigs)
	owner, err := nameOwner(conn)
	if err != nil {
		return nil, err
	}
	go d.loop(owner)
	return d, nil
}

// The message bus itself (D-Bus Specification, "Message Bus Messages").
const (
	busName = "org.freedesktop.DBus"
	busPath = dbus.ObjectPath("/org/freedesktop/DBus")
)

// nameOwner returns the unique name of the current owner of
// org.freedesktop.Notifications, or "" when there is none.
func nameOwner(conn *dbus.Conn) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var owner string
	err := conn.BusObject().CallWithContext(ctx, busName+".GetNameOwner", 0, dbusName).Store(&owner)
	var derr dbus.Error
	if errors.As(err, &derr) && derr.Name == busName+".Error.NameHasNoOwner" {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("asking for the owner of %s: %w", dbusName, err)
	}
	return owner, nil
}

// loop handles signals until the connection is closed (which closes sigs).
// owner is the unique name of the notification server when loop starts;
// loop follows it through NameOwnerChanged. The bus sends the change of
// owner before any signal of the new owner, and godbus keeps that order
// while sigs has room; were it ever reordered, a signal could be dropped
// or credited to a connection that owns the name a moment later, never to
// one that does not own it.
func (d *dbusNotifier) loop(owner string) {
	defer close(d.done)
	defer d.actions.close()
	for sig := range d.sigs {
		if sig == nil {
			continue
		}
		if sig.Name == busName+".NameOwnerChanged" {
			// Only the bus itself can send as org.freedesktop.DBus.
			if sig.Sender != busName || sig.Path != busPath || len(sig.Body) != 3 {
				continue
			}
			name, _ := sig.Body[0].(string)
			newOwner, ok := sig.Body[2].(string)
			if name == dbusName && ok {
				owner = newOwner
			}
			continue
		}
		// Anyone on the bus can send a signal addressed to this
		// connection: accept only the notification server's, on its
		// object path.
		if owner == "" || sig.Sender != owner || sig.Path != dbusPath || len(sig.Body) < 2 {
			continue
		}
		id, ok := sig.Body[0].(uint32)
		if !ok {
			continue
		}
		switch sig.Name {
		case dbusIface + ".ActionInvoked":
			name, _ := sig.Body[1].(string)
			d.mu.Lock()
			b, mine := d.byID[id]
			d.mu.Unlock()
			if !mine || len(b.buttons) == 0 {
				continue
			}
			if name == ActionDefault {
				name = b.buttons[0] // a click on the bubble: its first button
			}
			if slices.Contains(b.buttons, name) {
				d.actions.send(Action{Key: b.key, Name: name})
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
	if b, ok := d.byID[id]; ok {
		delete(d.byID, id)
		if d.byKey[b.key] == id {
			delete(d.byKey, b.key)
		}
	}
	if d.testHookForgot != nil {
		d.testHookForgot()
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
	buttons := n.buttons()
	var ids []string
	switch {
	case len(buttons) == 0:
		// No button and no click action: nothing that could do nothing.
	case slices.Contains(caps, "actions"):
		server := d.serverName(ctx)
		if !slices.Contains(defaultAsButton, server) {
			actions = append(actions, ActionDefault, buttons[0].Label)
		}
		if slices.Contains(buttonless, server) {
			body = n.fallbackBody()
		}
		for _, b := range buttons {
			actions = append(actions, b.ID, b.Label)
			ids = append(ids, b.ID)
		}
	default:
		body = n.fallbackBody()
	}
	if slices.Contains(caps, "body-markup") {
		body = escapeMarkup(body)
	}
	hints := map[string]dbus.Variant{}
	if h := appIconHint(); h.ID != "" {
		hints[h.ID] = h.Variant
	}
	expire := expireDefault
	if n.Urgent {
		hints["urgency"] = dbus.MakeVariant(urgencyCritical)
		expire = expireNever
	}

	// Hold the lock across the call so a signal for the new id waits
	// until the id is recorded (signal delivery does not block the
	// connection, see godbus' default signal handler).
	d.mu.Lock()
	defer d.mu.Unlock()
	replaces := d.byKey[n.Key]
	var id uint32
	err := d.server().CallWithContext(ctx, dbusIface+".Notify", 0,
		d.appName, replaces, "", n.Title, body, actions, hints, expire).Store(&id)
	if err != nil {
		return fmt.Errorf("showing the notification: %w", err)
	}
	if replaces != 0 && replaces != id {
		delete(d.byID, replaces)
	}
	d.byKey[n.Key] = id
	d.byID[id] = bubble{key: n.Key, buttons: ids}
	return nil
}

// serverName is the notification server's name (GetServerInformation),
// "" when it cannot be asked: the bubble is then sent as to any server
// (a "default" action drawn as a button does what the first button does).
func (d *dbusNotifier) serverName(ctx context.Context) string {
	var name, vendor, version, spec string
	if err := d.server().CallWithContext(ctx, dbusIface+".GetServerInformation", 0).Store(&name, &vendor, &version, &spec); err != nil {
		return ""
	}
	return name
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
		return fmt.Errorf("closing notification: %w", err)
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
