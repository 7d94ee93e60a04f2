package dbustest

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func connect(t *testing.T, b *Bus) *dbus.Conn {
	t.Helper()
	c, err := b.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// nextSignal returns the next signal called name, skipping the bus's own
// signals (NameAcquired...), which every connection receives.
func nextSignal(t *testing.T, sigs <-chan *dbus.Signal, name string) *dbus.Signal {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case s := <-sigs:
			if s.Name == name {
				return s
			}
			if s.Sender != "org.freedesktop.DBus" {
				t.Fatalf("unexpected signal %s %v while waiting for %s", s.Name, s.Body, name)
			}
		case <-timeout:
			t.Fatalf("no %s signal", name)
		}
	}
}

func TestBusStartClose(t *testing.T) {
	if !Available() {
		t.Skip("dbus-daemon not installed")
	}
	b, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.Connect()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := c.BusObject().Call("org.freedesktop.DBus.ListNames", 0).Store(&names); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, c.Names()[0]) {
		t.Fatalf("ListNames %v lacks our own name %s", names, c.Names()[0])
	}
	// Nothing may be activatable: no service directories.
	var act []string
	if err := c.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&act); err != nil {
		t.Fatal(err)
	}
	for _, n := range act {
		if n != "org.freedesktop.DBus" {
			t.Errorf("activatable service %q on a private bus", n)
		}
	}
	var env string
	for _, kv := range b.Env() {
		if len(kv) > 25 && kv[:25] == "DBUS_SESSION_BUS_ADDRESS=" {
			env = kv[25:]
		}
	}
	if env != b.Address {
		t.Errorf("Env address %q, want %q", env, b.Address)
	}

	dir := b.dir
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("bus dir %s still there: %v", dir, err)
	}
	// The connection is gone with the daemon.
	if err := c.BusObject().Call("org.freedesktop.DBus.GetId", 0).Err; err == nil {
		t.Error("call on a closed bus succeeded")
	}
	if _, err := dbus.Connect(b.Address); err == nil {
		t.Error("connected to a closed bus")
	}
}

