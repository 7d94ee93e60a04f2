package tray

import (
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/tokentray/tokentray/assets"
	"github.com/tokentray/tokentray/keepalive"
)

var t0 = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)

func owned(name string, st keepalive.State) keepalive.Account {
	return keepalive.Account{Name: name, Kind: keepalive.Owned, State: st}
}

func watchedAcc(name string, st keepalive.State) keepalive.Account {
	return keepalive.Account{Name: name, Kind: keepalive.Watched("claude-code"), State: st}
}

// snap is a snapshot as the engine publishes it: an account in trouble
// without an explicit episode gets its first one, and the top-level Sign
// In targets the first account that needs a sign-in, else the first
// warning, else the first signed out. (The engine's own tests hold those
// rules; the tray only reads them.)
func snap(accs ...keepalive.Account) keepalive.Snapshot {
	s := keepalive.Snapshot{At: t0}
	for _, a := range accs {
		if a.Episode.ID == 0 && (a.State == keepalive.Warning || a.State == keepalive.NeedsSignIn || a.State == keepalive.Broken) {
			a = inEpisode(a, 1)
		}
		s.Accounts = append(s.Accounts, a)
	}
	for _, want := range []keepalive.State{keepalive.NeedsSignIn, keepalive.Warning, keepalive.SignedOut} {
		for _, a := range accs {
			if a.State == want && s.SignInTarget == "" {
				s.SignInTarget = a.Name
			}
		}
	}
	return s
}

// inEpisode puts a into its open episode id, in its current state.
func inEpisode(a keepalive.Account, id int) keepalive.Account {
	a.Episode = keepalive.Episode{ID: id, State: a.State, Reason: a.Reason, Opened: t0,
		SignIn: a.State == keepalive.NeedsSignIn || a.State == keepalive.Warning}
	return a
}

// ended gives a the episode id that was in state was and ended by end.
func ended(a keepalive.Account, id int, was keepalive.State, end keepalive.EpisodeEnd) keepalive.Account {
	a.Episode = keepalive.Episode{ID: id, State: was, Opened: t0, Ended: t0, End: end}
	return a
}

