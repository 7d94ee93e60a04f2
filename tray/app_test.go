package tray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentray/tokentray/assets"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/tray/notify"
)

// fakeShell records what the loop does to the tray. Every method may be
// called from the loop goroutine while the test reads under mu.
type fakeShell struct {
	mu       sync.Mutex
	icon     string
	tooltip  string
	items    []*fakeItem // top level, in order; separators have sep set
	calls    []string    // every call, for the no-flicker checks
	resets   int
	quitting bool
}

type fakeItem struct {
	sh               *fakeShell
	title, tooltip   string
	enabled, checked bool
	checkbox, sep    bool
	children         []*fakeItem
	clicked          chan struct{}
	removed, hidden  bool
}

func (s *fakeShell) log(f string, args ...any) { s.calls = append(s.calls, fmt.Sprintf(f, args...)) }

func (s *fakeShell) SetIcon(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.icon = name
	s.log("icon %s", name)
}

func (s *fakeShell) SetTooltip(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tooltip = text
	s.log("tooltip")
}

func (s *fakeShell) AddItem(title, tooltip string, checkbox bool) widget {
	s.mu.Lock()
	defer s.mu.Unlock()
	it := &fakeItem{sh: s, title: title, tooltip: tooltip, enabled: true, checkbox: checkbox, clicked: make(chan struct{})}
	s.items = append(s.items, it)
	s.log("add %s", title)
	return it
}

func (s *fakeShell) AddSeparator() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items = append(s.items, &fakeItem{sep: true})
}

func (s *fakeShell) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	var close1 func(items []*fakeItem)
	close1 = func(items []*fakeItem) {
		for _, it := range items {
			if !it.sep && !it.removed {
				it.removed = true
				close(it.clicked)
			}
			close1(it.children)
		}
	}
	close1(s.items)
	s.items = nil
	s.resets++
	s.log("reset")
}

func (i *fakeItem) set(f func()) {
	i.sh.mu.Lock()
	defer i.sh.mu.Unlock()
	f()
}

func (i *fakeItem) SetTitle(t string) {
	i.set(func() { i.title = t; i.sh.log("title %s", t) })
}
func (i *fakeItem) SetTooltip(t string) {
	i.set(func() { i.tooltip = t; i.sh.log("item tooltip %s", i.title) })
}
func (i *fakeItem) Enable()  { i.set(func() { i.enabled = true; i.sh.log("enable %s", i.title) }) }
func (i *fakeItem) Disable() { i.set(func() { i.enabled = false; i.sh.log("disable %s", i.title) }) }
func (i *fakeItem) Check()   { i.set(func() { i.checked = true; i.sh.log("check %s", i.title) }) }
func (i *fakeItem) Uncheck() { i.set(func() { i.checked = false; i.sh.log("uncheck %s", i.title) }) }
func (i *fakeItem) AddSubItem(title, tooltip string) widget {
	c := &fakeItem{sh: i.sh, title: title, tooltip: tooltip, enabled: true, clicked: make(chan struct{})}
	i.set(func() { i.children = append(i.children, c) })
	return c
}
func (i *fakeItem) Clicked() <-chan struct{} { return i.clicked }
func (i *fakeItem) Show()                    { i.set(func() { i.hidden = false; i.sh.log("show %s", i.title) }) }
func (i *fakeItem) Hide()                    { i.set(func() { i.hidden = true; i.sh.log("hide %s", i.title) }) }

// labels returns the top-level labels ("-" for separators) and, for
// items with a submenu, "label>child,child".
func (s *fakeShell) labels() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, it := range s.items {
		switch {
		case it.sep:
			out = append(out, "-")
		case len(it.children) > 0:
			var cs []string
			for _, c := range it.children {
				if !c.hidden {
					cs = append(cs, c.title)
				}
			}
			out = append(out, it.title+">"+strings.Join(cs, ","))
		default:
			out = append(out, it.title)
		}
	}
	return out
}

