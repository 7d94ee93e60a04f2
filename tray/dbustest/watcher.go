package dbustest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

// StatusNotifierWatcher well-known name, object path and interface
// (KDE/freedesktop StatusNotifierItem specification).
const (
	WatcherName  = "org.kde.StatusNotifierWatcher"
	WatcherPath  = dbus.ObjectPath("/StatusNotifierWatcher")
	WatcherIface = "org.kde.StatusNotifierWatcher"
)

// Item is a StatusNotifierItem registered with the Watcher.
type Item struct {
	// BusName is the unique name of the connection that owns the item
	// (or the well-known name it registered with).
	BusName string
	// Path is the item's object path, "/StatusNotifierItem" by default.
	Path dbus.ObjectPath
}

// String formats the item the way RegisteredStatusNotifierItems lists it:
// bus name followed by object path.
func (it Item) String() string { return it.BusName + string(it.Path) }

// Watcher is a fake org.kde.StatusNotifierWatcher: it records the items and
// hosts that register and reports a host as registered, so a tray
// implementation believes a panel is present.
type Watcher struct {
	conn  *dbus.Conn
	props *prop.Properties

	mu    sync.Mutex
	items []Item
	hosts []string
	added chan struct{} // closed and replaced on every registration
}

// watcherMethods is exported on the watcher's object; it is a separate type
// so the Watcher's own exported methods are not offered on the bus.
type watcherMethods struct{ w *Watcher }

// RegisterStatusNotifierItem implements the method of the same name. The
// argument is either an object path (the item lives on the sender's
// connection) or a bus name (the item is at /StatusNotifierItem).
func (m watcherMethods) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	it := Item{BusName: string(sender), Path: "/StatusNotifierItem"}
	if strings.HasPrefix(service, "/") {
		it.Path = dbus.ObjectPath(service)
	} else if service != "" {
		it.BusName = service
	}
	m.w.mu.Lock()
	m.w.items = append(m.w.items, it)
	close(m.w.added)
	m.w.added = make(chan struct{})
	list := m.w.itemStringsLocked()
	m.w.mu.Unlock()

	m.w.props.SetMust(WatcherIface, "RegisteredStatusNotifierItems", list)
	m.w.conn.Emit(WatcherPath, WatcherIface+".StatusNotifierItemRegistered", it.String())
	return nil
}

// RegisterStatusNotifierHost implements the method of the same name.
func (m watcherMethods) RegisterStatusNotifierHost(sender dbus.Sender, service string) *dbus.Error {
	m.w.mu.Lock()
	m.w.hosts = append(m.w.hosts, service)
	m.w.mu.Unlock()
	m.w.conn.Emit(WatcherPath, WatcherIface+".StatusNotifierHostRegistered")
	return nil
}

const watcherIntrospect = `
<interface name="org.kde.StatusNotifierWatcher">
  <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
  <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
  <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
  <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
  <property name="ProtocolVersion" type="i" access="read"/>
  <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
  <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
  <signal name="StatusNotifierHostRegistered"/>
</interface>`

// StartWatcher connects to the bus at address, exports the watcher object
// and only then claims org.kde.StatusNotifierWatcher, so a client that sees
// the name can call it at once.
func StartWatcher(address string) (*Watcher, error) {
	conn, err := dbus.Connect(address)
	if err != nil {
		return nil, fmt.Errorf("dbustest: watcher: %w", err)
	}
	w := &Watcher{conn: conn, added: make(chan struct{})}
	if err := conn.Export(watcherMethods{w}, WatcherPath, WatcherIface); err != nil {
		conn.Close()
		return nil, fmt.Errorf("dbustest: watcher: %w", err)
	}
	w.props, err = prop.Export(conn, WatcherPath, map[string]map[string]*prop.Prop{
		WatcherIface: {
			"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
			"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
			"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		},
	})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("dbustest: watcher: %w", err)
	}
	node := introspect.Node{
		Name: string(WatcherPath),
		Interfaces: []introspect.Interface{
			introspect.IntrospectData,
			prop.IntrospectData,
		},
	}
	intro := strings.Replace(string(introspect.NewIntrospectable(&node)), "</node>", watcherIntrospect+"\n</node>", 1)
	if err := conn.Export(introspect.Introspectable(intro), WatcherPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("dbustest: watcher: %w", err)
	}
	if err := claimName(conn, WatcherName); err != nil {
		conn.Close()
		return nil, err
	}
	return w, nil
}

// NewWatcher starts a Watcher on b for a test and closes it in t.Cleanup.
func (b *Bus) NewWatcher(t testing.TB) *Watcher {
	t.Helper()
	w, err := StartWatcher(b.Address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func (w *Watcher) itemStringsLocked() []string {
	s := make([]string, len(w.items))
	for i, it := range w.items {
		s[i] = it.String()
	}
	return s
}

// Items returns the items registered so far, oldest first.
func (w *Watcher) Items() []Item {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Item(nil), w.items...)
}

// Hosts returns the service names passed to RegisterStatusNotifierHost.
func (w *Watcher) Hosts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.hosts...)
}

// WaitItem waits until at least n items have registered and returns the
// n-th (n >= 1). Pass n = 1 to wait for the first registration, or
// len(Items())+1 to wait for the next one (e.g. after restarting the
// watcher or the app).
func (w *Watcher) WaitItem(ctx context.Context, n int) (Item, error) {
	if n < 1 {
		n = 1
	}
	for {
		w.mu.Lock()
		if len(w.items) >= n {
			it := w.items[n-1]
			w.mu.Unlock()
			return it, nil
		}
		added := w.added
		w.mu.Unlock()
		select {
		case <-added:
		case <-ctx.Done():
			return Item{}, fmt.Errorf("dbustest: waiting for StatusNotifierItem #%d: %w", n, ctx.Err())
		}
	}
}

// Close releases the watcher's name and closes its connection. Trays that
// watch NameOwnerChanged re-register when a new watcher appears.
func (w *Watcher) Close() error {
	return w.conn.Close()
}
