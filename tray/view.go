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
	// LabelNoAccounts is shown (disabled) instead of account lines when
	// nothing is configured or discovered.
	LabelNoAccounts = "No accounts — see tokentray status"
)

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
	// Title is the line shown: "work: ok, expires in 6h 12m".
	Title string
	// Tooltip adds the reason and the last error, if any.
	Tooltip string
	// Refresh offers "Refresh" (tokentray owns the account's tokens).
	Refresh bool
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
	// Placeholder replaces the account lines when there are none.
	Placeholder string
	// RefreshAll is "Refresh now": every owned account; disabled when
	// there is none.
	RefreshAll Item
	// SignIn is the top-level "Sign In…". It is enabled when an account
	// needs the user (NeedsSignIn first, then a login about to end
	// (Warning)) and signs in SignInTarget, the first such account in
	// snapshot order. Other accounts that need a sign-in at the same time
	// are served by their own submenus; the tooltip names the target.
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
	var warnTarget string
	for _, a := range s.Accounts {
		line := Describe(a, now)
		tip := line
		if d := detail(a); d != "" {
			tip += " — " + d
		}
		lines = append(lines, tip)
		owned := !a.Kind.IsWatched()
		v.Accounts = append(v.Accounts, AccountItem{Name: a.Name, Title: line, Tooltip: tip, Refresh: owned})
		if owned {
			v.RefreshAll.Enabled = true
		}
		switch {
		case a.State == keepalive.NeedsSignIn && v.SignInTarget == "":
			v.SignInTarget = a.Name
		case a.State == keepalive.Warning && warnTarget == "":
			warnTarget = a.Name
		}
	}
	if v.SignInTarget == "" {
		v.SignInTarget = warnTarget
	}
	if v.SignInTarget != "" {
		v.SignIn.Enabled = true
		v.SignIn.Tooltip = "Sign in to " + v.SignInTarget
	}
	if !v.RefreshAll.Enabled {
		v.RefreshAll.Tooltip = "No account is owned by tokentray"
	}
	if len(s.Accounts) == 0 {
		v.Placeholder = LabelNoAccounts
		lines = append(lines, LabelNoAccounts)
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
// "work: ok, expires in 6h 12m", "work: retrying (2 failed), next try in
// 1m", "claude-code: login ends in 2d 4h", "work: needs sign-in".
func Describe(a keepalive.Account, now time.Time) string {
	return a.Name + ": " + summary(a, now)
}

func summary(a keepalive.Account, now time.Time) string {
	withExpiry := func(s string) string {
		if e := keepalive.ExpiresIn(a.Expiry, now); e != "" {
			return s + ", " + e
		}
		return s
	}
	in := func(t time.Time) string {
		if t.After(now) {
			return " in " + keepalive.HumanDuration(t.Sub(now))
		}
		return " now"
	}
	switch a.State {
	case keepalive.OK:
		return withExpiry("ok")
	case keepalive.Due:
		return withExpiry("refresh due")
	case keepalive.Refreshing:
		return "refreshing…"
	case keepalive.Warning:
		if !a.Deadline.IsZero() && a.Deadline.After(now) {
			return "login ends in " + keepalive.HumanDuration(a.Deadline.Sub(now))
		}
		return "sign in again soon"
	case keepalive.Offline:
		if !a.NextTry.IsZero() {
			return "offline, next try" + in(a.NextTry)
		}
		return "offline"
	case keepalive.Retrying:
		s := "retrying"
		if a.Attempt > 0 {
			s += " (" + strconv.Itoa(a.Attempt) + " failed)"
		}
		if !a.NextTry.IsZero() {
			s += ", next try" + in(a.NextTry)
		}
		return s
	default:
		return a.State.String()
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
