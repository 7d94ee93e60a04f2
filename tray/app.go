package tray

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/tray/autostart"
	"github.com/tokentray/tokentray/tray/notify"
)

// Engine is what the tray needs from the keepalive engine: it renders the
// snapshots and sends commands, it never decides policy.
// *keepalive.Engine satisfies it.
type Engine interface {
	// Subscribe delivers the current snapshot at once and every change
	// after it.
	Subscribe() (<-chan keepalive.Snapshot, func())
	// RefreshNow asks for a refresh of one owned account, or of all with "".
	RefreshNow(name string) error
	// SignInWith runs the sign-in of an account until it completes or
	// ctx ends; ui.Unopened is told when no browser could be opened.
	SignInWith(ctx context.Context, name string, ui keepalive.SignInUI) error
}

var _ Engine = (*keepalive.Engine)(nil)

// Autostart is the "Start at login" registration. The OS registration is
// the only truth: the checkbox shows what Status reads back after every
// toggle.
type Autostart interface {
	Status() (bool, error)
	Enable() error
	Disable() error
}

// AutostartEntry is the Autostart of a tray/autostart entry.
type AutostartEntry autostart.Entry

// Status reports whether the entry is registered and enabled.
func (e AutostartEntry) Status() (bool, error) { return autostart.Status(e.ID) }

// Enable registers the entry.
func (e AutostartEntry) Enable() error { return autostart.Enable(autostart.Entry(e)) }

// Disable unregisters the entry.
func (e AutostartEntry) Disable() error { return autostart.Disable(e.ID) }

// Options configure the tray.
type Options struct {
	// Engine is required.
	Engine Engine
	// Notifier shows the bubbles. Nil: notify.New(AppName). Run closes it
	// before returning.
	Notifier notify.Notifier
	// Log receives the tray's own messages (default: discard).
	Log *slog.Logger
	// LogFile is opened by "Open log" (the item is disabled when empty).
	LogFile string
	// OpenFile opens a file with the desktop's default application
	// (default OpenPath).
	OpenFile func(path string) error
	// StartAtLogin backs the "Start at login" checkbox (disabled when nil).
	StartAtLogin Autostart
	// AddAccount and OpenConfig back "Add an account…" (open the config
	// file with a commented example account) and "Open config", which the
	// menu offers when there are no accounts (disabled when nil).
	AddAccount func() error
	OpenConfig func() error
	// Now is the clock for relative times in the menu (default time.Now).
	Now func() time.Time
	// Tick is how often the menu is redrawn between snapshots (relative
	// times such as "login ends in 2d 4h", the Start at login checkbox;
	// default 30 s).
	Tick time.Duration
	// Clipboard copies sign-in links (default SystemClipboard). Without
	// one available the link is shown in a notification instead.
	Clipboard Clipboard
	// OpenURL opens a device sign-in's verification page in the browser
	// (default OpenPath).
	OpenURL func(url string) error
}

// shell is the system tray as the event loop sees it: fyne.io/systray in
// production, a recording fake in the unit tests.
type shell interface {
	SetIcon(name string)
	SetTooltip(text string)
	AddItem(title, tooltip string, checkbox bool) widget
	AddSeparator()
	// Reset removes every item (their click channels are closed).
	Reset()
}

// Action names of the notification buttons the tray offers besides
// notify.ActionSignIn. Each has a handler in (*app).action.
const (
	actionCopyLink = "copy-link" // copy the waiting sign-in link
	actionOpenPage = "open-page" // open a device sign-in's verification page
)

// widget is one menu item.
type widget interface {
	SetTitle(string)
	SetTooltip(string)
	Enable()
	Disable()
	Check()
	Uncheck()
	AddSubItem(title, tooltip string) widget
	Show()
	Hide()
	// Clicked delivers clicks; it is closed when the item is removed.
	Clicked() <-chan struct{}
}

// actionKind is what a click asks for.
type actionKind int