func TestDescribe(t *testing.T) {
	ok := owned("work", keepalive.OK)
	ok.Expiry, ok.NextRefresh = t0.Add(6*time.Hour+12*time.Minute), t0.Add(5*time.Hour+5*time.Minute)
	okTomorrow := owned("work", keepalive.OK)
	okTomorrow.NextRefresh = t0.Add(26 * time.Hour)
	okLoginEnds := owned("work", keepalive.OK)
	okLoginEnds.NextRefresh, okLoginEnds.Deadline = t0.Add(time.Hour), t0.Add(50*time.Hour)
	okLoginFar := owned("work", keepalive.OK)
	okLoginFar.NextRefresh, okLoginFar.Deadline = t0.Add(time.Hour), t0.Add(60*24*time.Hour)
	watchedOK := watchedAcc("claude", keepalive.OK)
	watchedOK.Expiry, watchedOK.Deadline = t0.Add(-time.Hour), t0.Add(29*24*time.Hour)
	due := owned("work", keepalive.Due)
	due.Expiry = t0.Add(-3 * time.Minute)
	noExp := owned("work", keepalive.OK)
	warn := watchedAcc("claude", keepalive.Warning)
	warn.Deadline = t0.Add(52 * time.Hour)
	warnToday := watchedAcc("claude", keepalive.Warning)
	warnToday.Deadline = t0.Add(5*time.Hour + 30*time.Minute)
	warnPast := watchedAcc("claude", keepalive.Warning)
	warnPast.Deadline = t0.Add(-time.Hour)
	retry := owned("work", keepalive.Retrying)
	retry.Attempt, retry.NextTry = 2, t0.Add(90*time.Second)
	retrySoon := owned("work", keepalive.Retrying)
	retrySoon.Attempt, retrySoon.NextTry = 1, t0.Add(24*time.Second)
	retryNow := owned("work", keepalive.Retrying)
	retryNow.Attempt, retryNow.NextTry = 1, t0.Add(-time.Second)
	off := owned("work", keepalive.Offline)
	off.NextTry = t0.Add(25 * time.Second)
	for _, tc := range []struct {
		a    keepalive.Account
		want string
	}{
		{ok, "work: ok · refreshes 14:05"},
		{okTomorrow, "work: ok · refreshes Wed 11:00"},
		{okLoginEnds, "work: ok · login ends in 2d 2h"},
		{okLoginFar, "work: ok · refreshes 10:00"},
		{watchedOK, "claude: ok · login ends in 29d"},
		{noExp, "work: ok"},
		{due, "work: refresh due"},
		{owned("work", keepalive.Refreshing), "work: refreshing…"},
		{warn, "claude: login ends in 2d 4h"},
		{warnToday, "claude: login ends 14:30"},
		{warnPast, "claude: login ended · sign in again"},
		{retry, "work: retrying (2 failed) · next try 09:01"},
		{retrySoon, "work: retrying (1 failed) · next try 09:00:24"},
		{retryNow, "work: retrying (1 failed) · trying now"},
		{off, "work: offline · next try 09:00:25"},
		{owned("work", keepalive.Offline), "work: offline"},
		{owned("work", keepalive.NeedsSignIn), "work: needs sign-in"},
		{owned("work", keepalive.Broken), "work: broken"},
		{owned("work", keepalive.SignedOut), "work: signed out"},
		{func() keepalive.Account {
			a := owned("work", keepalive.Warning)
			a.Expiry = t0.Add(time.Minute)
			return a
		}(), "work: cannot be kept alive · sign in again"},
		{func() keepalive.Account {
			a := inEpisode(owned("work", keepalive.Warning), 1)
			a.Reason, a.Episode.SignIn, a.NextTry = "cannot write the token file: disk full", false, t0.Add(2*time.Minute)
			return a
		}(), "work: cannot write the token file: disk full · next try 09:02"},
	} {
		if got := Describe(tc.a, t0); got != tc.want {
			t.Errorf("Describe(%v) = %q, want %q", tc.a.State, got, tc.want)
		}
	}
}

// TestDescribeNeverCountsDown: what the menu shows for an event must not
// change while the event is still ahead, so a menu that stays open (and is
// redrawn only now and then) is never stale. Only "login ends in 2d 4h",
// a day or more ahead, is relative, in whole hours.
func TestDescribeNeverCountsDown(t *testing.T) {
	retry := owned("work", keepalive.Retrying)
	retry.Attempt, retry.NextTry = 1, t0.Add(50*time.Second)
	ok := owned("work", keepalive.OK)
	ok.NextRefresh = t0.Add(3 * time.Hour)
	warn := watchedAcc("claude", keepalive.Warning)
	warn.Deadline = t0.Add(3 * time.Hour)
	for _, a := range []keepalive.Account{retry, ok, warn} {
		first := Describe(a, t0)
		for _, later := range []time.Duration{time.Second, 20 * time.Second, 45 * time.Second} {
			if got := Describe(a, t0.Add(later)); got != first {
				t.Errorf("%s after %v: %q, was %q", a.Name, later, got, first)
			}
		}
	}
}

func TestClock(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{t0.Add(30 * time.Second), "09:00:30"},
		{t0.Add(5 * time.Hour), "14:00"},
		{t0.Add(20 * time.Hour), "Wed 05:00"},
		{t0.Add(10 * 24 * time.Hour), "Nov 13 09:00"},
		{t0.Add(-2 * time.Hour), "07:00"},
	} {
		if got := Clock(tc.at, t0); got != tc.want {
			t.Errorf("Clock(%v) = %q, want %q", tc.at, got, tc.want)
		}
	}
	// In the viewer's time zone.
	if got := Clock(t0.Add(time.Hour), t0.In(time.FixedZone("CET", 3600))); got != "11:00" {
		t.Errorf("Clock in CET = %q", got)
	}
}