// find returns the first top-level item whose title starts with prefix,
// or its submenu child labelled child.
func (s *fakeShell) find(t *testing.T, prefix, child string) *fakeItem {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range s.items {
		if !it.sep && strings.HasPrefix(it.title, prefix) {
			if child == "" {
				return it
			}
			for _, c := range it.children {
				if c.title == child {
					return c
				}
			}
		}
	}
	t.Fatalf("no menu item %q %q", prefix, child)
	return nil
}

func (s *fakeShell) state(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *fakeShell) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// press delivers a click, waiting up to a second for the item's forwarder
// to receive it. It is for tests of what a click does; fyne.io/systray
// does not wait (see systrayClick), which TestAppClicksAreNotLost checks the loop
// copes with.
func press(t *testing.T, it *fakeItem) {
	t.Helper()
	select {
	case it.clicked <- struct{}{}:
	case <-time.After(time.Second):
		t.Fatalf("nobody receives clicks on %q", it.title)
	}
}

// systrayClick delivers a click the way fyne.io/systray does: a send that does
// not wait, so the click is lost unless the item's forwarder is receiving
// at that moment. It reports whether the click was delivered.
func systrayClick(it *fakeItem) bool {
	select {
	case it.clicked <- struct{}{}:
		return true
	default:
		return false
	}
}

// fakeEngine publishes snapshots the way keepalive.Engine does (latest
// wins) and records commands.
type fakeEngine struct {
	ch chan keepalive.Snapshot

	mu        sync.Mutex
	refreshes []string
	signIns   []string
	signInErr error
	// noBrowser, when set, makes SignInWith report that no browser could
	// be opened and wait for the sign-in's outcome on the channel.
	noBrowser chan error
	// device, with noBrowser, makes SignInWith a device sign-in that
	// shows this code.
	device *keepalive.DeviceAuthorization
	// refreshGate, when set, makes RefreshNow (which the loop calls
	// itself) wait until it is closed: the loop is then busy.
	refreshGate chan struct{}
}

func newFakeEngine(first keepalive.Snapshot) *fakeEngine {
	e := &fakeEngine{ch: make(chan keepalive.Snapshot, 1)}
	e.ch <- first
	return e
}

func (e *fakeEngine) Subscribe() (<-chan keepalive.Snapshot, func()) { return e.ch, func() {} }

func (e *fakeEngine) publish(s keepalive.Snapshot) {
	select {
	case <-e.ch:
	default:
	}
	e.ch <- s
}

// publishHandled publishes s and returns once the loop has finished
// handling it: the loop takes snapshots one at a time, so once it has
// taken a second copy of s (which the test only publishes after the loop
// took the first), it is done with the first.
func (e *fakeEngine) publishHandled(t *testing.T, s keepalive.Snapshot) {
	t.Helper()
	for range 2 {
		e.publish(s)
		keepalivetest.Eventually(t, "the loop takes the snapshot", func() bool { return len(e.ch) == 0 })
	}
}

func (e *fakeEngine) RefreshNow(name string) error {
	e.mu.Lock()
	e.refreshes = append(e.refreshes, name)
	gate := e.refreshGate
	e.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return nil
}

func (e *fakeEngine) SignInWith(ctx context.Context, name string, ui keepalive.SignInUI) error {
	e.mu.Lock()
	e.signIns = append(e.signIns, name)
	err := e.signInErr
	wait := e.noBrowser
	device := e.device
	e.mu.Unlock()
	if device != nil {
		ui.Device(device)
		return <-wait
	}
	if wait != nil {
		// Like the engine when no browser can be opened: the link is
		// handed to Unopened and the sign-in waits for the user.
		ui.Unopened("http://127.0.0.1:4000/start/"+name, errors.New("no opener"))
		return <-wait
	}
	return err
}

func (e *fakeEngine) calls() (refreshes, signIns []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.refreshes), slices.Clone(e.signIns)
}

