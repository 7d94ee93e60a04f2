//go:build linux

package notify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/tokentray/tokentray/tray/dbustest"
)

const app = "tokentray-test"

// setup starts a private bus, points DBUS_SESSION_BUS_ADDRESS at it and
// returns it; the caller adds a notification server (or not).
func setup(t *testing.T) *dbustest.Bus {
	b := dbustest.New(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", b.Address)
	return b
}

func newNotifier(t *testing.T) Notifier {
	t.Helper()
	n := New(app)
	if _, ok := n.(*dbusNotifier); !ok {
		t.Fatalf("New returned %T, want the D-Bus notifier", n)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func waitCalls(t *testing.T, s *dbustest.NotificationServer, n int) []dbustest.NotifyCall {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	calls, err := s.WaitCalls(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return calls
}

func nextAction(t *testing.T, n Notifier) Action {
	t.Helper()
	select {
	case a, ok := <-n.Actions():
		if !ok {
			t.Fatal("Actions closed")
		}
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no action delivered")
	}
	return Action{}
}

func noAction(t *testing.T, n Notifier) {
	t.Helper()
	select {
	case a := <-n.Actions():
		t.Fatalf("unexpected action %+v", a)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestShowReplaceActionDismiss(t *testing.T) {
	b := setup(t)
	s := b.NewNotificationServer(t, dbustest.NotificationServerOptions{Actions: true})
	n := newNotifier(t)

	if err := n.Show(Notification{Key: "alice", Title: "alice needs sign-in", Body: "The refresh token was revoked.", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	c := waitCalls(t, s, 1)[0]
	if c.AppName != app || c.Summary != "alice needs sign-in" || c.Body != "The refresh token was revoked." || c.ReplacesID != 0 {
		t.Errorf("first Notify %+v", c)
	}
	if !slices.Equal(c.Actions, []string{"default", "Sign In", "signin", "Sign In"}) {
		t.Errorf("actions %q", c.Actions)
	}
	if u, ok := c.Urgency(); ok {
		t.Errorf("urgency %d sent for a bubble that is not urgent", u)
	}
	if sig := appIconHint().Variant.Signature().String(); sig != "(iiibiiay)" {
		t.Errorf("image-data signature %s", sig)
	}
	if v, ok := c.Hints["image-data"]; !ok {
		t.Error("no image-data hint")
	} else {
		var img imageData
		if err := dbus.Store([]any{v.Value()}, &img); err != nil || img.Width != 128 || img.Height != 128 ||
			img.Channels != 4 || !img.HasAlpha || len(img.Data) != int(img.RowStride*img.Height) {
			t.Errorf("image-data %dx%d stride %d len %d: %v", img.Width, img.Height, img.RowStride, len(img.Data), err)
		}
	}
	if strings.Contains(c.Body, TrayHint) {
		t.Error("tray hint added although the server has buttons")
	}
	first := c.ID

	// Same key again: one bubble per episode.
	if err := n.Show(Notification{Key: "alice", Title: "alice still needs sign-in", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	c = waitCalls(t, s, 2)[1]
	if c.ReplacesID != first || c.ID != first {
		t.Errorf("second Notify replaces %d (id %d), want %d", c.ReplacesID, c.ID, first)
	}
	// Another key: a second bubble, without any button and without a
	// click action (it would do nothing).
	if err := n.Show(Notification{Key: "bob", Title: "bob signed in"}); err != nil {
		t.Fatal(err)
	}
	c = waitCalls(t, s, 3)[2]
	if c.ReplacesID != 0 || c.ID == first || len(c.Actions) != 0 {
		t.Errorf("bob's Notify %+v", c)
	}
	bob := c.ID

	// Signals for ids that are not ours (another app's bubbles) are ignored.
	if err := s.EmitAction(first+100, ActionSignIn); err != nil {
		t.Fatal(err)
	}
	if err := s.EmitAction(first, ActionSignIn); err != nil {
		t.Fatal(err)
	}
	if a := nextAction(t, n); a != (Action{Key: "alice", Name: ActionSignIn}) {
		t.Errorf("action %+v", a)
	}
	// A click on a bubble without buttons has no meaning; a click on
	// alice's is her first button.
	if err := s.EmitAction(bob, ActionDefault); err != nil {
		t.Fatal(err)
	}
	if err := s.EmitAction(first, ActionDefault); err != nil {
		t.Fatal(err)
	}
	if a := nextAction(t, n); a != (Action{Key: "alice", Name: ActionSignIn}) {
		t.Errorf("action %+v, want the click on alice's bubble as Sign In", a)
	}
	// Unknown action keys are ignored.
	if err := s.EmitAction(first, "snooze"); err != nil {
		t.Fatal(err)
	}
	noAction(t, n)

	// Dismiss closes alice's bubble; a second Dismiss is a no-op.
	if err := n.Dismiss("alice"); err != nil {
		t.Fatal(err)
	}
	if err := n.Dismiss("alice"); err != nil {
		t.Fatal(err)
	}
	if got := s.ClosedIDs(); !slices.Equal(got, []uint32{first}) {
		t.Errorf("CloseNotification ids %v, want [%d]", got, first)
	}
	// After the episode ended, alice gets a fresh bubble.
	if err := n.Show(Notification{Key: "alice", Title: "again", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	if c := waitCalls(t, s, 4)[3]; c.ReplacesID != 0 {
		t.Errorf("Notify after Dismiss replaces %d", c.ReplacesID)
	}
}

// A bubble the user closed is forgotten: the next Show makes a new one,
// and a late action for the old id is not delivered.
func TestClosedByUser(t *testing.T) {
	b := setup(t)
	s := b.NewNotificationServer(t, dbustest.NotificationServerOptions{Actions: true})
	n := newNotifier(t)

	if err := n.Show(Notification{Key: "alice", Title: "t", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	id := waitCalls(t, s, 1)[0].ID
	d := n.(*dbusNotifier)
	forgot := make(chan struct{}, 1)
	d.mu.Lock()
	d.testHookForgot = func() {
		select {
		case forgot <- struct{}{}:
		default:
		}
	}
	d.mu.Unlock()
	if err := s.EmitClosed(id, dbustest.ReasonDismissed); err != nil {
		t.Fatal(err)
	}
	select {
	case <-forgot:
	case <-time.After(10 * time.Second):
		t.Fatal("NotificationClosed not processed")
	}
	d.mu.Lock()
	_, open := d.byKey["alice"]
	d.testHookForgot = nil
	d.mu.Unlock()
	if open {
		t.Fatal("the closed bubble is still remembered")
	}
	if err := s.EmitAction(id, ActionSignIn); err != nil {
		t.Fatal(err)
	}
	noAction(t, n)
	if err := n.Show(Notification{Key: "alice", Title: "t", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	if c := waitCalls(t, s, 2)[1]; c.ReplacesID != 0 {
		t.Errorf("Show after close replaces %d", c.ReplacesID)
	}
	// Dismiss of a bubble already closed sends nothing.
	if err := n.Dismiss("nobody"); err != nil {
		t.Fatal(err)
	}
	if len(s.ClosedIDs()) != 0 {
		t.Errorf("CloseNotification called: %v", s.ClosedIDs())
	}
}

// Only the notification server may press buttons: the same signal sent
// by another connection is ignored, whether broadcast (the match rule
// keeps it out) or addressed to the notifier's connection (the bus
// delivers unicast signals whatever the match rules say).
func TestForgedSignalIgnored(t *testing.T) {
	b := setup(t)
	s := b.NewNotificationServer(t, dbustest.NotificationServerOptions{Actions: true})
	n := newNotifier(t)
	if err := n.Show(Notification{Key: "alice", Title: "t", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	id := waitCalls(t, s, 1)[0].ID
	me := n.(*dbusNotifier).conn.Names()[0]

	rogue, err := b.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer rogue.Close()
	const invoked = dbustest.NotificationsIface + ".ActionInvoked"
	if err := rogue.Emit(dbustest.NotificationsPath, invoked, id, ActionSignIn); err != nil {
		t.Fatal(err)
	}
	if err := dbustest.SendSignal(rogue, me, dbustest.NotificationsPath, invoked, id, ActionDefault); err != nil {
		t.Fatal(err)
	}
	// The server itself, but on another object path.
	if err := dbustest.SendSignal(s.Conn(), me, "/org/freedesktop/Other", invoked, id, ActionDefault); err != nil {
		t.Fatal(err)
	}
	// The forgeries reach the notifier before the genuine press: the bus
	// handles the messages of one connection in order and queues them for
	// the notifier in the order it handles them.
	for _, c := range []*dbus.Conn{rogue, s.Conn()} {
		if err := dbustest.Flush(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.EmitAction(id, ActionSignIn); err != nil {
		t.Fatal(err)
	}
	if a := nextAction(t, n); a != (Action{Key: "alice", Name: ActionSignIn}) {
		t.Errorf("first action %+v, want alice's genuine sign-in", a)
	}
	noAction(t, n)
}

// When another server takes over org.freedesktop.Notifications, the
// notifier follows the name: the new owner's presses arrive, the old
// server's no longer do.
func TestServerReplaced(t *testing.T) {
	b := setup(t)
	old := b.NewNotificationServer(t, dbustest.NotificationServerOptions{Actions: true})
	n := newNotifier(t)
	if err := n.Show(Notification{Key: "alice", Title: "t", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	waitCalls(t, old, 1)
	me := n.(*dbusNotifier).conn.Names()[0]
	if _, err := old.Conn().ReleaseName(dbustest.NotificationsName); err != nil {
		t.Fatal(err)
	}
	s := b.NewNotificationServer(t, dbustest.NotificationServerOptions{Actions: true})
	if err := n.Show(Notification{Key: "bob", Title: "t", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	id := waitCalls(t, s, 1)[0].ID

	// The old server is still connected but no longer owns the name.
	if err := dbustest.SendSignal(old.Conn(), me, dbustest.NotificationsPath, dbustest.NotificationsIface+".ActionInvoked", id, ActionDefault); err != nil {
		t.Fatal(err)
	}
	if err := dbustest.Flush(old.Conn()); err != nil {
		t.Fatal(err)
	}
	if err := s.EmitAction(id, ActionSignIn); err != nil {
		t.Fatal(err)
	}
	if a := nextAction(t, n); a != (Action{Key: "bob", Name: ActionSignIn}) {
		t.Errorf("action %+v, want bob's sign-in from the new server", a)
	}
	noAction(t, n)
}

func TestServerWithoutActions(t *testing.T) {
	b := setup(t)
	s := b.NewNotificationServer(t, dbustest.NotificationServerOptions{})
	n := newNotifier(t)
	if err := n.Show(Notification{Key: "alice", Title: "t", Body: "Session expired.", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	if err := n.Show(Notification{Key: "bob", Title: "t", Body: "Refreshed."}); err != nil {
		t.Fatal(err)
	}
	calls := waitCalls(t, s, 2)
	if len(calls[0].Actions) != 0 || len(calls[1].Actions) != 0 {
		t.Errorf("actions sent to a server without the capability: %q %q", calls[0].Actions, calls[1].Actions)
	}
	if calls[0].Body != "Session expired.\n\n"+TrayHint {
		t.Errorf("sign-in body %q", calls[0].Body)
	}
	if calls[1].Body != "Refreshed." {
		t.Errorf("plain body %q", calls[1].Body)
	}
	if err := n.Show(Notification{Key: "carol", Title: "t", Body: "http://x/", Buttons: []Button{{"copy", "Copy link"}},
		NoButtonsHint: "Choose Copy sign-in link in the menu."}); err != nil {
		t.Fatal(err)
	}
	if c := waitCalls(t, s, 3)[2]; c.Body != "http://x/\n\nChoose Copy sign-in link in the menu." || len(c.Actions) != 0 {
		t.Errorf("link bubble without actions: %q %q", c.Body, c.Actions)
	}
	if err := n.Show(Notification{Key: "carol", Title: "t", Body: "http://x/", Buttons: []Button{{"copy", "Copy link"}},
		NoButtonsHint: "Choose Copy sign-in link in the menu."}); err != nil {
		t.Fatal(err)
	}
	if c := waitCalls(t, s, 3)[2]; c.Body != "http://x/\n\nChoose Copy sign-in link in the menu." || len(c.Actions) != 0 {
		t.Errorf("link bubble without actions: %q %q", c.Body, c.Actions)
	}
}

func TestBodyMarkupEscaped(t *testing.T) {
	b := setup(t)
	s := b.NewNotificationServer(t, dbustest.NotificationServerOptions{Actions: true, BodyMarkup: true})
	n := newNotifier(t)
	if err := n.Show(Notification{Key: "a", Title: "t", Body: "R&D <team>"}); err != nil {
		t.Fatal(err)
	}
	if c := waitCalls(t, s, 1)[0]; c.Body != "R&amp;D &lt;team&gt;" {
		t.Errorf("body %q", c.Body)
	}
}

// The notifier may start before the notification server (e.g. at login):
// it subscribes by name, so the server's signals still arrive.
func TestServerStartsLater(t *testing.T) {
	b := setup(t)
	n := newNotifier(t)
	err := n.Show(Notification{Key: "a", Title: "t"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Show without a server: %v, want ErrUnavailable", err)
	}
	s := b.NewNotificationServer(t, dbustest.NotificationServerOptions{Actions: true})
	if err := n.Show(Notification{Key: "a", Title: "t", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.EmitAction(waitCalls(t, s, 1)[0].ID, ActionSignIn); err != nil {
		t.Fatal(err)
	}
	if a := nextAction(t, n); a != (Action{Key: "a", Name: ActionSignIn}) {
		t.Errorf("action %+v", a)
	}
}

func TestCloseEndsActions(t *testing.T) {
	setup(t)
	n := New(app)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-n.Actions():
		if ok {
			t.Fatal("action after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Actions not closed by Close")
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNoSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus")
	n := New(app)
	defer n.Close()
	if _, ok := n.(*unavailable); !ok {
		t.Fatalf("New without a bus returned %T", n)
	}
	err := n.Show(Notification{Key: "a", Title: "t", SignIn: true})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Show: %v, want ErrUnavailable", err)
	}
	if err := n.Dismiss("a"); err != nil {
		t.Errorf("Dismiss: %v", err)
	}
	n.Close()
	if _, ok := <-n.Actions(); ok {
		t.Error("Actions delivered on an unavailable notifier")
	}
}

// hungServer answers no call until released.
type hungServer struct{ release chan struct{} }

func (h hungServer) GetCapabilities() ([]string, *dbus.Error) {
	<-h.release
	return []string{"actions"}, nil
}

// A notification server that stops answering must not block Show.
func TestHungServer(t *testing.T) {
	b := setup(t)
	conn, err := b.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h := hungServer{release: make(chan struct{})}
	defer close(h.release)
	if err := conn.Export(h, dbustest.NotificationsPath, dbustest.NotificationsIface); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.RequestName(dbustest.NotificationsName, dbus.NameFlagDoNotQueue); err != nil {
		t.Fatal(err)
	}
	old := callTimeout
	callTimeout = 300 * time.Millisecond
	defer func() { callTimeout = old }()

	n := newNotifier(t)
	start := time.Now()
	err = n.Show(Notification{Key: "a", Title: "t"})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("Show against a hung server: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Show took %v", d)
	}
}

// Every button sent is one of the notification's, the click on the bubble
// is its first button, an urgent one is sent at critical urgency and
// never expires.
func TestButtonsAndUrgency(t *testing.T) {
	b := setup(t)
	s := b.NewNotificationServer(t, dbustest.NotificationServerOptions{Actions: true})
	n := newNotifier(t)
	err := n.Show(Notification{Key: "work", Title: "Open this link to sign in", Body: "http://127.0.0.1:1/start",
		Buttons: []Button{{ID: "copy", Label: "Copy link"}}, Urgent: true})
	if err != nil {
		t.Fatal(err)
	}
	c := waitCalls(t, s, 1)[0]
	if !slices.Equal(c.Actions, []string{"default", "Copy link", "copy", "Copy link"}) {
		t.Errorf("actions %q", c.Actions)
	}
	if u, ok := c.Urgency(); !ok || u != 2 || c.Timeout != 0 {
		t.Errorf("urgency %d (sent %v), timeout %d; want critical, never expiring", u, ok, c.Timeout)
	}
	if err := s.EmitAction(c.ID, ActionDefault); err != nil {
		t.Fatal(err)
	}
	if a := nextAction(t, n); a != (Action{Key: "work", Name: "copy"}) {
		t.Errorf("click on the bubble delivered %+v", a)
	}
	if err := s.EmitAction(c.ID, ActionSignIn); err != nil { // not offered on this bubble
		t.Fatal(err)
	}
	noAction(t, n)
}

// xfce4-notifyd draws the "default" action as a button of its own (it
// showed "Open" next to "Sign In", and "Open" alone on the signed-in
// bubble): it gets only the real buttons.
func TestServerDrawingDefaultAsButton(t *testing.T) {
	b := setup(t)
	s := b.NewNotificationServer(t, dbustest.NotificationServerOptions{Actions: true, Name: "xfce4-notifyd"})
	n := newNotifier(t)
	if err := n.Show(Notification{Key: "work", Title: "work needs you to sign in", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	if err := n.Show(Notification{Key: "other", Title: "other: signed in as a@example.com"}); err != nil {
		t.Fatal(err)
	}
	calls := waitCalls(t, s, 2)
	if !slices.Equal(calls[0].Actions, []string{"signin", "Sign In"}) || len(calls[1].Actions) != 0 {
		t.Errorf("actions %q and %q", calls[0].Actions, calls[1].Actions)
	}
	if err := s.EmitAction(calls[0].ID, ActionSignIn); err != nil {
		t.Fatal(err)
	}
	if a := nextAction(t, n); a != (Action{Key: "work", Name: ActionSignIn}) {
		t.Errorf("action %+v", a)
	}
}

// dunst takes actions but draws no buttons: the text says where to sign
// in, and the actions still work (its context menu).
func TestButtonlessServer(t *testing.T) {
	b := setup(t)
	s := b.NewNotificationServer(t, dbustest.NotificationServerOptions{Actions: true, Name: "dunst"})
	n := newNotifier(t)
	if err := n.Show(Notification{Key: "work", Title: "work needs you to sign in", Body: "Revoked.", SignIn: true}); err != nil {
		t.Fatal(err)
	}
	c := waitCalls(t, s, 1)[0]
	if c.Body != "Revoked.\n\n"+TrayHint || !slices.Equal(c.Actions, []string{"default", "Sign In", "signin", "Sign In"}) {
		t.Errorf("body %q, actions %q", c.Body, c.Actions)
	}
}