const (
	actRefreshAll actionKind = iota + 1
	actRefresh
	actSignInTop
	actSignIn
	actStartAtLogin
	actOpenLog
	actAddAccount
	actOpenConfig
	actSub // a slot of an account's submenu; see submenu
	actQuit
	actCopyLink
)

type click struct {
	gen     int // menu generation; clicks on items of an older menu are ignored
	kind    actionKind
	account string
	slot    int // actSub: which item of the account's submenu
}

// clickBuffer is the capacity of the loop's click queue. fyne.io/systray
// drops a click nobody is receiving; one forwarder per item receives at
// all times and queues here.
const clickBuffer = 64

// cached wraps a widget and remembers what it shows, so that the loop only
// calls the tray when a value changes (no flicker, no D-Bus chatter).
type cached struct {
	w                         widget
	title, tooltip            string
	enabled, checked, visible bool
}

func newCached(w widget, title, tooltip string, checked bool) *cached {
	return &cached{w: w, title: title, tooltip: tooltip, enabled: true, checked: checked, visible: true}
}

func (c *cached) show(on bool) {
	if on != c.visible {
		c.visible = on
		if on {
			c.w.Show()
		} else {
			c.w.Hide()
		}
	}
}

func (c *cached) set(it Item) {
	if it.Title != c.title {
		c.title = it.Title
		c.w.SetTitle(it.Title)
	}
	if it.Tooltip != c.tooltip {
		c.tooltip = it.Tooltip
		c.w.SetTooltip(it.Tooltip)
	}
	c.enable(it.Enabled)
}

func (c *cached) enable(on bool) {
	if on != c.enabled {
		c.enabled = on
		if on {
			c.w.Enable()
		} else {
			c.w.Disable()
		}
	}
}

func (c *cached) check(on bool) {
	if on != c.checked {
		c.checked = on
		if on {
			c.w.Check()
		} else {
			c.w.Uncheck()
		}
	}
}

// menu holds the items of one menu generation.
type menu struct {
	gen        int
	accounts   []string // names, in menu order
	lines      []*cached
	subs       [][]*cached        // each account's submenu items, see submenu
	copyLinks  map[string]*cached // "Copy sign-in link" per owned account
	refreshAll *cached
	signIn     *cached
	login      *cached
	openLog    *cached
}

// app is the tray's state; everything but the fields marked otherwise is
// owned by the event loop goroutine.
type app struct {
	opts   Options
	log    *slog.Logger
	sh     shell
	clicks chan click
	snaps  <-chan keepalive.Snapshot
	unsub  func()

	snap    keepalive.Snapshot
	haveSn  bool
	view    View
	icon    string
	tooltip string
	menu    *menu
	alerts  Alerts

	notices chan Notice // to the notifier goroutine, in order
	work    sync.WaitGroup

	// links are the sign-in links no browser could be opened for, per
	// account, while their sign-in waits.
	links    map[string]string
	pages    map[string]string // verification pages of waiting device sign-ins
	signEvts chan signInEvent  // from the sign-in goroutines to the loop

	// hosts reports whether a tray host (panel) is there to show the
	// icon; nil when unknown. noHost is set while none is.
	hosts       <-chan bool
	hostChecked bool
	noHost      bool
	hostNotice  bool // the "no system tray" notification is open
}

// noHostKey is the notification key of the "no system tray" notice; it
// cannot clash with an account name, which never contains a space.
const noHostKey = "tokentray no tray host"

// signInEvent is news from a sign-in running on its own goroutine.
type signInEvent struct {
	account string
	link    string                         // no browser could be opened for this link
	device  *keepalive.DeviceAuthorization // a device sign-in waits for this code
	done    bool                           // the sign-in ended, with err
	err     error
}

