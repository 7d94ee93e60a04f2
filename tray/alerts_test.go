package tray

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive"
)

// noticeString is a compact form of a notice for table comparisons:
// "show work needs you to sign in | reason [signin] [urgent]" or "dismiss work".
func noticeString(n Notice) string {
	if n.Kind == Dismiss {
		return "dismiss " + n.Notification.Key
	}
	s := fmt.Sprintf("show %s: %s | %s", n.Notification.Key, n.Notification.Title, n.Notification.Body)
	if n.Notification.SignIn {
		s += " [signin]"
	}
	if n.Notification.Urgent {
		s += " [urgent]"
	}
	return s
}

func TestAlertsSequences(t *testing.T) {
	need := func(reason string) keepalive.Account {
		a := owned("work", keepalive.NeedsSignIn)
		a.Reason = reason
		return a
	}
	okA := owned("work", keepalive.OK)
	okA.Expiry = t0.Add(time.Hour)
	signedIn := ended(okA, 1, keepalive.NeedsSignIn, keepalive.EndSignedIn) // a sign-in ended episode 1
	recovered := ended(okA, 1, keepalive.NeedsSignIn, keepalive.EndRecovered)
	warn := watchedAcc("claude", keepalive.Warning)
	warn.Deadline = t0.Add(52 * time.Hour)
	claudeOK := watchedAcc("claude", keepalive.OK)
	broken := owned("work", keepalive.Broken)
	broken.Reason = "malformed token file"
	retry := owned("work", keepalive.Retrying)
	retry.Attempt = 2
	retrying := inEpisode(retry, 1)
	refreshingIn := func(was keepalive.State) keepalive.Account {
		a := owned("work", keepalive.Refreshing)
		a.Episode = keepalive.Episode{ID: 1, State: was, SignIn: was == keepalive.NeedsSignIn}
		return a
	}
	signedOut := ended(owned("work", keepalive.SignedOut), 1, keepalive.NeedsSignIn, keepalive.EndSignedOut)

	type step struct {
		s    keepalive.Snapshot
		want []string
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"healthy start is quiet", []step{
			{snap(okA), nil},
			{snap(owned("work", keepalive.Refreshing)), nil},
			{snap(okA), nil},
		}},
		{"needs sign-in at start is announced once", []step{
			{snap(need("not signed in")), []string{"show work: work needs you to sign in | not signed in [signin] [urgent]"}},
			{snap(need("not signed in")), nil},
		}},
		{"failures escalate to one bubble, retries do not repeat it", []step{
			{snap(okA), nil},
			{snap(retrying), nil},
			{snap(refreshingIn(keepalive.Retrying)), nil},
			{snap(need("3 refreshes failed in a row")), []string{"show work: work needs you to sign in | 3 refreshes failed in a row [signin] [urgent]"}},
			{snap(refreshingIn(keepalive.NeedsSignIn)), nil},
			{snap(need("4 refreshes failed in a row")), nil},
			{snap(need("the server rejected the refresh token")), nil},
		}},
		{"sign-in closes the bubble and confirms", []step{
			{snap(need("the server rejected the refresh token")), []string{"show work: work needs you to sign in | the server rejected the refresh token [signin] [urgent]"}},
			{snap(signedIn), []string{"dismiss work", "show work: work is signed in again | ok"}},
			{snap(signedIn), nil},
		}},
		{"a watched login that its owner signed in again", []step{
			{snap(watchedAcc("claude", keepalive.NeedsSignIn)), []string{"show claude: claude needs you to sign in |  [signin] [urgent]"}},
			{snap(ended(claudeOK, 1, keepalive.NeedsSignIn, keepalive.EndSignedIn)), []string{"dismiss claude", "show claude: claude is signed in again | ok"}},
		}},
		{"a background retry that succeeds is not a sign-in", []step{
			{snap(need("3 refreshes failed in a row")), []string{"show work: work needs you to sign in | 3 refreshes failed in a row [signin] [urgent]"}},
			{snap(recovered), []string{"dismiss work"}},
		}},
		{"sign-in with a known e-mail says who", []step{
			{snap(need("not signed in")), []string{"show work: work needs you to sign in | not signed in [signin] [urgent]"}},
			{snap(withUser(signedIn, "dev@example.com")), []string{"dismiss work", "show work: work: signed in as dev@example.com | ok"}},
		}},
		{"sign-in as someone else says so plainly", []step{
			{snap(withUser(need("the server rejected the refresh token"), "alice@example.com")),
				[]string{"show work: work needs you to sign in | the server rejected the refresh token [signin] [urgent]"}},
			{snap(withUser(signedIn, "bob@example.com")), []string{"dismiss work",
				"show work: work: signed in as bob@example.com, a different account | Before, work was signed in as alice@example.com.\nok"}},
		}},
		{"sign-in as the same user again", []step{
			{snap(withUser(need("x"), "dev@example.com")), []string{"show work: work needs you to sign in | x [signin] [urgent]"}},
			{snap(withUser(signedIn, "Dev@Example.com")), []string{"dismiss work", "show work: work: signed in as Dev@Example.com | ok"}},
		}},
		{"a watched login near its deadline", []step{
			{snap(claudeOK), nil},
			{snap(warn), []string{"show claude: claude: login ends in 2d 4h | Sign in again soon so that it keeps working. [signin]"}},
			{snap(warn), nil},
			{snap(ended(claudeOK, 1, keepalive.Warning, keepalive.EndRecovered)), []string{"dismiss claude"}},
		}},
		{"warning escalates to sign-in with the same key", []step{
			{snap(warn), []string{"show claude: claude: login ends in 2d 4h | Sign in again soon so that it keeps working. [signin]"}},
			{snap(func() keepalive.Account {
				a := watchedAcc("claude", keepalive.NeedsSignIn)
				a.Reason = "the login has expired"
				return a
			}()), []string{"show claude: claude needs you to sign in | the login has expired [signin] [urgent]"}},
		}},
		{"a token file that cannot be written: no sign-in button", []step{
			{snap(func() keepalive.Account {
				a := inEpisode(owned("work", keepalive.Warning), 1)
				a.Reason, a.Episode.SignIn = "cannot write the token file: disk full", false
				return a
			}()), []string{"show work: work: cannot write the token file: disk full | The login is kept, and tokentray tries again by itself."}},
		}},
		{"a watched tool's unreadable login file says so", []step{
			{snap(watchedAcc("claude", keepalive.Broken)), []string{"show claude: claude: login file unreadable | The file was left untouched; see tokentray status."}},
		}},
		{"broken has no sign-in button", []step{
			{snap(broken), []string{"show work: work: token file unreadable | malformed token file\nThe file was left untouched; see tokentray status."}},
			{snap(broken), nil},
			{snap(need("not signed in")), []string{"show work: work needs you to sign in | not signed in [signin] [urgent]"}},
		}},
		{"leaving needs sign-in for retrying closes the bubble without a signed-in message", []step{
			{snap(need("3 refreshes failed in a row")), []string{"show work: work needs you to sign in | 3 refreshes failed in a row [signin] [urgent]"}},
			{snap(retrying), []string{"dismiss work"}},
			{snap(inEpisode(owned("work", keepalive.Offline), 1)), nil},
		}},
		{"signing out closes the bubble quietly; signed out is no alarm", []step{
			{snap(need("3 refreshes failed in a row")), []string{"show work: work needs you to sign in | 3 refreshes failed in a row [signin] [urgent]"}},
			{snap(signedOut), []string{"dismiss work"}},
			{snap(owned("work", keepalive.SignedOut)), nil},
		}},
		{"a new episode after a recovery gets its own bubble", []step{
			{snap(need("not signed in")), []string{"show work: work needs you to sign in | not signed in [signin] [urgent]"}},
			{snap(recovered), []string{"dismiss work"}},
			{snap(inEpisode(need("the server rejected the refresh token"), 2)), []string{"show work: work needs you to sign in | the server rejected the refresh token [signin] [urgent]"}},
		}},
		{"a removed account's bubble is closed", []step{
			{snap(need("not signed in"), claudeOK), []string{"show work: work needs you to sign in | not signed in [signin] [urgent]"}},
			{snap(claudeOK), []string{"dismiss work"}},
			{snap(claudeOK), nil},
		}},
		{"accounts are independent", []step{
			{snap(okA, claudeOK), nil},
			{snap(need("not signed in"), warn), []string{
				"show work: work needs you to sign in | not signed in [signin] [urgent]",
				"show claude: claude: login ends in 2d 4h | Sign in again soon so that it keeps working. [signin]",
			}},
			{snap(signedIn, warn), []string{"dismiss work", "show work: work is signed in again | ok"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open := Alerts{}
			for i, st := range tc.steps {
				var ns []Notice
				open, ns = open.Next(st.s, t0)
				var got []string
				for _, n := range ns {
					got = append(got, noticeString(n))
				}
				if strings.Join(got, "\n") != strings.Join(st.want, "\n") {
					t.Fatalf("step %d: got\n%s\nwant\n%s", i, strings.Join(got, "\n"), strings.Join(st.want, "\n"))
				}
			}
		})
	}
}

// TestAlertsNeverQuoteLastError: the texts come from names, states, reasons
// and fixed words; the engine's LastError is never put in a bubble.
func TestAlertsNeverQuoteLastError(t *testing.T) {
	a := owned("work", keepalive.NeedsSignIn)
	a.Reason = "3 refreshes failed in a row"
	a.LastError = "some server text tt_rt_SECRET"
	_, ns := Alerts{}.Next(snap(a), t0)
	if len(ns) != 1 {
		t.Fatalf("%d notices", len(ns))
	}
	n := ns[0].Notification
	if strings.Contains(n.Title+n.Body, "tt_rt_") {
		t.Errorf("bubble quotes the last error: %+v", n)
	}
	if n.Key != "work" || !n.SignIn {
		t.Errorf("%+v", n)
	}
}

func withUser(a keepalive.Account, user string) keepalive.Account {
	a.User = user
	return a
}
