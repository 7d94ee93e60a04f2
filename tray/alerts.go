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

// Alerts remembers, per account, the state that opened its current
// notification episode (an account without an entry has none). It is the
// memory of the notification decisions: Next is a pure function of it and
// a snapshot.
type Alerts map[string]episode

type episode struct {
	state    keepalive.State
	signedIn time.Time // the account's SignedIn when the episode opened
	user     string    // who was signed in when the episode opened
}

// alertLevel groups states into the episodes that get a bubble: 0 none,
// 1 a login about to end, 2 sign-in needed, 3 broken credentials.
// Refreshing and Due are transitional and return ok=false: an account that
// needs a sign-in passes through Refreshing on every background retry,
// and that must neither end nor restart its episode.
func alertLevel(s keepalive.State) (level int, ok bool) {
	switch s {
	case keepalive.Refreshing, keepalive.Due:
		return 0, false
	case keepalive.Warning:
		return 1, true
	case keepalive.NeedsSignIn:
		return 2, true
	case keepalive.Broken:
		return 3, true
	default: // OK, Offline, Retrying: the icon says enough
		return 0, true
	}
}

// Next decides the notifications for snapshot s, given the open episodes,
// and returns the new episodes. The rules, per account:
//
//   - entering NeedsSignIn: one bubble "<name> needs you to sign in" with
//     the reason and a Sign In button;
//   - entering Warning (a watched login's hard deadline is near): one
//     bubble "<name>: login ends in 2d 4h" with a Sign In button;
//   - entering Broken: one bubble with the reason, without a button (a
//     sign-in cannot repair an unreadable file);
//   - moving between those states replaces the bubble (same Key);
//   - staying in the same state, or passing through Refreshing/Due, shows
//     nothing: one bubble per episode;
//   - recovering (OK, Offline, Retrying) closes the bubble; going from
//     NeedsSignIn to OK through a sign-in (not a background retry that
//     succeeded) is followed by a short "<name>: signed in as <email>"
//     ("<name> is signed in again" when the e-mail is unknown);
//   - an account that disappears has its bubble closed.
//
// Every bubble's Key is the account name, so an account never has more
// than one. Texts hold names, states and the engine's reasons, never a
// token. The first snapshot is compared with no episodes, so an account
// that already needs a sign-in at start-up is announced once.
func (open Alerts) Next(s keepalive.Snapshot, now time.Time) (Alerts, []Notice) {
	next := Alerts{}
	var out []Notice
	seen := map[string]bool{}
	for _, a := range s.Accounts {
		seen[a.Name] = true
		ep, had := open[a.Name]
		cur := ep.state
		level, settled := alertLevel(a.State)
		if !settled {
			if had {
				next[a.Name] = ep
			}
			continue
		}
		curLevel := 0
		if had {
			curLevel, _ = alertLevel(cur)
		}
		switch {
		case level == curLevel:
			if had {
				next[a.Name] = ep
			}
		case level == 0:
			out = append(out, Notice{Kind: Dismiss, Notification: notify.Notification{Key: a.Name}})
			// Confirm a sign-in, not a background recovery: an owned
			// account has a newer SignedIn; a watched one only recovers
			// when its owner signed in again.
			signedIn := a.Kind.IsWatched() || a.SignedIn.After(ep.signedIn)
			if cur == keepalive.NeedsSignIn && a.State == keepalive.OK && signedIn {
				title := a.Name + " is signed in again"
				body := summary(a, now)
				if a.User != "" {
					title = a.Name + ": signed in as " + a.User
				}
				if ep.user != "" && a.User != "" && !strings.EqualFold(ep.user, a.User) {
					// Say it plainly: the login now belongs to someone else.
					title += ", a different account"
					body = "Before, " + a.Name + " was signed in as " + ep.user + ".\n" + body
				}
				out = append(out, Notice{Kind: Show, Notification: notify.Notification{
					Key:   a.Name,
					Title: title,
					Body:  body,
				}})
			}
		default:
			next[a.Name] = episode{state: a.State, signedIn: a.SignedIn, user: a.User}
			out = append(out, Notice{Kind: Show, Notification: bubble(a, now)})
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
	n := notify.Notification{Key: a.Name}
	switch a.State {
	case keepalive.Warning:
		n.SignIn = true
		n.Title = a.Name + ": " + summary(a, now)
		n.Body = "Sign in again soon so that it keeps working."
		if a.Reason != "" {
			n.Body = clip(a.Reason, maxDetail) + "\n" + n.Body
		}
	case keepalive.NeedsSignIn:
		n.SignIn = true
		n.Urgent = true // it stays until acted on: the login is dead
		n.Title = a.Name + " needs you to sign in"
		n.Body = clip(a.Reason, maxDetail)
	default: // Broken
		n.Title = a.Name + ": credentials unreadable"
		n.Body = clip(a.Reason, maxDetail)
		if n.Body != "" {
			n.Body += "\n"
		}
		n.Body += "The file was left untouched; see tokentray status."
	}
	return n
}
