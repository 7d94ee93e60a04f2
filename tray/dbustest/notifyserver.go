package dbustest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// Notification server well-known name, object path and interface
// (Desktop Notifications Specification 1.2).
const (
	NotificationsName  = "org.freedesktop.Notifications"
	NotificationsPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	NotificationsIface = "org.freedesktop.Notifications"
)

// Close reasons of the NotificationClosed signal (spec: 1 expired,
// 2 dismissed by the user, 3 closed by CloseNotification, 4 undefined).
const (
	ReasonExpired   uint32 = 1
	ReasonDismissed uint32 = 2
	ReasonClosed    uint32 = 3
	ReasonUndefined uint32 = 4
)

// NotifyCall is one recorded Notify call.
type NotifyCall struct {
	Sender     string // unique bus name of the caller
	AppName    string
	ReplacesID uint32
	AppIcon    string
	Summary    string
	Body       string
	// Actions is the flat list the client sent: key, label, key, label...
	Actions []string
	Hints   map[string]dbus.Variant
	Timeout int32
	// ID is the id the server returned.
	ID uint32
}

// Urgency returns the "urgency" hint (0 low, 1 normal, 2 critical) and
// whether it was sent.
func (c NotifyCall) Urgency() (byte, bool) {
	v, ok := c.Hints["urgency"]
	if !ok {
		return 0, false
	}
	u, ok := v.Value().(byte)
	return u, ok
}

// ActionLabel returns the label sent for action key and whether it was
// offered.
func (c NotifyCall) ActionLabel(key string) (string, bool) {
	for i := 0; i+1 < len(c.Actions); i += 2 {
		if c.Actions[i] == key {
			return c.Actions[i+1], true
		}
	}
	return "", false
}

// NotificationServerOptions configures a NotificationServer.
type NotificationServerOptions struct {
	// Actions makes GetCapabilities include "actions". Servers without it
	// display no buttons and never emit ActionInvoked.
	Actions bool
	// BodyMarkup makes GetCapabilities include "body-markup": the body is
	// then interpreted as a small HTML subset.
	BodyMarkup bool
	// Name is the server name GetServerInformation returns (default
	// "dbustest"), e.g. "xfce4-notifyd" to look like that server.
	Name string
}

// NotificationServer is a fake org.freedesktop.Notifications server that
// records every call and lets the test press buttons (EmitAction) or close
// bubbles as the user would (EmitClosed).
type NotificationServer struct {
	conn *dbus.Conn
	opts NotificationServerOptions

	mu      sync.Mutex
	nextID  uint32
	calls   []NotifyCall
	closed  []uint32 // ids passed to CloseNotification
	changed chan struct{}
}

// notificationMethods is what is exported on the bus.
type notificationMethods struct{ s *NotificationServer }

// Notify implements org.freedesktop.Notifications.Notify.
func (m notificationMethods) Notify(sender dbus.Sender, appName string, replacesID uint32, appIcon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	id := replacesID
	if id == 0 {
		s.nextID++
		id = s.nextID
	}
	s.calls = append(s.calls, NotifyCall{
		Sender: string(sender), AppName: appName, ReplacesID: replacesID, AppIcon: appIcon,
		Summary: summary, Body: body, Actions: actions, Hints: hints, Timeout: timeout, ID: id,
	})
	s.notifyLocked()
	return id, nil
}

// GetCapabilities implements org.freedesktop.Notifications.GetCapabilities.
func (m notificationMethods) GetCapabilities() ([]string, *dbus.Error) {
	caps := []string{"body"}
	if m.s.opts.Actions {
		caps = append(caps, "actions")
	}
	if m.s.opts.BodyMarkup {
		caps = append(caps, "body-markup")
	}
	return caps, nil
}

// GetServerInformation implements the method of the same name.
func (m notificationMethods) GetServerInformation() (name, vendor, version, specVersion string, err *dbus.Error) {
	name = m.s.opts.Name
	if name == "" {
		name = "dbustest"
	}
	return name, "tokentray", "1.0", "1.2", nil
}

// CloseNotification implements the method: it records id and emits
// NotificationClosed(id, 3).
func (m notificationMethods) CloseNotification(id uint32) *dbus.Error {
	s := m.s
	s.mu.Lock()
	s.closed = append(s.closed, id)
	s.notifyLocked()
	s.mu.Unlock()
	s.conn.Emit(NotificationsPath, NotificationsIface+".NotificationClosed", id, ReasonClosed)
	return nil
}

func (s *NotificationServer) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// StartNotificationServer connects to the bus at address, exports the
// server and then claims org.freedesktop.Notifications.
func StartNotificationServer(address string, opts NotificationServerOptions) (*NotificationServer, error) {
	conn, err := dbus.Connect(address)
	if err != nil {
		return nil, fmt.Errorf("dbustest: notification server: %w", err)
	}
	s := &NotificationServer{conn: conn, opts: opts, changed: make(chan struct{})}
	if err := conn.Export(notificationMethods{s}, NotificationsPath, NotificationsIface); err != nil {
		conn.Close()
		return nil, fmt.Errorf("dbustest: notification server: %w", err)
	}
	if err := claimName(conn, NotificationsName); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// NewNotificationServer starts a NotificationServer on b for a test and
// closes it in t.Cleanup.
func (b *Bus) NewNotificationServer(t testing.TB, opts NotificationServerOptions) *NotificationServer {
	t.Helper()
	s, err := StartNotificationServer(b.Address, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Calls returns a copy of the Notify calls received so far, oldest first.
func (s *NotificationServer) Calls() []NotifyCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]NotifyCall(nil), s.calls...)
}

// ClosedIDs returns the ids passed to CloseNotification so far.
func (s *NotificationServer) ClosedIDs() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint32(nil), s.closed...)
}

// WaitCalls waits until at least n Notify calls have been received and
// returns them all.
func (s *NotificationServer) WaitCalls(ctx context.Context, n int) ([]NotifyCall, error) {
	for {
		s.mu.Lock()
		if len(s.calls) >= n {
			c := append([]NotifyCall(nil), s.calls...)
			s.mu.Unlock()
			return c, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("dbustest: waiting for %d Notify calls: %w", n, ctx.Err())
		}
	}
}

// EmitAction emits ActionInvoked(id, key) as if the user pressed the
// button with that key ("default" for a click on the bubble).
func (s *NotificationServer) EmitAction(id uint32, key string) error {
	return s.conn.Emit(NotificationsPath, NotificationsIface+".ActionInvoked", id, key)
}

// EmitClosed emits NotificationClosed(id, reason), e.g. ReasonDismissed.
func (s *NotificationServer) EmitClosed(id uint32, reason uint32) error {
	return s.conn.Emit(NotificationsPath, NotificationsIface+".NotificationClosed", id, reason)
}

// UniqueName returns the server connection's unique bus name.
func (s *NotificationServer) UniqueName() string {
	return s.conn.Names()[0]
}

// Conn returns the server's connection, for a test that sends messages
// as the server (e.g. SendSignal to one client).
func (s *NotificationServer) Conn() *dbus.Conn { return s.conn }

// Close releases the name and closes the server's connection.
func (s *NotificationServer) Close() error {
	return s.conn.Close()
}