func TestRenderIcon(t *testing.T) {
	for _, tc := range []struct {
		s    keepalive.Snapshot
		want string
	}{
		{snap(), assets.None},
		{snap(owned("a", keepalive.OK), owned("b", keepalive.Due)), assets.OK},
		{snap(owned("a", keepalive.OK), owned("b", keepalive.Refreshing)), assets.Refreshing},
		{snap(owned("a", keepalive.Retrying), owned("b", keepalive.Refreshing)), assets.Warning},
		{snap(owned("a", keepalive.Offline)), assets.Warning},
		{snap(watchedAcc("c", keepalive.Warning)), assets.Warning},
		{snap(owned("a", keepalive.NeedsSignIn), watchedAcc("c", keepalive.Warning)), assets.SignIn},
		{snap(owned("a", keepalive.OK), owned("b", keepalive.Broken)), assets.SignIn},
	} {
		if got := Render(tc.s, t0).Icon; got != tc.want {
			t.Errorf("icon of %+v = %q, want %q", tc.s.Accounts, got, tc.want)
		}
	}
}

func TestRenderMenuAndTooltip(t *testing.T) {
	work := owned("work", keepalive.OK)
	work.Expiry, work.NextRefresh = t0.Add(6*time.Hour+12*time.Minute), t0.Add(6*time.Hour+2*time.Minute)
	home := owned("home", keepalive.NeedsSignIn)
	home.Reason = "the server rejected the refresh token"
	home.LastError = "invalid_grant: refresh token revoked"
	home.Attempt = 1
	home.SignInError = "no browser could be opened (xdg-open not found); open the sign-in link yourself"
	flaky := owned("flaky", keepalive.Retrying)
	flaky.Attempt = 1
	flaky.LastError = "503 temporarily_unavailable"
	claude := watchedAcc("claude", keepalive.Warning)
	claude.Deadline = t0.Add(52 * time.Hour)
	claude.Reason = "the login ends soon"

	v := Render(snap(work, home, flaky, claude), t0)
	wantLines := []AccountItem{
		{Name: "work", Title: "work: ok · refreshes 15:02", Tooltip: "work: ok · refreshes 15:02", Refresh: true},
		{Name: "home", Title: "home: needs sign-in",
			Tooltip: "home: needs sign-in — the server rejected the refresh token; last error: invalid_grant: refresh token revoked; " +
				"sign-in: no browser could be opened (xdg-open not found); open the sign-in link yourself", Refresh: true, SignInFirst: true},
		{Name: "flaky", Title: "flaky: retrying (1 failed)", Tooltip: "flaky: retrying (1 failed) — last error: 503 temporarily_unavailable", Refresh: true},
		{Name: "claude", Title: "claude: login ends in 2d 4h", Tooltip: "claude: login ends in 2d 4h — the login ends soon", Refresh: false, SignInFirst: true},
	}
	if len(v.Accounts) != len(wantLines) {
		t.Fatalf("accounts %+v", v.Accounts)
	}
	for i, w := range wantLines {
		if v.Accounts[i] != w {
			t.Errorf("account line %d:\n got %+v\nwant %+v", i, v.Accounts[i], w)
		}
	}
	wantTip := strings.Join([]string{
		"tokentray: needs sign-in",
		wantLines[0].Tooltip, wantLines[1].Tooltip, wantLines[2].Tooltip, wantLines[3].Tooltip,
	}, "\n")
	if v.Tooltip != wantTip {
		t.Errorf("tooltip:\n%s\nwant:\n%s", v.Tooltip, wantTip)
	}
	if v.NoAccounts {
		t.Error("NoAccounts with accounts")
	}
	if !v.RefreshAll.Enabled || v.RefreshAll.Title != LabelRefreshAll {
		t.Errorf("refresh all %+v", v.RefreshAll)
	}
	// NeedsSignIn wins over a Warning that comes first or later.
	if !v.SignIn.Enabled || v.SignInTarget != "home" || v.SignIn.Tooltip != "Sign in to home" || v.SignIn.Title != "Sign In to home…" {
		t.Errorf("sign in %+v target %q", v.SignIn, v.SignInTarget)
	}
	v = Render(snap(claude, work), t0)
	if !v.SignIn.Enabled || v.SignInTarget != "claude" {
		t.Errorf("sign in with only a warning: %+v target %q", v.SignIn, v.SignInTarget)
	}
	v = Render(snap(work, owned("b", keepalive.Broken)), t0)
	if v.SignIn.Enabled || v.SignInTarget != "" || v.SignIn.Title != LabelSignIn {
		t.Errorf("sign in offered for ok/broken: %+v %q", v.SignIn, v.SignInTarget)
	}
	// Only watched accounts: nothing to refresh.
	v = Render(snap(watchedAcc("c", keepalive.OK)), t0)
	if v.RefreshAll.Enabled || v.Accounts[0].Refresh {
		t.Errorf("refresh offered for a watched account: %+v", v)
	}
}

