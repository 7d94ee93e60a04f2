//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tokentray/tokentray/assets"
	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
	"github.com/tokentray/tokentray/tray"
	"github.com/tokentray/tokentray/tray/dbustest"
)

// trayApp is a running `tokentray run` on a private session bus, seen the
// way a panel sees it.
type trayApp struct {
	t      *testing.T
	h      *home
	bus    *dbustest.Bus
	conn   *dbus.Conn
	notes  *dbustest.NotificationServer
	item   dbustest.Item
	menu   dbus.ObjectPath
	cmd    *exec.Cmd
	exited chan error
	out    keepalivetest.Buffer
	opened string // file the fake xdg-open appends its argument to
	ctx    context.Context
}

// fakeOpener installs an xdg-open first on PATH that records its argument.
func fakeOpener(t *testing.T) (pathDir, record string) {
	dir := t.TempDir()
	record = filepath.Join(dir, "opened")
	script := "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '" + record + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, record
}

// trayOptions vary the desktop startTray runs tokentray in.
type trayOptions struct {
	// path replaces the directory with the fake xdg-open as all of PATH
	// (so no browser opener exists).
	path string
	// noWatcher starts no StatusNotifierWatcher (no panel, as on stock
	// GNOME); startTray then returns before the item is registered.
	noWatcher bool
}

func startTray(t *testing.T, h *home) *trayApp {
	return startTrayWith(t, h, trayOptions{})
}

func startTrayWith(t *testing.T, h *home, o trayOptions) *trayApp {
	t.Helper()
	bus := dbustest.New(t) // stopped last: cleanups run in reverse order
	var watcher *dbustest.Watcher
	if !o.noWatcher {
		watcher = bus.NewWatcher(t)
	}
	notes := bus.NewNotificationServer(t, dbustest.NotificationServerOptions{Actions: true})
	bin, opened := fakeOpener(t)
	path := bin + string(os.PathListSeparator) + os.Getenv("PATH")
	if o.path != "" {
		path = o.path
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	a := &trayApp{t: t, h: h, bus: bus, notes: notes, opened: opened, exited: make(chan error, 1), ctx: ctx}
	a.cmd = exec.Command(binary, "run")
	a.cmd.Env = append(slices.Clone(h.env),
		"DBUS_SESSION_BUS_ADDRESS="+bus.Address,
		"PATH="+path)
	a.cmd.Stdout, a.cmd.Stderr = &a.out, &a.out
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.exited <- a.cmd.Wait() }()
	t.Cleanup(func() {
		a.cmd.Process.Kill() // a no-op after a clean Quit
		err := <-a.exited
		a.exited <- err
		h.mu.Lock()
		h.outputs = append(h.outputs, a.out.String())
		h.mu.Unlock()
		// TT_SHOW=1 prints the output and log of passing runs too.
		if t.Failed() || os.Getenv("TT_SHOW") != "" {
			t.Logf("tokentray output:\n%s", a.out.String())
			if log, err := os.ReadFile(filepath.Join(h.root, "state", "tokentray", "tokentray.log")); err == nil {
				t.Logf("tokentray log:\n%s", log)
			}
		}
	})

	var err error
	if a.conn, err = bus.Connect(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.conn.Close() })
	if watcher == nil {
		return a
	}
	a.attach(watcher)
	return a
}

// attach waits for the item to register with watcher and reads it.
func (a *trayApp) attach(watcher *dbustest.Watcher) {
	t := a.t
	t.Helper()
	var err error
	if a.item, err = watcher.WaitItem(a.ctx, 1); err != nil {
		t.Fatal(err)
	}
	props := a.props()
	if props.Menu == "" || props.Title != tray.AppName {
		t.Fatalf("item properties: title %q, menu %q", props.Title, props.Menu)
	}
	a.menu = props.Menu
}