type fakeNotifier struct {
	mu      sync.Mutex
	log     []string
	notes   []notify.Notification // every Show
	actions chan notify.Action
	closed  bool
}

func newFakeNotifier() *fakeNotifier { return &fakeNotifier{actions: make(chan notify.Action, 16)} }

func (n *fakeNotifier) Show(x notify.Notification) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.log = append(n.log, "show "+x.Key+": "+x.Title)
	n.notes = append(n.notes, x)
	return nil
}

func (n *fakeNotifier) Dismiss(key string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.log = append(n.log, "dismiss "+key)
	return nil
}

func (n *fakeNotifier) Actions() <-chan notify.Action { return n.actions }

func (n *fakeNotifier) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed {
		n.closed = true
		close(n.actions)
	}
	return nil
}

// last returns the last notification shown.
func (n *fakeNotifier) last() notify.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.notes) == 0 {
		return notify.Notification{}
	}
	return n.notes[len(n.notes)-1]
}

// fakeClipboard records what is copied; none makes it unavailable.
type fakeClipboard struct {
	mu     sync.Mutex
	none   bool
	copied []string
}

func (c *fakeClipboard) Available() bool { c.mu.Lock(); defer c.mu.Unlock(); return !c.none }
func (c *fakeClipboard) Copy(text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.copied = append(c.copied, text)
	return nil
}
func (c *fakeClipboard) texts() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.copied)
}

func (n *fakeNotifier) shown() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.log)
}

// fakeAutostart is a registration; enableErr makes Enable fail without
// registering.
type fakeAutostart struct {
	mu        sync.Mutex
	on        bool
	enableErr error
}

func (f *fakeAutostart) Status() (bool, error) { f.mu.Lock(); defer f.mu.Unlock(); return f.on, nil }
func (f *fakeAutostart) Enable() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.enableErr != nil {
		return f.enableErr
	}
	f.on = true
	return nil
}
func (f *fakeAutostart) Disable() error { f.mu.Lock(); defer f.mu.Unlock(); f.on = false; return nil }

type harness struct {
	sh     *fakeShell
	eng    *fakeEngine
	notif  *fakeNotifier
	auto   *fakeAutostart
	clip   *fakeClipboard
	urls   chan string // OpenURL
	hosts  chan bool
	opened chan string
	logs   *keepalivetest.Buffer
	done   chan struct{}
	cancel context.CancelFunc
	app    *app
}

func startApp(t *testing.T, first keepalive.Snapshot) *harness {
	t.Helper()
	return startAppWith(t, first, nil)
}