func TestWatcher(t *testing.T) {
	b := New(t)
	w := b.NewWatcher(t)
	c := connect(t, b)

	sigs := make(chan *dbus.Signal, 10)
	c.Signal(sigs)
	if err := c.AddMatchSignal(dbus.WithMatchInterface(WatcherIface), dbus.WithMatchMember("StatusNotifierItemRegistered")); err != nil {
		t.Fatal(err)
	}

	obj := c.Object(WatcherName, WatcherPath)
	var hostOK dbus.Variant
	hostOK, err := obj.GetProperty(WatcherIface + ".IsStatusNotifierHostRegistered")
	if err != nil || hostOK.Value() != true {
		t.Fatalf("IsStatusNotifierHostRegistered = %v, %v", hostOK, err)
	}
	if v, err := obj.GetProperty(WatcherIface + ".ProtocolVersion"); err != nil || v.Value() != int32(0) {
		t.Fatalf("ProtocolVersion = %v, %v", v, err)
	}

	// Registration by object path: the item lives on the caller.
	if err := obj.Call(WatcherIface+".RegisterStatusNotifierItem", 0, "/StatusNotifierItem").Err; err != nil {
		t.Fatal(err)
	}
	it, err := w.WaitItem(ctxTimeout(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := Item{BusName: c.Names()[0], Path: "/StatusNotifierItem"}
	if it != want {
		t.Fatalf("item %+v, want %+v", it, want)
	}
	s := nextSignal(t, sigs, WatcherIface+".StatusNotifierItemRegistered")
	if len(s.Body) != 1 || s.Body[0] != want.String() {
		t.Errorf("StatusNotifierItemRegistered body %v, want %q", s.Body, want.String())
	}

	// Registration by bus name: the item is at the default path.
	if err := obj.Call(WatcherIface+".RegisterStatusNotifierItem", 0, "org.example.App").Err; err != nil {
		t.Fatal(err)
	}
	it, err = w.WaitItem(ctxTimeout(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	if it != (Item{BusName: "org.example.App", Path: "/StatusNotifierItem"}) {
		t.Fatalf("second item %+v", it)
	}
	v, err := obj.GetProperty(WatcherIface + ".RegisteredStatusNotifierItems")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := v.Value().([]string)
	if !slices.Equal(got, []string{want.String(), "org.example.App/StatusNotifierItem"}) {
		t.Errorf("RegisteredStatusNotifierItems = %q", got)
	}
	if len(w.Items()) != 2 {
		t.Errorf("Items() = %v", w.Items())
	}

	if err := obj.Call(WatcherIface+".RegisterStatusNotifierHost", 0, "org.example.Host").Err; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.Hosts(), []string{"org.example.Host"}) {
		t.Errorf("Hosts() = %q", w.Hosts())
	}

	// WaitItem honours its context.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := w.WaitItem(ctx, 3); err == nil {
		t.Error("WaitItem(3) returned without a third registration")
	}

	// A second watcher cannot take the name.
	if _, err := StartWatcher(b.Address); err == nil {
		t.Error("second watcher claimed the name")
	}
}

func TestNotificationServer(t *testing.T) {
	b := New(t)
	s := b.NewNotificationServer(t, NotificationServerOptions{Actions: true})
	c := connect(t, b)
	sigs := make(chan *dbus.Signal, 10)
	c.Signal(sigs)
	if err := c.AddMatchSignal(dbus.WithMatchInterface(NotificationsIface)); err != nil {
		t.Fatal(err)
	}
	obj := c.Object(NotificationsName, NotificationsPath)

	var caps []string
	if err := obj.Call(NotificationsIface+".GetCapabilities", 0).Store(&caps); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(caps, "actions") || !slices.Contains(caps, "body") {
		t.Errorf("capabilities %q", caps)
	}
	var name, vendor, version, spec string
	if err := obj.Call(NotificationsIface+".GetServerInformation", 0).Store(&name, &vendor, &version, &spec); err != nil {
		t.Fatal(err)
	}
	if spec != "1.2" {
		t.Errorf("spec version %q", spec)
	}

	notify := func(replaces uint32, summary string) uint32 {
		t.Helper()
		var id uint32
		err := obj.Call(NotificationsIface+".Notify", 0, "app", replaces, "", summary, "body",
			[]string{"default", "", "signin", "Sign In"}, map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(1))}, int32(-1)).Store(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	id1 := notify(0, "one")
	id2 := notify(0, "two")
	id3 := notify(id1, "one again")
	if id1 == 0 || id2 == id1 || id3 != id1 {
		t.Fatalf("ids %d %d %d", id1, id2, id3)
	}
	calls, err := s.WaitCalls(ctxTimeout(t), 3)
	if err != nil {
		t.Fatal(err)
	}
	if calls[2].ReplacesID != id1 || calls[2].Summary != "one again" || calls[2].AppName != "app" || calls[2].Sender != c.Names()[0] {
		t.Errorf("third call %+v", calls[2])
	}
	if l, ok := calls[0].ActionLabel("signin"); !ok || l != "Sign In" {
		t.Errorf("ActionLabel(signin) = %q, %v", l, ok)
	}
	if _, ok := calls[0].ActionLabel("Sign In"); ok {
		t.Error("a label was taken for a key")
	}
	if calls[0].Hints["urgency"].Value() != byte(1) {
		t.Errorf("hints %v", calls[0].Hints)
	}

	expect := func(member string, body ...any) {
		t.Helper()
		sg := nextSignal(t, sigs, NotificationsIface+"."+member)
		if !slices.Equal(sg.Body, body) || sg.Sender != s.UniqueName() {
			t.Errorf("signal %s %v from %s, want %v from %s", sg.Name, sg.Body, sg.Sender, body, s.UniqueName())
		}
	}
	if err := s.EmitAction(id2, "signin"); err != nil {
		t.Fatal(err)
	}
	expect("ActionInvoked", id2, "signin")
	if err := obj.Call(NotificationsIface+".CloseNotification", 0, id2).Err; err != nil {
		t.Fatal(err)
	}
	expect("NotificationClosed", id2, ReasonClosed)
	if !slices.Equal(s.ClosedIDs(), []uint32{id2}) {
		t.Errorf("ClosedIDs %v", s.ClosedIDs())
	}
	if err := s.EmitClosed(id1, ReasonDismissed); err != nil {
		t.Fatal(err)
	}
	expect("NotificationClosed", id1, ReasonDismissed)
}

func TestNotificationServerWithoutActions(t *testing.T) {
	b := New(t)
	b.NewNotificationServer(t, NotificationServerOptions{})
	c := connect(t, b)
	var caps []string
	if err := c.Object(NotificationsName, NotificationsPath).Call(NotificationsIface+".GetCapabilities", 0).Store(&caps); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(caps, "actions") {
		t.Errorf("capabilities %q include actions", caps)
	}
}

// A signal sent with SendSignal reaches its destination although it has
// no match rule, and nobody else; Flush orders it before a later message.
func TestSendSignal(t *testing.T) {
	b := New(t)
	from, to, other := connect(t, b), connect(t, b), connect(t, b)
	// other listens to everything broadcast; to has no match rule at all.
	if err := other.AddMatchSignal(); err != nil {
		t.Fatal(err)
	}
	toSigs, otherSigs := make(chan *dbus.Signal, 8), make(chan *dbus.Signal, 8)
	to.Signal(toSigs)
	other.Signal(otherSigs)

	if err := SendSignal(from, to.Names()[0], "/a/b", "org.example.Test.Ping", uint32(7), "x"); err != nil {
		t.Fatal(err)
	}
	if err := Flush(from); err != nil {
		t.Fatal(err)
	}
	if err := from.Emit("/a/b", "org.example.Test.Broadcast"); err != nil {
		t.Fatal(err)
	}
	s := nextSignal(t, toSigs, "org.example.Test.Ping")
	if s.Sender != from.Names()[0] || s.Path != "/a/b" || !slices.Equal(s.Body, []any{uint32(7), "x"}) {
		t.Errorf("signal from %s on %s: %v", s.Sender, s.Path, s.Body)
	}
	// other sees the broadcast but not the unicast signal sent before it.
	nextSignal(t, otherSigs, "org.example.Test.Broadcast")

	if err := SendSignal(from, to.Names()[0], "/a", "NoInterface"); err == nil {
		t.Error("SendSignal accepted a name without an interface")
	}
}