func newApp(opts Options, sh shell) *app {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Tick <= 0 {
		opts.Tick = 30 * time.Second
	}
	if opts.OpenFile == nil {
		opts.OpenFile = OpenPath
	}
	if opts.OpenURL == nil {
		opts.OpenURL = OpenPath
	}
	if opts.Clipboard == nil {
		opts.Clipboard = SystemClipboard{}
	}
	return &app{
		opts:     opts,
		log:      opts.Log,
		sh:       sh,
		clicks:   make(chan click, clickBuffer),
		alerts:   Alerts{},
		notices:  make(chan Notice, 64),
		links:    map[string]string{},
		pages:    map[string]string{},
		signEvts: make(chan signInEvent, 16),
	}
}

// start subscribes to the engine and builds the menu from the first
// snapshot, which the engine delivers at once. It is short enough for
// systray's onReady: no network, one small file read (autostart status).
func (a *app) start(ctx context.Context) {
	a.snaps, a.unsub = a.opts.Engine.Subscribe()
	select {
	case a.snap = <-a.snaps:
		a.haveSn = true
	default: // an engine that has nothing yet: an empty menu until it does
	}
	a.build(ctx)
	a.render()
}

// run is the event loop. It returns when ctx ends or Quit is clicked.
// Notifier calls happen on their own goroutine (they are D-Bus round trips
// that may take seconds when the server hangs).
func (a *app) run(ctx context.Context) {
	defer a.unsub()
	nctx, stopNotices := context.WithCancel(context.Background())
	var nwg sync.WaitGroup
	nwg.Go(func() { a.notifyLoop(nctx) })
	defer func() { stopNotices(); nwg.Wait() }()

	if a.haveSn {
		a.decide()
	}
	tick := time.NewTicker(a.opts.Tick)
	defer tick.Stop()
	actions := a.opts.Notifier.Actions()
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-a.snaps:
			a.snap, a.haveSn = s, true
			if !slices.Equal(names(s), a.menu.accounts) {
				a.sh.Reset()
				a.build(ctx)
			}
			a.render()
			a.decide()
		case <-tick.C:
			a.render()
			// `tokentray autostart disable` in a terminal changes the
			// registration behind the menu's back: show the OS's truth.
			a.menu.login.check(a.loginStatus())
		case c := <-a.clicks:
			if c.gen != a.menu.gen {
				continue
			}
			if c.kind == actQuit {
				a.log.Info("quit from the menu")
				return
			}
			a.handle(ctx, c)
		case act, ok := <-actions:
			if !ok {
				actions = nil
				continue
			}
			a.action(ctx, act)
		case ev := <-a.signEvts:
			a.signInNews(ev)
		case present := <-a.hosts:
			a.hostChanged(present)
		}
	}
}

// notifyLoop applies notices in order until ctx ends and the queue is
// drained of what was already decided.
func (a *app) notifyLoop(ctx context.Context) {
	apply := func(n Notice) {
		var err error
		switch n.Kind {
		case Show:
			err = a.opts.Notifier.Show(n.Notification)
		case Dismiss:
			err = a.opts.Notifier.Dismiss(n.Notification.Key)
		}
		if err != nil {
			lvl := slog.LevelWarn
			if errors.Is(err, notify.ErrUnavailable) {
				lvl = slog.LevelInfo
			}
			a.log.Log(context.Background(), lvl, "notification failed", "account", n.Notification.Key, "op", n.Kind.String(), "err", err)
		}
	}
	for {
		select {
		case n := <-a.notices:
			apply(n)
		case <-ctx.Done():
			for {
				select {
				case n := <-a.notices:
					apply(n)
				default:
					return
				}
			}
		}
	}
}

func names(s keepalive.Snapshot) []string {
	n := make([]string, len(s.Accounts))
	for i, a := range s.Accounts {
		n[i] = a.Name
	}
	return n
}

// subItem is one command of an account's submenu.
type subItem struct {
	kind           actionKind
	title, tooltip string
}

// submenu lists an account's commands in menu order: Sign In… first when
// the account needs it, else Refresh first (owned accounts only).
func submenu(acc AccountItem) []subItem {
	signIn := subItem{actSignIn, LabelSignIn, "Sign in to " + acc.Name}
	if !acc.Refresh {
		return []subItem{signIn}
	}
	refresh := subItem{actRefresh, LabelRefresh, "Refresh " + acc.Name + " now"}
	if acc.SignInFirst {
		return []subItem{signIn, refresh}
	}
	return []subItem{refresh, signIn}
}

