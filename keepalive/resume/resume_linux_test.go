package resume

import (
	"context"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tokentray/tokentray/tray/dbustest"
)

// fakeLogind is a connection on the test bus that owns logind's name and
// emits PrepareForSleep.
func connect(t *testing.T, bus *dbustest.Bus) *dbus.Conn {
	t.Helper()
	conn, err := bus.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestWakeOnPrepareForSleepFalse(t *testing.T) {
	bus := dbustest.New(t)
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.Address)
	logind := connect(t, bus)
	if reply, err := logind.RequestName(logindName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("claiming %s: %v %v", logindName, reply, err)
	}
	impostor := connect(t, bus)

	woke := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, func() { woke <- struct{}{} }) }()

	emit := func(c *dbus.Conn, sleeping bool) {
		if err := c.Emit(logindPath, managerIfce+".PrepareForSleep", sleeping); err != nil {
			t.Fatal(err)
		}
	}
	// The watcher subscribes in the background: emit until it answers.
	deadline := time.Now().Add(10 * time.Second)
	for len(woke) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no wake-up after PrepareForSleep(false)")
		}
		emit(logind, false)
		time.Sleep(50 * time.Millisecond)
	}
	// Let wake-ups from the emits above arrive, until it is quiet.
	for quiet := false; !quiet; {
		select {
		case <-woke:
		case <-time.After(300 * time.Millisecond):
			quiet = true
		}
	}
	// Going to sleep, and anyone but logind, wake nobody.
	emit(logind, true)
	emit(impostor, false)
	emit(logind, false) // a real resume, as a marker that the others were processed
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		t.Fatal("no wake-up for the real resume")
	}
	select {
	case <-woke:
		t.Fatal("woken by PrepareForSleep(true) or by an impostor")
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch returned %v", err)
	}
}

func TestNoSystemBus(t *testing.T) {
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/tokentray-test-bus")
	if err := Watch(context.Background(), func() {}); err == nil {
		t.Fatal("Watch without a system bus returned nil")
	}
}
