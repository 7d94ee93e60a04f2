package tray

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tokentray/tokentray/assets"
	"github.com/tokentray/tokentray/keepalive"
)

// Menu labels. They are part of the user interface (and of the end-to-end
// tests that click them), so they live in one place.
const (
	LabelRefreshAll   = "Refresh now"
	LabelRefresh      = "Refresh"
	LabelSignIn       = "Sign In…"
	LabelStartAtLogin = "Start at login"
	LabelOpenLog      = "Open log"
	LabelQuit         = "Quit"
	// LabelCopyLink is in an account's submenu while its sign-in waits
	// for a link that no browser could be opened for.
	LabelCopyLink = "Copy sign-in link"
	// LabelAddAccount and LabelOpenConfig replace the account lines when
	// nothing is configured or discovered: the first opens the config
	// file with a commented example account, the second the file as is.
	LabelAddAccount = "Add an account…"
	LabelOpenConfig = "Open config"
)

// SignInLabel is the top-level Sign In item's title: it names the
// account it signs in ("Sign In to work…"), or is LabelSignIn when no
// account needs it.
func SignInLabel(account string) string {
	if account == "" {
		return LabelSignIn
	}
	return "Sign In to " + account + "…"
}

// AppName is the application name shown in the tray and on notifications.
const AppName = "tokentray"

// maxDetail bounds a reason or error message quoted in a tooltip.
const maxDetail = 120

// Item is the state of one menu item.
type Item struct {
	Title   string
	Tooltip string
	Enabled bool
}

// AccountItem is the menu line of one account. It opens a submenu with
// "Refresh" (owned accounts only) and "Sign In…".
type AccountItem struct {
	// Name is the account name; the submenu's commands act on it.
	Name string
	// Title is the line shown: "work: ok · refreshes 14:05".
	Title string
	// Tooltip adds the reason and the last error, if any.
	Tooltip string
	// Refresh offers "Refresh" (tokentray owns the account's tokens).
	Refresh bool
	// SignInFirst puts "Sign In…" first in the submenu: the account needs
	// the user, so that is what the submenu is for.
	SignInFirst bool
}

// View is everything the tray shows for one snapshot at one instant: the
// icon, the tooltip and the menu model. It is computed by Render, a pure
// function, and applied to the real tray by the event loop, which only
// touches what changed.
type View struct {
	// Icon is an assets icon name (assets.OK, assets.SignIn, ...).
	Icon string
	// Tooltip is one line for the aggregate health, then one per account.
	Tooltip string
	// Accounts are the account lines, in snapshot order (owned first).
	Accounts []AccountItem
	// NoAccounts: nothing is configured or discovered; the menu offers
	// LabelAddAccount and LabelOpenConfig instead of account lines.
	NoAccounts bool
	// RefreshAll is "Refresh now": every owned account; disabled when
	// there is none.
	RefreshAll Item
	// SignIn is the top-level "Sign In…". It is enabled when the engine
	// names an account for it (Snapshot.SignInTarget: one that needs a
	// sign-in, else a login about to end, else one signed out) and signs
	// that account in. Other accounts are served by their own submenus;
	// the tooltip names the target.
	SignIn       Item
	SignInTarget string
}

// Render computes the view of snapshot s at instant now.
func Render(s keepalive.Snapshot, now time.Time) View {
	v := View{
		Icon:       IconFor(s.Overall()),
		RefreshAll: Item{Title: LabelRefreshAll, Tooltip: "Refresh every owned account now"},
		SignIn:     Item{Title: LabelSignIn, Tooltip: "No account needs you to sign in"},
	}
	lines := []string{AppName + ": " + s.Overall().String()}
	for _, a := range s.Accounts {
		line := Describe(a, now)
		tip := line
		if d := detail(a); d != "" {
			tip += " — " + d
		}
		lines = append(lines, tip)
		if a.FileWarning != "" {
			lines = append(lines, "⚠ "+a.Name+": "+clip(a.FileWarning, 2*maxDetail))
		}
		owned := !a.Kind.IsWatched()
		v.Accounts = append(v.Accounts, AccountItem{Name: a.Name, Title: line, Tooltip: tip, Refresh: owned,
			SignInFirst: a.State == keepalive.NeedsSignIn || (a.State == keepalive.Warning && a.Episode.SignIn)})
		if owned {
			v.RefreshAll.Enabled = true
		}
	}
	if v.SignInTarget = s.SignInTarget; v.SignInTarget != "" {
		v.SignIn.Enabled = true
		v.SignIn.Title = SignInLabel(v.SignInTarget)
		v.SignIn.Tooltip = "Sign in to " + v.SignInTarget
	}
	if !v.RefreshAll.Enabled {
		v.RefreshAll.Tooltip = "No account is owned by tokentray"
	}
	if len(s.Accounts) == 0 {
		v.NoAccounts = true
		lines = append(lines, "No accounts yet: choose "+LabelAddAccount)
	}
	v.Tooltip = strings.Join(lines, "\n")
	return v
}