// build creates the menu for the current account set:
//
//	work: ok · refreshes 14:05    ▸ Refresh, Sign In…
//	flaky: needs sign-in          ▸ Sign In…, Refresh
//	claude-code: ok               ▸ Sign In…
//	──────────
//	Refresh now
//	Sign In to flaky…
//	──────────
//	Start at login ☐
//	Open log
//	──────────
//	Quit
//
// fyne.io/systray can only append, so when the account set changes (rare:
// it is fixed per configuration) the whole menu is rebuilt.
func (a *app) build(ctx context.Context) {
	gen := 1
	if a.menu != nil {
		gen = a.menu.gen + 1
	}
	m := &menu{gen: gen, copyLinks: map[string]*cached{}}
	a.menu = m
	a.view = View{}
	add := func(title, tooltip string, kind actionKind, account string) *cached {
		w := a.sh.AddItem(title, tooltip, false)
		a.forward(ctx, w, click{gen: gen, kind: kind, account: account})
		return newCached(w, title, tooltip, false)
	}
	v := Render(a.snap, a.opts.Now())
	for _, acc := range v.Accounts {
		line := a.sh.AddItem(acc.Title, acc.Tooltip, false)
		// The submenu's items are slots: which command a slot holds
		// follows the account's state (Sign In… first when it needs it)
		// without rebuilding the menu.
		var subs []*cached
		for slot, it := range submenu(acc) {
			w := line.AddSubItem(it.title, it.tooltip)
			a.forward(ctx, w, click{gen: gen, kind: actSub, account: acc.Name, slot: slot})
			subs = append(subs, newCached(w, it.title, it.tooltip, false))
		}
		if acc.Refresh { // owned: its sign-in link can wait for the user
			tip := "Copy the link of " + acc.Name + "'s sign-in, to open it in a browser"
			c := line.AddSubItem(LabelCopyLink, tip)
			a.forward(ctx, c, click{gen: gen, kind: actCopyLink, account: acc.Name})
			m.copyLinks[acc.Name] = newCached(c, LabelCopyLink, tip, false)
			m.copyLinks[acc.Name].show(a.links[acc.Name] != "")
		}
		m.accounts = append(m.accounts, acc.Name)
		m.lines = append(m.lines, newCached(line, acc.Title, acc.Tooltip, false))
		m.subs = append(m.subs, subs)
	}
	if v.NoAccounts {
		add(LabelAddAccount, "Open the config file with an example account to fill in", actAddAccount, "").enable(a.opts.AddAccount != nil)
		add(LabelOpenConfig, "Open the config file", actOpenConfig, "").enable(a.opts.OpenConfig != nil)
	}
	a.sh.AddSeparator()
	m.refreshAll = add(LabelRefreshAll, "", actRefreshAll, "")
	m.signIn = add(LabelSignIn, "", actSignInTop, "")
	a.sh.AddSeparator()

	checked := a.loginStatus()
	w := a.sh.AddItem(LabelStartAtLogin, "Start tokentray when you log in", true)
	if checked {
		w.Check()
	}
	a.forward(ctx, w, click{gen: gen, kind: actStartAtLogin})
	m.login = newCached(w, LabelStartAtLogin, "Start tokentray when you log in", checked)
	m.login.enable(a.opts.StartAtLogin != nil)

	m.openLog = add(LabelOpenLog, a.opts.LogFile, actOpenLog, "")
	m.openLog.enable(a.opts.LogFile != "")
	a.sh.AddSeparator()
	add(LabelQuit, "Stop tokentray", actQuit, "")
}