func (a *trayApp) props() dbustest.ItemProps {
	a.t.Helper()
	p, err := dbustest.ReadItem(a.conn, a.item.BusName, a.item.Path)
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

// waitFor polls cond until it holds or the test's deadline passes.
func (a *trayApp) waitFor(what string, cond func() bool) {
	a.t.Helper()
	for !cond() {
		select {
		case <-a.ctx.Done():
			a.t.Fatalf("timed out waiting for %s", what)
		case err := <-a.exited:
			a.exited <- err
			a.t.Fatalf("tokentray exited (%v) while waiting for %s", err, what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// iconName says which of the tray icons the item shows ("" if none
// matches), comparing IconPixmap with the embedded PNGs pixel by pixel.
// It assumes fyne.io/systray's ARGB conversion; if an upgrade changes it,
// every wait for an icon times out here.
func (a *trayApp) iconName() string {
	a.t.Helper()
	icons := a.props().Icons
	if len(icons) != 1 {
		return ""
	}
	for _, name := range assets.Names {
		img, _, err := image.Decode(bytes.NewReader(assets.PNG(name)))
		if err != nil {
			a.t.Fatal(err)
		}
		b := img.Bounds()
		if int(icons[0].Width) != b.Dx() || int(icons[0].Height) != b.Dy() {
			continue
		}
		argb := make([]byte, 0, b.Dx()*b.Dy()*4)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				// The conversion of fyne.io/systray v1.12.2 (argbForImage):
				// the low byte of each 16-bit premultiplied component. It
				// equals the 8-bit value only where alpha is 0 or 255, so
				// anti-aliased edges differ from a correct conversion.
				r, g, bl, al := img.At(x, y).RGBA()
				argb = append(argb, byte(al), byte(r), byte(g), byte(bl))
			}
		}
		if bytes.Equal(argb, icons[0].ARGB) {
			return name
		}
	}
	return ""
}

func (a *trayApp) waitIcon(name string) {
	a.t.Helper()
	a.waitFor("icon "+name, func() bool { return a.iconName() == name })
}

// layout reads the whole menu; fyne.io/systray answers the first GetLayout
// shallowly, so it reads until the account line has its submenu.
func (a *trayApp) layout() dbustest.MenuItem {
	a.t.Helper()
	var root dbustest.MenuItem
	a.waitFor("the full menu", func() bool {
		var err error
		_, root, err = dbustest.GetLayout(a.conn, a.item.BusName, a.menu)
		if err != nil {
			a.t.Fatal(err)
		}
		return len(root.Children) > 0 && len(root.Children[0].Children) > 0
	})
	return root
}

// visibleLabels are the labels of the visible top-level items.
func visibleLabels(root dbustest.MenuItem) []string {
	var out []string
	for _, c := range root.Children {
		if !c.Visible {
			continue
		}
		if c.Separator {
			out = append(out, "-")
		} else {
			out = append(out, c.Label)
		}
	}
	return out
}

// find returns the top-level item labelled label (account submenus have
// their own "Sign In…").
func (a *trayApp) find(label string) dbustest.MenuItem {
	a.t.Helper()
	root := a.layout()
	for _, c := range root.Children {
		if c.Label == label {
			return c
		}
	}
	a.t.Fatalf("no menu item %q in %q", label, visibleLabels(root))
	return dbustest.MenuItem{}
}

func (a *trayApp) click(label string) {
	a.t.Helper()
	if err := dbustest.Click(a.conn, a.item.BusName, a.menu, a.find(label).ID); err != nil {
		a.t.Fatal(err)
	}
}

// summaries lists the notifications' titles (the image hint is too big
// to print).
func summaries(calls []dbustest.NotifyCall) []string {
	var s []string
	for _, c := range calls {
		s = append(s, fmt.Sprintf("#%d replaces %d: %s", c.ID, c.ReplacesID, c.Summary))
	}
	return s
}

func (a *trayApp) openedLines() []string {
	data, _ := os.ReadFile(a.opened)
	return strings.Fields(string(data))
}

// TestTrayEndToEnd runs the real binary with a tray on a private session
// bus, a fake panel (StatusNotifierWatcher), a fake notification server
// with buttons and the fake issuer, and drives it as a user would.
func TestTrayEndToEnd(t *testing.T) {
	if !dbustest.Available() {
		t.Skip("dbus-daemon not installed")
	}
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work"))
	h.signIn("work")
	a := startTray(t, h)

	// Healthy: ok icon, tooltip and the whole menu.
	a.waitIcon(assets.OK)
	if tip := a.props().ToolTip.Title; !strings.HasPrefix(tip, "tokentray: ok\nwork: ok · refreshes ") {
		t.Errorf("tooltip %q", tip)
	}
	root := a.layout()
	labels := visibleLabels(root)
	want := []string{"work: ok · refreshes …", "-", tray.LabelRefreshAll, tray.LabelSignIn, "-",
		tray.LabelStartAtLogin, tray.LabelOpenLog, "-", tray.LabelQuit}
	if len(labels) != len(want) || !strings.HasPrefix(labels[0], "work: ok · refreshes ") || !slices.Equal(labels[1:], want[1:]) {
		t.Fatalf("menu %q, want %q", labels, want)
	}
	if sub := root.Children[0].VisibleLabels(); !slices.Equal(sub, []string{tray.LabelRefresh, tray.LabelSignIn}) {
		t.Errorf("account submenu %q", sub)
	}
	if si := a.find(tray.LabelSignIn); si.Enabled {
		t.Error("Sign In… is enabled while every account is fine")
	}
	if l := a.find(tray.LabelStartAtLogin); l.ToggleType != "checkmark" || l.ToggleState != 0 {
		t.Errorf("Start at login %+v", l)
	}

	// Refresh now refreshes at the issuer.
	a.click(tray.LabelRefreshAll)
	a.waitFor("a refresh", func() bool { return h.iss.Stats().Succeeded == 1 })
	a.waitIcon(assets.OK)

	// Start at login registers and unregisters, and the checkbox shows
	// the registration.
	desktop := filepath.Join(h.root, "config", "autostart", "io.tokentray.tokentray.desktop")
	a.click(tray.LabelStartAtLogin)
	a.waitFor("checked", func() bool { return a.find(tray.LabelStartAtLogin).ToggleState == 1 })
	if data, err := os.ReadFile(desktop); err != nil || !strings.Contains(string(data), " run") {
		t.Errorf("desktop entry: %v\n%s", err, data)
	}
	if out, _, _ := h.run("autostart", "status"); !strings.Contains(out, "enabled") || strings.Contains(out, "disabled") {
		t.Errorf("autostart status after the click: %q", out)
	}
	a.click(tray.LabelStartAtLogin)
	a.waitFor("unchecked", func() bool { return a.find(tray.LabelStartAtLogin).ToggleState == 0 })
	if _, err := os.Stat(desktop); !os.IsNotExist(err) {
		t.Errorf("desktop entry left after unchecking: %v", err)
	}

	// Open log opens the log file with the desktop's opener.
	a.click(tray.LabelOpenLog)
	logFile := filepath.Join(h.root, "state", "tokentray", "tokentray.log")
	a.waitFor("xdg-open of the log", func() bool { return slices.Contains(a.openedLines(), logFile) })

	// Three failed refreshes in a row: the account needs a sign-in, with
	// exactly one notification offering the button.
	h.iss.FailAll(oauthtest.Fault{Kind: oauthtest.ServerError})
	for i := 1; i <= 3; i++ {
		a.click(tray.LabelRefreshAll)
		a.waitFor(fmt.Sprintf("failure %d", i), func() bool { return h.iss.Stats().FaultsServed == i })
		if i < 3 {
			a.waitIcon(assets.Warning)
		}
	}
	a.waitIcon(assets.SignIn)
	calls, err := a.notes.WaitCalls(a.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	bubble := calls[0]
	if label, ok := bubble.ActionLabel("signin"); !ok || label != "Sign In" || bubble.Summary != "work needs you to sign in" ||
		!strings.Contains(bubble.Body, "3 refreshes failed in a row") {
		t.Errorf("notification %q: %q, actions %q", bubble.Summary, bubble.Body, bubble.Actions)
	}
	// It stays until acted on, and every action on it signs in.
	if u, ok := bubble.Urgency(); !ok || u != 2 {
		t.Errorf("needs-sign-in urgency %d (sent %v), want critical", u, ok)
	}
	if !slices.Equal(bubble.Actions, []string{"default", "Sign In", "signin", "Sign In"}) {
		t.Errorf("needs-sign-in actions %q", bubble.Actions)
	}
	if tip := a.props().ToolTip.Title; !strings.Contains(tip, "work: needs sign-in") || !strings.Contains(tip, "last error:") {
		t.Errorf("tooltip %q", tip)
	}
	if si := a.find(tray.SignInLabel("work")); !si.Enabled {
		t.Error("Sign In to work… disabled while work needs a sign-in")
	}
	if line := a.find("work: needs sign-in"); !slices.Equal(line.VisibleLabels(), []string{tray.LabelSignIn, tray.LabelRefresh}) {
		t.Errorf("submenu of an account that needs a sign-in: %q", line.VisibleLabels())
	}
	// A fourth failure (and the Refreshing in between) shows no second
	// bubble: the next notification, the confirmation of the sign-in
	// below, is the second one.
	a.click(tray.LabelRefreshAll)
	a.waitFor("failure 4", func() bool { return h.iss.Stats().FaultsServed == 4 })
	a.waitIcon(assets.SignIn)
	h.iss.ClearFaults()

	t.Run("SignInFromNotification", func(t *testing.T) {
		a.t = t
		defer func(outer *testing.T) { a.t = outer }(a.t)
		// The Sign In button opens the authorization URL in the browser.
		if err := a.notes.EmitAction(bubble.ID, "signin"); err != nil {
			t.Fatal(err)
		}
		var authURL string
		a.waitFor("the browser to open", func() bool {
			for _, l := range a.openedLines() {
				if strings.Contains(l, "/tokentray-start/") { // the one-time start URL
					authURL = l
					return true
				}
			}
			return false
		})
		// The user signs in: the issuer redirects to the loopback listener.
		var browser oauthtest.Browser
		if err := browser.Open(authURL); err != nil {
			t.Fatal(err)
		}
		if p := browser.Last(); p.Status != 200 {
			t.Errorf("callback page: %d %s", p.Status, p.Body)
		}
		a.waitIcon(assets.OK)
		a.waitFor("the bubble to close", func() bool { return slices.Contains(a.notes.ClosedIDs(), bubble.ID) })
		calls, err := a.notes.WaitCalls(a.ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if c := calls[1]; c.Summary != "work is signed in again" || c.ReplacesID != 0 {
			t.Fatalf("notifications of one episode and its end: %q, want one needs-sign-in bubble, then the confirmation", summaries(calls))
		}
		if len(calls[1].Actions) != 0 {
			t.Errorf("the confirmation offers actions %q that would do nothing", calls[1].Actions)
		}
		if si := a.find(tray.LabelSignIn); si.Enabled {
			t.Error("Sign In… still enabled after signing in")
		}
	})

	// No token ever reaches a notification.
	for _, c := range a.notes.Calls() {
		for _, s := range h.iss.IssuedSecrets() {
			if strings.Contains(c.Summary+c.Body, s) {
				t.Fatalf("a token leaked into a notification: %q %q", c.Summary, c.Body)
			}
		}
	}

	// Quit exits cleanly and removes the status file.
	status := filepath.Join(h.root, "state", "tokentray", "status.json")
	if _, err := os.Stat(status); err != nil {
		t.Errorf("no status file while the tray runs: %v", err)
	}
	if err := dbustest.ClickNoReply(a.conn, a.item.BusName, a.menu, a.find(tray.LabelQuit).ID); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-a.exited:
		a.exited <- err
		if err != nil {
			t.Fatalf("exit after Quit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("tokentray did not exit after Quit")
	}
	if _, err := os.Stat(status); !os.IsNotExist(err) {
		t.Errorf("status file left behind: %v", err)
	}
	h.assertNoLeaks()
}

// TestRunWithoutSessionBusIsHeadless: without a reachable session bus the
// tray mode falls back to headless and says so in the log.
func TestRunWithoutSessionBusIsHeadless(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	h.writeConfig(h.ownedAccount("work"))
	cmd := exec.Command(binary, "run") // h.env has DBUS_SESSION_BUS_ADDRESS=disabled:
	cmd.Env = h.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	logFile := filepath.Join(h.root, "state", "tokentray", "tokentray.log")
	deadline := time.Now().Add(15 * time.Second)
	for {
		data, _ := os.ReadFile(logFile)
		if bytes.Contains(data, []byte("no desktop session bus; running headless")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no headless fallback in the log:\n%s\noutput:\n%s", data, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, out.String())
	}
}

// TestTrayStopsOnSIGTERM: a signal ends the tray like Quit (systray skips
// its exit handler on signals; tokentray handles them itself).
func TestTrayStopsOnSIGTERM(t *testing.T) {
	if !dbustest.Available() {
		t.Skip("dbus-daemon not installed")
	}
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work"))
	a := startTray(t, h)
	a.waitIcon(assets.SignIn) // work is not signed in
	a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-a.exited:
		a.exited <- err
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("tokentray did not exit after SIGTERM")
	}
}

// fakeClipboard writes an xclip into dir that appends what it is given to
// the returned file (it must not rely on PATH: the test's PATH is dir).
func fakeClipboard(t *testing.T, dir string) (record string) {
	record = filepath.Join(dir, "clipboard")
	script := "#!/bin/sh\n/bin/cat >> '" + record + "'\nprintf '\\n' >> '" + record + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "xclip"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return record
}

// TestTrayNoBrowserOpener: with no browser opener at all, Sign In does
// not fail silently: the link is posted in a notification with a working
// Copy link button, the account's submenu offers Copy sign-in link, the
// tooltip says why, and opening the link signs in.
func TestTrayNoBrowserOpener(t *testing.T) {
	if !dbustest.Available() {
		t.Skip("dbus-daemon not installed")
	}
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work"))
	bin := t.TempDir() // PATH: only a clipboard tool, no xdg-open, x-www-browser, www-browser
	clip := fakeClipboard(t, bin)
	a := startTrayWith(t, h, trayOptions{path: bin})
	a.waitIcon(assets.SignIn) // never signed in
	calls, err := a.notes.WaitCalls(a.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	request := calls[0]
	if request.Summary != "work needs you to sign in" {
		t.Fatalf("first notification %q", summaries(calls))
	}
	sub := func() dbustest.MenuItem { return a.layout().Children[0] }
	if l := sub().VisibleLabels(); slices.Contains(l, tray.LabelCopyLink) {
		t.Errorf("Copy sign-in link offered before any sign-in: %q", l)
	}

	if err := a.notes.EmitAction(request.ID, "signin"); err != nil {
		t.Fatal(err)
	}
	calls, err = a.notes.WaitCalls(a.ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	linkNote := calls[1]
	link := strings.Fields(linkNote.Body)[0]
	if linkNote.Summary != "Open this link to sign in to work" || linkNote.ReplacesID != request.ID ||
		!strings.HasPrefix(link, "http://127.0.0.1:") && !strings.HasPrefix(link, h.iss.URL()) {
		t.Fatalf("link notification %q replaces %d: %q", linkNote.Summary, linkNote.ReplacesID, linkNote.Body)
	}
	if !slices.Equal(linkNote.Actions, []string{"default", "Copy link", "copy-link", "Copy link"}) {
		t.Errorf("link notification actions %q", linkNote.Actions)
	}
	if u, _ := linkNote.Urgency(); u != 2 {
		t.Errorf("link notification urgency %d", u)
	}
	a.waitFor("Copy sign-in link in the submenu", func() bool { return slices.Contains(sub().VisibleLabels(), tray.LabelCopyLink) })
	if tip := a.props().ToolTip.Title; !strings.Contains(tip, "sign-in: no browser could be opened") {
		t.Errorf("tooltip %q", tip)
	}
	if out, _, _ := h.run("status"); !strings.Contains(out, "no browser could be opened") {
		t.Errorf("status while the link waits:\n%s", out)
	}

	copied := func() []string { data, _ := os.ReadFile(clip); return strings.Fields(string(data)) }
	menuNow := sub()
	copyItem, _ := menuNow.Find(tray.LabelCopyLink)
	if err := dbustest.Click(a.conn, a.item.BusName, a.menu, copyItem.ID); err != nil {
		t.Fatal(err)
	}
	a.waitFor("the menu's copy", func() bool { return slices.Equal(copied(), []string{link}) })
	if err := a.notes.EmitAction(linkNote.ID, "copy-link"); err != nil {
		t.Fatal(err)
	}
	a.waitFor("the button's copy", func() bool { return len(copied()) == 2 })

	// The user opens the link in a browser: signed in.
	var browser oauthtest.Browser
	if err := browser.Open(link); err != nil {
		t.Fatal(err)
	}
	a.waitIcon(assets.OK)
	a.waitFor("Copy sign-in link gone", func() bool { return !slices.Contains(sub().VisibleLabels(), tray.LabelCopyLink) })
	if tip := a.props().ToolTip.Title; strings.Contains(tip, "sign-in:") {
		t.Errorf("tooltip after the sign-in %q", tip)
	}
	h.assertNoLeaks()
}

// TestTrayWithoutTrayHost: a session bus without a StatusNotifierWatcher
// (stock GNOME). tokentray says once what to do, in the log and in a
// notification, without the library's raw error on stderr, keeps working,
// and shows its icon as soon as a tray host appears.
func TestTrayWithoutTrayHost(t *testing.T) {
	if !dbustest.Available() {
		t.Skip("dbus-daemon not installed")
	}
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	h.writeConfig(h.ownedAccount("work"))
	h.signIn("work")
	a := startTrayWith(t, h, trayOptions{noWatcher: true})
	calls, err := a.notes.WaitCalls(a.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	notice := calls[0]
	if notice.Summary != "No system tray found" || !strings.Contains(notice.Body, "AppIndicator extension") || len(notice.Actions) != 0 {
		t.Errorf("notice %q: %q, actions %q", notice.Summary, notice.Body, notice.Actions)
	}
	logFile := filepath.Join(h.root, "state", "tokentray", "tokentray.log")
	a.waitFor("the warning in the log", func() bool {
		data, _ := os.ReadFile(logFile)
		return bytes.Contains(data, []byte("no system tray found; on GNOME install the AppIndicator extension"))
	})
	// It keeps working without an icon: a refresh from the command line
	// is seen by the status of the running instance.
	if _, stderr, code := h.run("refresh", "--force", "work"); code != 0 {
		t.Fatalf("refresh: %s", stderr)
	}

	a.attach(a.bus.NewWatcher(t))
	a.waitIcon(assets.OK)
	a.waitFor("the notice to close", func() bool { return slices.Contains(a.notes.ClosedIDs(), notice.ID) })
	if calls := a.notes.Calls(); len(calls) != 1 {
		t.Errorf("notifications %q, want the one notice", summaries(calls))
	}
	if strings.Contains(a.out.String(), "systray error") {
		t.Errorf("the library's raw error reached stderr:\n%s", a.out.String())
	}
	data, _ := os.ReadFile(logFile)
	if bytes.Count(data, []byte("no system tray found")) != 1 {
		t.Errorf("log:\n%s", data)
	}
}

// TestTrayDeviceSignIn: an account with sign_in = "device". Sign In posts
// the code with a button that opens the verification page; approving
// there signs the account in.
func TestTrayDeviceSignIn(t *testing.T) {
	if !dbustest.Available() {
		t.Skip("dbus-daemon not installed")
	}
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour, DeviceInterval: time.Second})
	h.writeConfig(h.deviceAccount("work", `sign_in = "device"`))
	a := startTray(t, h)
	a.waitIcon(assets.SignIn)
	calls, err := a.notes.WaitCalls(a.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.notes.EmitAction(calls[0].ID, "signin"); err != nil {
		t.Fatal(err)
	}
	calls, err = a.notes.WaitCalls(a.ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	note := calls[1]
	code, ok := strings.CutPrefix(note.Summary, "Sign in to work with the code ")
	if !ok || !strings.Contains(note.Body, h.iss.VerificationURL()) || !strings.Contains(note.Body, code) {
		t.Fatalf("device notification %q: %q", note.Summary, note.Body)
	}
	if !slices.Equal(note.Actions, []string{"default", "Open page", "open-page", "Open page"}) {
		t.Errorf("actions %q", note.Actions)
	}
	if err := a.notes.EmitAction(note.ID, "open-page"); err != nil {
		t.Fatal(err)
	}
	a.waitFor("the verification page to open", func() bool {
		return slices.Contains(a.openedLines(), h.iss.VerificationURL()+"?user_code="+code)
	})
	if err := h.iss.ApproveDevice(code); err != nil {
		t.Fatal(err)
	}
	a.waitIcon(assets.OK)
	a.waitFor("the code notification to close", func() bool { return slices.Contains(a.notes.ClosedIDs(), note.ID) })
	h.assertNoLeaks()
}