func TestRenderNoAccounts(t *testing.T) {
	v := Render(snap(), t0)
	if !v.NoAccounts || len(v.Accounts) != 0 || v.RefreshAll.Enabled || v.SignIn.Enabled {
		t.Errorf("%+v", v)
	}
	if v.Tooltip != "tokentray: no accounts\nNo accounts yet: choose "+LabelAddAccount {
		t.Errorf("tooltip %q", v.Tooltip)
	}
}

func TestDetailIsClipped(t *testing.T) {
	a := owned("work", keepalive.Retrying)
	a.LastError = strings.Repeat("é", 500)
	v := Render(snap(a), t0)
	tip := v.Accounts[0].Tooltip
	if n := len([]rune(tip)); n > 200 || !strings.HasSuffix(tip, "…") {
		t.Errorf("tooltip not clipped (%d runes): %q", n, tip)
	}
}

func TestClipUTF16(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 127, "short"},
		{"abcdef", 6, "abcdef"},
		{"abcdefg", 6, "abcde…"},
		{"ab😀cd", 4, "ab…"}, // the emoji takes two units and does not fit with "…"
		{"ab😀cd", 5, "ab😀…"},
	} {
		got := clipUTF16(tc.in, tc.n)
		if got != tc.want {
			t.Errorf("clipUTF16(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
		if u := len(utf16.Encode([]rune(got))); u > tc.n {
			t.Errorf("clipUTF16(%q, %d) has %d units", tc.in, tc.n, u)
		}
	}
}

func TestOpenCommand(t *testing.T) {
	for goos, want := range map[string][]string{
		"linux":   {"xdg-open", "/l/tokentray.log"},
		"freebsd": {"xdg-open", "/l/tokentray.log"},
		"darwin":  {"open", "/l/tokentray.log"},
	} {
		got := openCommand(goos, "/l/tokentray.log")
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: %q", goos, got)
		}
	}
}

// A file warning (a token file others can read) is a line of its own in
// the tooltip; the account's health line stays as it is.
func TestRenderFileWarning(t *testing.T) {
	work := owned("work", keepalive.OK)
	work.FileWarning = "token file /home/u/tokens/work.json is accessible by other users (mode 0644)"
	v := Render(snap(work), t0)
	want := "tokentray: ok\nwork: ok\n⚠ work: token file /home/u/tokens/work.json is accessible by other users (mode 0644)"
	if v.Tooltip != want {
		t.Errorf("tooltip:\n%s\nwant:\n%s", v.Tooltip, want)
	}
	if v.Accounts[0].Title != "work: ok" {
		t.Errorf("menu line %q", v.Accounts[0].Title)
	}
}
