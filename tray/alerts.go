package tray

import (
	"strings"
	"time"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/tray/notify"
)

// NoticeKind says what to do with a notification.
type NoticeKind int

const (
	// Show displays Notification, replacing the open bubble of its Key.
	Show NoticeKind = iota + 1
	// Dismiss closes the open bubble of Notification.Key.
	Dismiss
)

func (k NoticeKind) String() string {
	switch k {
	case Show:
		return "show"
	case Dismiss:
		return "dismiss"
	}
	return "unknown"
}

// Notice is one notification decision. Notices are applied in order.
type Notice struct {
	Kind         NoticeKind
	Notification notify.Notification
}

// Alerts remembers, per account, the engine episode whose bubble is shown
// and the state it showed (an account without an entry shows none). The
// engine decides the episodes (when trouble starts, escalates and ends, and
// whether a sign-in ended it); Alerts only turns them into bubbles, and
// Next is a pure function of it and a snapshot.
type Alerts map[string]shown

type shown struct {
	episode int
	state   keepalive.State
	user    string // who was signed in when the episode's bubble first showed
}

// bubbles reports whether an episode in state s gets a bubble: a login
// about to end, a sign-in needed, broken credentials. Retrying and Offline
// are the engine's business; the icon says enough.
func bubbles(s keepalive.State) bool {
	return s == keepalive.Warning || s == keepalive.NeedsSignIn || s == keepalive.Broken
}

// Next decides the notifications for snapshot s, given the shown bubbles,
// and returns what is shown afterwards. Per account:
//
//   - an open episode in Warning, NeedsSignIn or Broken: one bubble, shown
//     again (same Key, replacing it) only when the episode changes state;
//     NeedsSignIn and Warning have a Sign In button, Broken none (a
//     sign-in cannot repair an unreadable file);
//   - the episode ends (or drops back to what the engine handles alone):
//     the bubble closes; an episode that needed a sign-in and that a
//     sign-in ended is followed by "<name>: signed in as <email>" ("<name>
//     is signed in again" when the e-mail is unknown);
//   - an account that disappears has its bubble closed.
//
// Every bubble's Key is the account name, so an account never has more
// than one. Texts hold names, states and the engine's reasons, never a
// token. The first snapshot is compared with nothing shown, so an account
// that already needs a sign-in at start-up is announced once.
func (open Alerts) Next(s keepalive.Snapshot, now time.Time) (Alerts, []Notice) {
	next := Alerts{}
	var out []Notice
	seen := map[string]bool{}
	for _, a := range s.Accounts {
		seen[a.Name] = true
		ep := a.Episode
		sh, had := open[a.Name]
		switch {
		case ep.Open() && bubbles(ep.State):
			if !had || sh.episode != ep.ID || sh.state != ep.State {
				out = append(out, Notice{Kind: Show, Notification: bubble(a, now)})
			}
			user := a.User
			if had && sh.episode == ep.ID {
				user = sh.user
			}
			next[a.Name] = shown{episode: ep.ID, state: ep.State, user: user}
		case had:
			out = append(out, Notice{Kind: Dismiss, Notification: notify.Notification{Key: a.Name}})
			if ep.ID == sh.episode && ep.End == keepalive.EndSignedIn && sh.state == keepalive.NeedsSignIn {
				title := a.Name + " is signed in again"
				body := summary(a, now)
				if a.User != "" {
					title = a.Name + ": signed in as " + a.User
				}
				if sh.user != "" && a.User != "" && !strings.EqualFold(sh.user, a.User) {
					// Say it plainly: the login now belongs to someone else.
					title += ", a different account"
					body = "Before, " + a.Name + " was signed in as " + sh.user + ".\n" + body
				}
				out = append(out, Notice{Kind: Show, Notification: notify.Notification{
					Key:   a.Name,
					Title: title,
					Body:  body,
				}})
			}
		}
	}
	for name := range open {
		if !seen[name] {
			out = append(out, Notice{Kind: Dismiss, Notification: notify.Notification{Key: name}})
		}
	}
	return next, out
}

// bubble is the notification for an account entering a problem state.
func bubble(a keepalive.Account, now time.Time) notify.Notification {
	n := notify.Notification{Key: a.Name, SignIn: a.Episode.SignIn}
	switch a.Episode.State {
	case keepalive.Warning:
		n.Title = a.Name + ": " + summary(a, now)
		n.Body = "Sign in again soon so that it keeps working."
		if !a.Episode.SignIn {
			// A local problem (the token file cannot be written): the
			// title says it, and a sign-in would not help.
			n.Title = a.Name + ": " + a.Reason
			n.Body = "The login is kept, and tokentray tries again by itself."
		} else if a.Reason != "" {
			n.Body = clip(a.Reason, maxDetail) + "\n" + n.Body
		}
	case keepalive.NeedsSignIn:
		n.Urgent = true // it stays until acted on: the login is dead
		n.Title = a.Name + " needs you to sign in"
		n.Body = clip(a.Reason, maxDetail)
	default: // Broken
		// The words of status: an owned account's token file, a watched
		// tool's login file.
		n.Title = a.Name + ": token file unreadable"
		if a.Kind.IsWatched() {
			n.Title = a.Name + ": login file unreadable"
		}
		n.Body = clip(a.Reason, maxDetail)
		if n.Body != "" {
			n.Body += "\n"
		}
		n.Body += "The file was left untouched; see tokentray status."
	}
	return n
}