// IconFor maps the aggregate health to a tray icon name.
func IconFor(o keepalive.Overall) string {
	switch o {
	case keepalive.AllOK:
		return assets.OK
	case keepalive.AnyRefreshing:
		return assets.Refreshing
	case keepalive.AnyWarning:
		return assets.Warning
	case keepalive.AnySignIn:
		return assets.SignIn
	default:
		return assets.None
	}
}

// Describe is the one-line status of an account as the menu shows it:
// the login's health and its next event, in absolute times so that a
// menu left open never shows a stale countdown: "work: ok · refreshes
// 14:05", "work: retrying (2 failed) · next try 14:07:30", "claude-code:
// login ends in 2d 4h", "work: needs sign-in".
//
// The words are the ones of the CLI and the notifications: the access
// token "expires", the login "ends", an account "needs sign-in".
func Describe(a keepalive.Account, now time.Time) string {
	return a.Name + ": " + summary(a, now)
}

func summary(a keepalive.Account, now time.Time) string {
	withNext := func(s string) string {
		switch {
		case !a.Deadline.IsZero() && a.Deadline.After(now) && a.Deadline.Sub(now) < soon:
			return s + " · " + loginEnds(a.Deadline, now)
		case !a.NextRefresh.IsZero() && !a.Kind.IsWatched():
			return s + " · refreshes " + Clock(a.NextRefresh, now)
		case !a.Deadline.IsZero() && a.Deadline.After(now):
			return s + " · " + loginEnds(a.Deadline, now)
		}
		return s
	}
	nextTry := func(s string) string {
		if a.NextTry.IsZero() {
			return s
		}
		if !a.NextTry.After(now) {
			return s + " · trying now"
		}
		return s + " · next try " + Clock(a.NextTry, now)
	}
	switch a.State {
	case keepalive.OK:
		return withNext("ok")
	case keepalive.Due:
		return "refresh due"
	case keepalive.Refreshing:
		return "refreshing…"
	case keepalive.Warning:
		if a.Episode.Open() && !a.Episode.SignIn && a.Reason != "" {
			// Not the login: e.g. the token file cannot be written.
			return nextTry(a.Reason)
		}
		if !a.Deadline.IsZero() && a.Deadline.After(now) {
			return loginEnds(a.Deadline, now)
		}
		if !a.Kind.IsWatched() {
			return "cannot be kept alive · sign in again"
		}
		return "login ended · sign in again"
	case keepalive.Offline:
		return nextTry("offline")
	case keepalive.Retrying:
		s := "retrying"
		if a.Attempt > 0 {
			s += " (" + strconv.Itoa(a.Attempt) + " failed)"
		}
		return nextTry(s)
	default:
		return a.State.String()
	}
}

// soon is how near a login's end must be to be the headline's next event
// even when a refresh comes first.
const soon = 7 * 24 * time.Hour

// loginEnds says when a login ends: "login ends in 2d 4h" a day or more
// ahead (hours do not go stale between redraws), else at a clock time.
func loginEnds(t, now time.Time) string {
	if t.Sub(now) >= 24*time.Hour {
		return "login ends in " + keepalive.HumanDuration(t.Sub(now))
	}
	return "login ends " + Clock(t, now)
}

// Clock formats an instant for the menu, in now's time zone: "14:05"
// today, "14:05:30" within the next minute (a retry), "Tue 14:05" within
// a week, else "Dec 8 14:05".
func Clock(t, now time.Time) string {
	t = t.In(now.Location())
	d := t.Sub(now)
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	switch {
	case d > -time.Minute && d < time.Minute:
		return t.Format("15:04:05")
	case y1 == y2 && m1 == m2 && d1 == d2:
		return t.Format("15:04")
	case d > 0 && d < 6*24*time.Hour:
		return t.Format("Mon 15:04")
	default:
		return t.Format("Jan 2 15:04")
	}
}

// detail is what the tooltip adds after the summary: why an account needs
// attention and the last error while it is failing. Both come from the
// engine, which never puts a token in them.
func detail(a keepalive.Account) string {
	var parts []string
	switch a.State {
	case keepalive.NeedsSignIn, keepalive.Broken, keepalive.Warning:
		if a.Reason != "" {
			parts = append(parts, clip(a.Reason, maxDetail))
		}
	}
	switch a.State {
	case keepalive.NeedsSignIn, keepalive.Retrying, keepalive.Offline:
		if a.LastError != "" && a.LastError != a.Reason {
			parts = append(parts, "last error: "+clip(a.LastError, maxDetail))
		}
	}
	if a.SignInError != "" {
		parts = append(parts, "sign-in: "+clip(a.SignInError, maxDetail))
	}
	return strings.Join(parts, "; ")
}

// clip shortens s to at most n runes, ending in "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// clipUTF16 shortens s so that it fits in n UTF-16 code units, ending in
// "…" when cut (Windows tray tooltips hold 127 units plus the NUL).
func clipUTF16(s string, n int) string {
	width := func(r rune) int {
		if r >= 0x10000 {
			return 2
		}
		return 1
	}
	total := 0
	for _, r := range s {
		total += width(r)
	}
	if total <= n {
		return s
	}
	units := 0
	for i, r := range s {
		if units+width(r) > n-1 { // one unit for the ellipsis
			return s[:i] + "…"
		}
		units += width(r)
	}
	return s
}