// forward receives w's clicks for as long as the item exists and queues
// them for the loop.
func (a *app) forward(ctx context.Context, w widget, c click) {
	ch := w.Clicked()
	go func() {
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					return
				}
				select {
				case a.clicks <- c:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
}

// render applies the view of the current snapshot, touching only what
// changed.
func (a *app) render() {
	v := Render(a.snap, a.opts.Now())
	if v.Icon != a.icon {
		a.icon = v.Icon
		a.sh.SetIcon(v.Icon)
	}
	if v.Tooltip != a.tooltip {
		a.tooltip = v.Tooltip
		a.sh.SetTooltip(v.Tooltip)
	}
	m := a.menu
	for i, acc := range v.Accounts {
		if i < len(m.lines) {
			m.lines[i].set(Item{Title: acc.Title, Tooltip: acc.Tooltip, Enabled: true})
			for slot, it := range submenu(acc) {
				if slot < len(m.subs[i]) {
					m.subs[i][slot].set(Item{Title: it.title, Tooltip: it.tooltip, Enabled: true})
				}
			}
		}
	}
	m.refreshAll.set(v.RefreshAll)
	m.signIn.set(v.SignIn)
	a.view = v
}

// decide turns the current snapshot into notifications.
func (a *app) decide() {
	var ns []Notice
	a.alerts, ns = a.alerts.Next(a.snap, a.opts.Now())
	for _, n := range ns {
		a.notices <- n
	}
}

// handle carries out a menu command.
func (a *app) handle(ctx context.Context, c click) {
	if c.kind == actSub {
		c.kind = 0
		for _, acc := range a.view.Accounts {
			if items := submenu(acc); acc.Name == c.account && c.slot < len(items) {
				c.kind = items[c.slot].kind
			}
		}
	}
	switch c.kind {
	case actRefreshAll, actRefresh:
		if err := a.opts.Engine.RefreshNow(c.account); err != nil {
			a.log.Warn("refresh", "account", c.account, "err", err)
		}
	case actSignIn:
		a.signIn(ctx, c.account)
	case actSignInTop:
		if a.view.SignInTarget != "" {
			a.signIn(ctx, a.view.SignInTarget)
		}
	case actStartAtLogin:
		a.toggleStartAtLogin()
	case actCopyLink:
		a.copyLink(c.account)
	case actAddAccount, actOpenConfig:
		f := a.opts.AddAccount
		if c.kind == actOpenConfig {
			f = a.opts.OpenConfig
		}
		if f != nil {
			if err := f(); err != nil {
				a.log.Warn("cannot open the config", "err", err)
			}
		}
	case actOpenLog:
		if a.opts.LogFile != "" {
			if err := a.opts.OpenFile(a.opts.LogFile); err != nil {
				a.log.Warn("cannot open the log", "path", a.opts.LogFile, "err", err)
			}
		}
	}
}

// action handles a press on a notification: "signin" signs the account
// in and "copy-link" copies its waiting sign-in link; a click on the
// bubble ("default", where the platform reports it apart from the
// buttons) signs in while the engine says a sign-in resolves the
// account's open episode, and does nothing otherwise (e.g. on "signed in
// again").
func (a *app) action(ctx context.Context, act notify.Action) {
	switch act.Name {
	case notify.ActionSignIn:
		a.signIn(ctx, act.Key)
	case actionCopyLink:
		a.copyLink(act.Key)
	case actionOpenPage:
		if page := a.pages[act.Key]; page != "" {
			if err := a.opts.OpenURL(page); err != nil {
				a.log.Warn("cannot open the verification page", "account", act.Key, "err", err)
			}
		}
	case notify.ActionDefault:
		if acc, ok := a.snap.Find(act.Key); ok && acc.Episode.Open() && acc.Episode.SignIn {
			a.signIn(ctx, act.Key)
		}
	}
}

// signIn is what every "Sign In" calls: the engine's SignIn on its own
// goroutine (it waits for the browser). A second request for the same
// account is the engine's business: it shows the open sign-in again.
//
// When no browser can be opened the sign-in goes on: the link is posted
// in a notification ("Open this link to sign in") and offered by the
// account's "Copy sign-in link" until the sign-in ends.
func (a *app) signIn(ctx context.Context, name string) {
	a.log.Info("sign-in requested", "account", name)
	tell := func(ev signInEvent) {
		select {
		case a.signEvts <- ev:
		case <-ctx.Done():
		}
	}
	ui := keepalive.SignInUI{
		Unopened: func(url string, err error) {
			a.log.Warn("no browser could be opened; showing the sign-in link", "account", name, "err", err)
			tell(signInEvent{account: name, link: url})
		},
		Device: func(da *keepalive.DeviceAuthorization) { tell(signInEvent{account: name, device: da}) },
	}
	a.work.Go(func() {
		err := a.opts.Engine.SignInWith(ctx, name, ui)
		switch {
		case err == nil:
		case errors.Is(err, keepalive.ErrSignInInProgress):
			a.log.Info("sign-in already in progress", "account", name)
			return // the open sign-in reports its own end
		case ctx.Err() != nil:
			return
		default:
			a.log.Warn("sign-in failed", "account", name, "err", err)
		}
		tell(signInEvent{account: name, done: true, err: err})
	})
}

// hostChanged follows the tray host. Without one at start-up the icon
// cannot be seen: say so once, in the log and in a notification, and
// keep working (refreshes and notifications need no icon). fyne.io/systray
// registers the icon by itself once a host appears. A host that goes away
// later (a panel restarting) is only logged.
func (a *app) hostChanged(present bool) {
	first := !a.hostChecked
	a.hostChecked = true
	switch {
	case !present && first:
		a.noHost, a.hostNotice = true, true
		a.log.Warn("no system tray found; " + noHostHelp)
		a.notices <- Notice{Kind: Show, Notification: notify.Notification{Key: noHostKey, Title: noHostTitle, Body: noHostBody}}
	case !present && !a.noHost:
		a.noHost = true
		a.log.Info("the system tray went away; the icon comes back with it")
	case present && a.noHost:
		a.noHost = false
		a.log.Info("a system tray appeared; showing the icon")
		if a.hostNotice {
			a.hostNotice = false
			a.notices <- Notice{Kind: Dismiss, Notification: notify.Notification{Key: noHostKey}}
		}
	}
}

// Texts of the "no system tray" notice.
const (
	noHostTitle = "No system tray found"
	noHostHelp  = "on GNOME install the AppIndicator extension (gnome-shell-extension-appindicator); " +
		"elsewhere add a system tray (status notifier) to your panel"
	noHostBody = "tokentray keeps running: it refreshes your logins and notifies you when one needs you. " +
		"To see its icon, " + noHostHelp + ". The icon appears as soon as there is a tray."
)

// signInNews applies news from a sign-in to the menu and notifications.
func (a *app) signInNews(ev signInEvent) {
	name := ev.account
	if ev.device != nil {
		page := ev.device.VerificationURIComplete
		if page == "" {
			page = ev.device.VerificationURI
		}
		a.pages[name] = page
		a.notices <- Notice{Kind: Show, Notification: deviceNotification(name, ev.device, a.opts.Now())}
		return
	}
	if !ev.done {
		a.links[name] = ev.link
		if c := a.menu.copyLinks[name]; c != nil {
			c.show(true)
		}
		a.notices <- Notice{Kind: Show, Notification: linkNotification(name, ev.link, a.opts.Clipboard.Available())}
		return
	}
	delete(a.links, name)
	delete(a.pages, name)
	if c := a.menu.copyLinks[name]; c != nil {
		c.show(false)
	}
	if ev.err != nil {
		// Say how it ended and offer Sign In again: never leave a dead
		// link or code on screen, never end in silence (e.g. "another
		// program opened your sign-in link; sign-in cancelled").
		a.notices <- Notice{Kind: Show, Notification: notify.Notification{
			Key: name, Title: name + ": sign-in did not complete", Body: signInFailure(a.snap, name, ev.err),
			SignIn: true, Urgent: true,
		}}
	}
}

// signInFailure is the body of the bubble after a failed sign-in: the
// engine's words for it when it has them.
func signInFailure(s keepalive.Snapshot, name string, err error) string {
	if acc, ok := s.Find(name); ok && acc.SignInError != "" {
		return clip(acc.SignInError, maxDetail)
	}
	msg := strings.TrimPrefix(err.Error(), "sign-in for "+name+": ")
	return clip(msg, maxDetail)
}

// deviceNotification shows the code of a device sign-in (RFC 8628 §3.3)
// with a button that opens the verification page. The user code is meant
// to be read and typed by the user; it is no credential on its own.
func deviceNotification(name string, da *keepalive.DeviceAuthorization, now time.Time) notify.Notification {
	body := "Open " + da.VerificationURI + " on any device and enter the code " + da.UserCode + "."
	if left := da.ExpiresAt.Sub(now); left > 0 {
		body += " The code expires in " + keepalive.HumanDuration(left) + "."
	}
	return notify.Notification{
		Key:           name,
		Title:         "Sign in to " + name + " with the code " + da.UserCode,
		Body:          body,
		Buttons:       []notify.Button{{ID: actionOpenPage, Label: "Open page"}},
		NoButtonsHint: "Open the page in a browser on this or any other device.",
		Urgent:        true,
	}
}

// linkNotification asks the user to open a sign-in link that no browser
// could be opened for. The link is for this user's browser only: it holds
// no token (with the loopback start URL, nothing usable by anyone else).
func linkNotification(name, link string, canCopy bool) notify.Notification {
	n := notify.Notification{
		Key:    name,
		Title:  "Open this link to sign in to " + name,
		Body:   link + "\n\nNo browser could be opened. Open the link in a browser on this computer.",
		Urgent: true,
	}
	if canCopy {
		n.Buttons = []notify.Button{{ID: actionCopyLink, Label: "Copy link"}}
		n.NoButtonsHint = `To copy it, choose "` + LabelCopyLink + `" in the tokentray menu under ` + name + "."
	}
	return n
}

// copyLink copies the waiting sign-in link of an account to the
// clipboard; without a clipboard tool it shows the link instead.
func (a *app) copyLink(name string) {
	link := a.links[name]
	if link == "" {
		a.log.Info("no sign-in link waiting", "account", name)
		return
	}
	err := ErrNoClipboard
	if a.opts.Clipboard.Available() {
		err = a.opts.Clipboard.Copy(link)
	}
	n := notify.Notification{Key: name, Buttons: []notify.Button{{ID: actionCopyLink, Label: "Copy link"}}}
	switch {
	case err == nil:
		a.log.Info("sign-in link copied", "account", name)
		n.Title = "Sign-in link of " + name + " copied"
		n.Body = "Paste it into the address bar of a browser on this computer:\n" + link
	default:
		a.log.Warn("cannot copy the sign-in link", "account", name, "err", err)
		n.Title = "Sign-in link of " + name
		n.Body = link + "\n\nCopy the link from here (" + err.Error() + ")."
		n.Buttons = nil
	}
	a.notices <- Notice{Kind: Show, Notification: n}
}

func (a *app) loginStatus() bool {
	if a.opts.StartAtLogin == nil {
		return false
	}
	on, err := a.opts.StartAtLogin.Status()
	if err != nil {
		a.log.Warn("cannot read the start-at-login registration", "err", err)
	}
	return on
}

// toggleStartAtLogin flips the registration and shows what the OS reports
// afterwards.
func (a *app) toggleStartAtLogin() {
	st := a.opts.StartAtLogin
	if st == nil {
		return
	}
	var err error
	if a.loginStatus() {
		err = st.Disable()
	} else {
		err = st.Enable()
	}
	if err != nil {
		a.log.Warn("start at login", "err", err)
	}
	on := a.loginStatus()
	a.log.Info("start at login", "enabled", on)
	a.menu.login.check(on)
}