// startAppWith is startApp with options changed by opt.
func startAppWith(t *testing.T, first keepalive.Snapshot, opt func(*Options)) *harness {
	t.Helper()
	h := &harness{
		sh: &fakeShell{}, eng: newFakeEngine(first), notif: newFakeNotifier(),
		auto: &fakeAutostart{}, clip: &fakeClipboard{}, urls: make(chan string, 4), hosts: make(chan bool), opened: make(chan string, 4), done: make(chan struct{}),
		logs: &keepalivetest.Buffer{},
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	opts := Options{
		Engine: h.eng, Notifier: h.notif, LogFile: "/state/tokentray.log",
		Log:          slog.New(slog.NewTextHandler(h.logs, nil)),
		OpenFile:     func(p string) error { h.opened <- p; return nil },
		StartAtLogin: h.auto,
		Clipboard:    h.clip,
		OpenURL:      func(u string) error { h.urls <- u; return nil },
		Now:          func() time.Time { return t0 },
	}
	if opt != nil {
		opt(&opts)
	}
	h.app = newApp(opts, h.sh)
	h.app.hosts = h.hosts
	h.app.start(ctx)
	go func() { h.app.run(ctx); close(h.done) }()
	t.Cleanup(func() {
		cancel()
		<-h.done
		h.app.work.Wait()
	})
	return h
}

func TestAppMenuAndNoFlicker(t *testing.T) {
	work := owned("work", keepalive.OK)
	work.Expiry = t0.Add(time.Hour)
	claude := watchedAcc("claude", keepalive.OK)
	h := startApp(t, snap(work, claude))

	want := []string{
		"work: ok>Refresh,Sign In…",
		"claude: ok>Sign In…",
		"-", "Refresh now", "Sign In…", "-", "Start at login", "Open log", "-", "Quit",
	}
	if got := h.sh.labels(); !slices.Equal(got, want) {
		t.Fatalf("menu\n%q\nwant\n%q", got, want)
	}
	h.sh.state(func() {
		if h.sh.icon != assets.OK || !strings.HasPrefix(h.sh.tooltip, "tokentray: ok\nwork: ok\nclaude: ok") {
			t.Errorf("icon %q tooltip %q", h.sh.icon, h.sh.tooltip)
		}
	})
	signIn := h.sh.find(t, LabelSignIn, "")
	login := h.sh.find(t, LabelStartAtLogin, "")
	h.sh.state(func() {
		if signIn.enabled || !login.checkbox || login.checked {
			t.Errorf("sign in enabled %v, login %+v", signIn.enabled, login)
		}
	})

	// The same snapshot again (e.g. a field the tray does not show
	// changed): no call at all.
	before := h.sh.callCount()
	h.eng.publishHandled(t, snap(work, claude))
	h.app.work.Wait()
	if n := h.sh.callCount(); n != before {
		h.sh.state(func() { t.Errorf("redundant tray calls: %q", h.sh.calls[before:]) })
	}

	// work needs a sign-in: icon, line, top Sign In and one notification.
	need := owned("work", keepalive.NeedsSignIn)
	need.Reason = "the server rejected the refresh token"
	h.eng.publish(snap(need, claude))
	keepalivetest.Eventually(t, "sign-in icon", func() bool {
		var ok bool
		h.sh.state(func() { ok = h.sh.icon == assets.SignIn && signIn.enabled })
		return ok
	})
	h.sh.state(func() {
		if line := h.sh.items[0]; line.title != "work: needs sign-in" || signIn.tooltip != "Sign in to work" {
			t.Errorf("line %q, sign-in tooltip %q", line.title, signIn.tooltip)
		}
	})
	keepalivetest.Eventually(t, "notification", func() bool { return len(h.notif.shown()) == 1 })
	if got := h.notif.shown(); got[0] != "show work: work needs you to sign in" {
		t.Errorf("notifications %q", got)
	}
	// Exactly the changed values were pushed.
	h.sh.state(func() {
		got := h.sh.calls[before:]
		// Sign In… moves first in work's submenu; the top-level item
		// names the account.
		want := []string{"icon signin", "tooltip", "title work: needs sign-in", "item tooltip work: needs sign-in",
			"title Sign In…", "item tooltip Sign In…", "title Refresh", "item tooltip Refresh",
			"title Sign In to work…", "item tooltip Sign In to work…", "enable Sign In to work…"}
		if !slices.Equal(got, want) {
			t.Errorf("calls after the change:\n%q\nwant\n%q", got, want)
		}
	})
}

func TestAppCommands(t *testing.T) {
	need := owned("work", keepalive.NeedsSignIn)
	h := startApp(t, snap(need, watchedAcc("claude", keepalive.OK)))

	press(t, h.sh.find(t, LabelRefreshAll, ""))
	press(t, h.sh.find(t, "work:", LabelRefresh))
	press(t, h.sh.find(t, "claude:", LabelSignIn))
	press(t, h.sh.find(t, "Sign In", ""))
	h.notif.actions <- notify.Action{Key: "work", Name: notify.ActionSignIn}
	h.notif.actions <- notify.Action{Key: "claude", Name: notify.ActionDefault} // ok: ignored
	h.notif.actions <- notify.Action{Key: "work", Name: notify.ActionDefault}   // needs sign-in: signs in
	keepalivetest.Eventually(t, "commands", func() bool {
		r, s := h.eng.calls()
		return len(r) == 2 && len(s) == 4
	})
	// Each item has its own forwarder: clicks on different items may be
	// handled in any order.
	r, s := h.eng.calls()
	slices.Sort(r)
	if !slices.Equal(r, []string{"", "work"}) {
		t.Errorf("refreshes %q", r)
	}
	slices.Sort(s)
	if !slices.Equal(s, []string{"claude", "work", "work", "work"}) {
		t.Errorf("sign-ins %q", s)
	}

	press(t, h.sh.find(t, LabelOpenLog, ""))
	select {
	case p := <-h.opened:
		if p != "/state/tokentray.log" {
			t.Errorf("opened %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Open log did nothing")
	}

	// Start at login follows the registration, not the click.
	login := h.sh.find(t, LabelStartAtLogin, "")
	checked := func() (c bool) { h.sh.state(func() { c = login.checked }); return }
	press(t, login)
	keepalivetest.Eventually(t, "checked", checked)
	if on, _ := h.auto.Status(); !on {
		t.Error("not registered")
	}
	press(t, login)
	keepalivetest.Eventually(t, "unchecked", func() bool { return !checked() })
	h.auto.mu.Lock()
	h.auto.enableErr = errors.New("read-only home")
	h.auto.mu.Unlock()
	press(t, login)
	press(t, h.sh.find(t, LabelRefreshAll, "")) // a barrier: the loop is past the toggle
	keepalivetest.Eventually(t, "barrier", func() bool { r, _ := h.eng.calls(); return len(r) == 3 })
	if checked() {
		t.Error("checked although the registration failed")
	}

	press(t, h.sh.find(t, LabelQuit, ""))
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Quit did not end the loop")
	}
}

// fyne.io/systray drops a click nobody is receiving. Each item's forwarder
// must therefore be back at its channel right after a click, even while
// the loop is busy (here: blocked in RefreshNow) for as many clicks as the
// queue holds, and of course while the loop is free.
func TestAppClicksAreNotLost(t *testing.T) {
	h := startApp(t, snap(owned("work", keepalive.OK)))
	refresh := h.sh.find(t, LabelRefreshAll, "")
	refreshes := func() int { r, _ := h.eng.calls(); return len(r) }

	gate := make(chan struct{})
	release := sync.OnceFunc(func() { close(gate) })
	defer release()
	h.eng.mu.Lock()
	h.eng.refreshGate = gate
	h.eng.mu.Unlock()
	// The first click may wait for the forwarder to start; it then keeps
	// the loop busy.
	press(t, refresh)
	keepalivetest.Eventually(t, "the loop is busy", func() bool { return refreshes() == 1 })

	// clicks sends n clicks 5 ms apart, many times faster than anyone
	// clicks: the forwarder only has to be back at its channel by then,
	// even on a loaded machine. It returns how many were delivered.
	clicks := func(phase string, n int) int {
		delivered := 0
		for range n {
			if systrayClick(refresh) {
				delivered++
			}
			time.Sleep(5 * time.Millisecond)
		}
		if delivered != n {
			t.Errorf("%d of %d clicks lost while the loop was %s", n-delivered, n, phase)
		}
		return delivered
	}
	want := 1 + clicks("busy", clickBuffer)
	release()
	keepalivetest.Eventually(t, "the queued clicks", func() bool { return refreshes() == want })
	want += clicks("free", clickBuffer+1) // more than the queue holds
	keepalivetest.Eventually(t, "every click", func() bool { return refreshes() == want })
}

func TestAppRebuildsWhenAccountsChange(t *testing.T) {
	h := startApp(t, snap())
	if got := h.sh.labels(); !slices.Equal(got[:3], []string{LabelAddAccount, LabelOpenConfig, "-"}) {
		t.Fatalf("menu %q", got)
	}
	addAccount := h.sh.find(t, LabelAddAccount, "")
	oldRefresh := h.sh.find(t, LabelRefreshAll, "")
	h.sh.state(func() {
		if addAccount.enabled || oldRefresh.enabled || h.sh.icon != assets.None {
			t.Errorf("empty menu without AddAccount: add %v refresh %v icon %q", addAccount.enabled, oldRefresh.enabled, h.sh.icon)
		}
	})
	h.eng.publish(snap(owned("work", keepalive.OK)))
	keepalivetest.Eventually(t, "rebuild", func() bool {
		var n int
		h.sh.state(func() { n = h.sh.resets })
		return n == 1 && len(h.sh.labels()) > 0 && strings.HasPrefix(h.sh.labels()[0], "work: ok")
	})
	press(t, h.sh.find(t, LabelRefreshAll, ""))
	keepalivetest.Eventually(t, "refresh", func() bool { r, _ := h.eng.calls(); return len(r) == 1 })
	h.sh.state(func() {
		if !oldRefresh.removed {
			t.Error("old items were not removed")
		}
	})
}

func TestAppSignInErrorsAreLogged(t *testing.T) {
	h := startApp(t, snap(owned("work", keepalive.NeedsSignIn)))
	signIn := func(err error) string {
		h.eng.mu.Lock()
		h.eng.signInErr = err
		n := len(h.eng.signIns)
		h.eng.mu.Unlock()
		press(t, h.sh.find(t, "Sign In", ""))
		keepalivetest.Eventually(t, "sign-in", func() bool { _, s := h.eng.calls(); return len(s) == n+1 })
		// The result is logged after SignIn returns.
		keepalivetest.Eventually(t, "log line", func() bool { return strings.Count(h.logs.String(), `msg="sign-in`) >= 2*(n+1) })
		return h.logs.String()
	}
	if out := signIn(keepalive.ErrSignInInProgress); strings.Contains(out, "level=WARN") || !strings.Contains(out, "already in progress") {
		t.Errorf("in progress:\n%s", out)
	}
	if out := signIn(errors.New("cannot open the browser")); !strings.Contains(out, `level=WARN msg="sign-in failed" account=work err="cannot open the browser"`) {
		t.Errorf("failure not logged:\n%s", out)
	}
	// ... and said in a notification that offers Sign In again.
	keepalivetest.Eventually(t, "the failure notification", func() bool { return h.notif.last().Title == "work: sign-in did not complete" })
	if n := h.notif.last(); !n.SignIn || n.Body != "cannot open the browser" {
		t.Errorf("failure notification %+v", n)
	}
	if got := h.notif.shown(); slices.Contains(got, "show work: work: sign-in did not complete") && len(got) != 2 {
		t.Errorf("notifications %q: the sign-in in progress was announced as a failure", got)
	}
}

// No browser: the sign-in goes on, its link is posted in a notification
// with a Copy link button, the account's submenu offers Copy sign-in link
// while the sign-in waits, and a failed end is announced with Sign In.
func TestAppSignInLinkWithoutBrowser(t *testing.T) {
	for _, noClipboard := range []bool{false, true} {
		t.Run(fmt.Sprintf("noClipboard=%v", noClipboard), func(t *testing.T) {
			h := startApp(t, snap(owned("work", keepalive.NeedsSignIn)))
			h.clip.mu.Lock()
			h.clip.none = noClipboard
			h.clip.mu.Unlock()
			outcome := make(chan error)
			h.eng.mu.Lock()
			h.eng.noBrowser = outcome
			h.eng.mu.Unlock()
			const link = "http://127.0.0.1:4000/start/work"
			if got := h.sh.labels()[0]; got != "work: needs sign-in>Sign In…,Refresh" {
				t.Errorf("menu before the sign-in: %q", got)
			}
			press(t, h.sh.find(t, "Sign In to work", ""))
			keepalivetest.Eventually(t, "the link notification", func() bool { return h.notif.last().Title == "Open this link to sign in to work" })
			n := h.notif.last()
			if !strings.Contains(n.Body, link) || !n.Urgent {
				t.Errorf("link notification %+v", n)
			}
			wantButtons := []notify.Button{{ID: actionCopyLink, Label: "Copy link"}}
			if noClipboard {
				wantButtons = nil
			}
			if !slices.Equal(n.Buttons, wantButtons) {
				t.Errorf("buttons %+v, want %+v", n.Buttons, wantButtons)
			}
			keepalivetest.Eventually(t, "Copy sign-in link", func() bool {
				return h.sh.labels()[0] == "work: needs sign-in>Sign In…,Refresh,"+LabelCopyLink
			})

			press(t, h.sh.find(t, "work:", LabelCopyLink))
			if noClipboard {
				keepalivetest.Eventually(t, "the link shown", func() bool { return h.notif.last().Title == "Sign-in link of work" })
				if n := h.notif.last(); !strings.Contains(n.Body, link) || len(n.Buttons) != 0 {
					t.Errorf("link shown as %+v", n)
				}
			} else {
				keepalivetest.Eventually(t, "the copy", func() bool { return slices.Equal(h.clip.texts(), []string{link}) })
				h.notif.actions <- notify.Action{Key: "work", Name: actionCopyLink}
				keepalivetest.Eventually(t, "the second copy", func() bool { return len(h.clip.texts()) == 2 })
			}

			outcome <- errors.New("sign-in timed out")
			keepalivetest.Eventually(t, "Copy sign-in link gone", func() bool { return h.sh.labels()[0] == "work: needs sign-in>Sign In…,Refresh" })
			keepalivetest.Eventually(t, "the failure notification", func() bool { return h.notif.last().Title == "work: sign-in did not complete" })
			if n := h.notif.last(); !n.SignIn || n.Body != "sign-in timed out" {
				t.Errorf("failure notification %+v", n)
			}
		})
	}
}

// No tray host at start-up: one warning in the log and one notification;
// the notification closes when a host appears; a panel that restarts
// later is not announced again.
func TestAppNoTrayHost(t *testing.T) {
	h := startApp(t, snap(owned("work", keepalive.OK)))
	h.hosts <- false
	keepalivetest.Eventually(t, "the notice", func() bool { return slices.Contains(h.notif.shown(), "show "+noHostKey+": No system tray found") })
	if n := h.notif.last(); !strings.Contains(n.Body, "AppIndicator extension") || n.SignIn || len(n.Buttons) != 0 {
		t.Errorf("notice %+v", n)
	}
	if l := h.logs.String(); strings.Count(l, "no system tray found") != 1 || !strings.Contains(l, "on GNOME install the AppIndicator extension") {
		t.Errorf("log:\n%s", l)
	}
	h.hosts <- true
	keepalivetest.Eventually(t, "the notice closed", func() bool { return slices.Contains(h.notif.shown(), "dismiss "+noHostKey) })
	h.hosts <- false // the panel restarts
	h.hosts <- true
	h.hosts <- true // a barrier: the loop has handled the restart
	if got := h.notif.shown(); len(got) != 2 {
		t.Errorf("notifications %q, want the notice and its dismissal only", got)
	}
	if l := h.logs.String(); strings.Count(l, "no system tray found") != 1 {
		t.Errorf("warned again:\n%s", l)
	}
}

// A device sign-in shows its code in a notification whose button opens
// the verification page.
func TestAppDeviceSignIn(t *testing.T) {
	h := startApp(t, snap(owned("work", keepalive.NeedsSignIn)))
	outcome := make(chan error)
	h.eng.mu.Lock()
	h.eng.noBrowser = outcome
	h.eng.device = &keepalive.DeviceAuthorization{UserCode: "WDJB-MJHT", VerificationURI: "https://idp.example/device",
		VerificationURIComplete: "https://idp.example/device?user_code=WDJB-MJHT", ExpiresAt: t0.Add(10 * time.Minute)}
	h.eng.mu.Unlock()
	press(t, h.sh.find(t, "work:", LabelSignIn))
	keepalivetest.Eventually(t, "the code", func() bool { return h.notif.last().Title == "Sign in to work with the code WDJB-MJHT" })
	n := h.notif.last()
	if n.Body != "Open https://idp.example/device on any device and enter the code WDJB-MJHT. The code expires in 10m." ||
		!slices.Equal(n.Buttons, []notify.Button{{ID: actionOpenPage, Label: "Open page"}}) || !n.Urgent {
		t.Errorf("device notification %+v", n)
	}
	h.notif.actions <- notify.Action{Key: "work", Name: actionOpenPage}
	select {
	case u := <-h.urls:
		if u != "https://idp.example/device?user_code=WDJB-MJHT" {
			t.Errorf("opened %q", u)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Open page did nothing")
	}
	outcome <- errors.New("the sign-in was denied on the verification page")
	keepalivetest.Eventually(t, "the failure", func() bool { return h.notif.last().Title == "work: sign-in did not complete" })
	// The page is forgotten with the sign-in: a late press does nothing.
	h.eng.mu.Lock()
	h.eng.noBrowser, h.eng.device = nil, nil
	h.eng.mu.Unlock()
	h.notif.actions <- notify.Action{Key: "work", Name: actionOpenPage}
	h.notif.actions <- notify.Action{Key: "work", Name: notify.ActionSignIn} // a barrier: actions are handled in order
	keepalivetest.Eventually(t, "barrier", func() bool { _, s := h.eng.calls(); return len(s) == 2 })
	select {
	case u := <-h.urls:
		t.Errorf("opened %q after the sign-in ended", u)
	default:
	}
}

func TestAppNoAccountsOffersAddAccount(t *testing.T) {
	calls := make(chan string, 4)
	h := startAppWith(t, snap(), func(o *Options) {
		o.AddAccount = func() error { calls <- "add"; return nil }
		o.OpenConfig = func() error { calls <- "open"; return nil }
	})
	// Each item has its own forwarder: the two clicks may reach the loop
	// in either order.
	press(t, h.sh.find(t, LabelAddAccount, ""))
	press(t, h.sh.find(t, LabelOpenConfig, ""))
	var got []string
	for range 2 {
		select {
		case c := <-calls:
			got = append(got, c)
		case <-time.After(10 * time.Second):
			t.Fatalf("called only %q", got)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"add", "open"}) {
		t.Errorf("called %q, want add and open", got)
	}
}

// TestAppSignInFirstWhenNeeded: an account that needs the user has Sign
// In… first in its submenu, from the start and after a change, and each
// slot does what it says.
func TestAppSignInFirstWhenNeeded(t *testing.T) {
	h := startApp(t, snap(owned("work", keepalive.NeedsSignIn), owned("home", keepalive.OK)))
	want := []string{"work: needs sign-in>Sign In…,Refresh", "home: ok>Refresh,Sign In…"}
	if got := h.sh.labels(); !slices.Equal(got[:2], want) {
		t.Fatalf("menu %q, want %q", got[:2], want)
	}
	if top := h.sh.find(t, "Sign In", ""); top.title != "Sign In to work…" {
		t.Errorf("top-level sign in %q", top.title)
	}
	h.eng.publish(snap(owned("work", keepalive.OK), owned("home", keepalive.NeedsSignIn)))
	keepalivetest.Eventually(t, "submenus reordered", func() bool {
		got := h.sh.labels()
		return slices.Equal(got[:2], []string{"work: ok>Refresh,Sign In…", "home: needs sign-in>Sign In…,Refresh"})
	})
	press(t, h.sh.find(t, "home:", LabelSignIn))
	press(t, h.sh.find(t, "work:", LabelRefresh))
	keepalivetest.Eventually(t, "commands", func() bool {
		r, s := h.eng.calls()
		return slices.Equal(r, []string{"work"}) && slices.Equal(s, []string{"home"})
	})
}
