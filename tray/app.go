package tray

import (
	"context"
	"errors"
	"log/slog"
	"slices"
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
	// SignIn runs the sign-in of an account until it completes or ctx ends.
	SignIn(ctx context.Context, name string) error
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

// widget is one menu item.
type widget interface {
	SetTitle(string)
	SetTooltip(string)
	Enable()
	Disable()
	Check()
	Uncheck()
	AddSubItem(title, tooltip string) widget
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
	w                widget
	title, tooltip   string
	enabled, checked bool
}

func newCached(w widget, title, tooltip string, checked bool) *cached {
	return &cached{w: w, title: title, tooltip: tooltip, enabled: true, checked: checked}
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
	subs       [][]*cached // each account's submenu items, see submenu
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
	return &app{
		opts:    opts,
		log:     opts.Log,
		sh:      sh,
		clicks:  make(chan click, clickBuffer),
		alerts:  Alerts{},
		notices: make(chan Notice, 64),
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
				a.log.Info("tray: quit from the menu")
				return
			}
			a.handle(ctx, c)
		case act, ok := <-actions:
			if !ok {
				actions = nil
				continue
			}
			a.action(ctx, act)
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
			a.log.Log(context.Background(), lvl, "tray: notification failed", "account", n.Notification.Key, "op", n.Kind.String(), "err", err)
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
	m := &menu{gen: gen}
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
			a.log.Warn("tray: refresh", "account", c.account, "err", err)
		}
	case actSignIn:
		a.signIn(ctx, c.account)
	case actSignInTop:
		if a.view.SignInTarget != "" {
			a.signIn(ctx, a.view.SignInTarget)
		}
	case actStartAtLogin:
		a.toggleStartAtLogin()
	case actAddAccount, actOpenConfig:
		f := a.opts.AddAccount
		if c.kind == actOpenConfig {
			f = a.opts.OpenConfig
		}
		if f != nil {
			if err := f(); err != nil {
				a.log.Warn("tray: cannot open the config", "err", err)
			}
		}
	case actOpenLog:
		if a.opts.LogFile != "" {
			if err := a.opts.OpenFile(a.opts.LogFile); err != nil {
				a.log.Warn("tray: cannot open the log", "path", a.opts.LogFile, "err", err)
			}
		}
	}
}

// action handles a press on a notification: "signin" signs the account
// in; a click on the bubble ("default") does the same while the engine
// says a sign-in resolves the account's open episode, and nothing
// otherwise (e.g. on "signed in again").
func (a *app) action(ctx context.Context, act notify.Action) {
	switch act.Name {
	case notify.ActionSignIn:
		a.signIn(ctx, act.Key)
	case notify.ActionDefault:
		if acc, ok := a.snap.Find(act.Key); ok && acc.Episode.Open() && acc.Episode.SignIn {
			a.signIn(ctx, act.Key)
		}
	}
}

// signIn is what every "Sign In" calls: the engine's SignIn on its own
// goroutine (it waits for the browser). A second request for the same
// account is the engine's business: it shows the open sign-in again.
func (a *app) signIn(ctx context.Context, name string) {
	a.log.Info("tray: sign-in requested", "account", name)
	a.work.Go(func() {
		err := a.opts.Engine.SignIn(ctx, name)
		switch {
		case err == nil:
		case errors.Is(err, keepalive.ErrSignInInProgress):
			a.log.Info("tray: sign-in already in progress", "account", name)
		case ctx.Err() != nil:
		default:
			a.log.Warn("tray: sign-in failed", "account", name, "err", err)
		}
	})
}

func (a *app) loginStatus() bool {
	if a.opts.StartAtLogin == nil {
		return false
	}
	on, err := a.opts.StartAtLogin.Status()
	if err != nil {
		a.log.Warn("tray: cannot read the start-at-login registration", "err", err)
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
		a.log.Warn("tray: start at login", "err", err)
	}
	on := a.loginStatus()
	a.log.Info("tray: start at login", "enabled", on)
	a.menu.login.check(on)
}
