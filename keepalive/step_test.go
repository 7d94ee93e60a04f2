package keepalive

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
)

// The rules of the engine, table-tested on step alone: no goroutines, no
// sleeps, no files, no network.

func rec(rt string, obtained time.Time, ttl time.Duration) *store.Record {
	r := &store.Record{AccessToken: "at", RefreshToken: oauthflow.Secret(rt), ObtainedAt: obtained}
	if ttl > 0 {
		r.Expiry = obtained.Add(ttl)
	}
	return r
}

// machine drives step the way the loop does, recording the effects.
type machine struct {
	t   *testing.T
	s   state
	now time.Time
	rnd float64
}

func newMachine(t *testing.T, r *store.Record) *machine {
	m := &machine{t: t, s: newState(DefaultPolicy), now: t0, rnd: 0.5}
	m.do(evConfig{accounts: []OwnedAccount{{Name: "work", RefreshLead: 10 * time.Minute}}})
	if r != nil {
		m.do(evLoaded{name: "work", rec: r})
	} else {
		m.do(evLoaded{name: "work", err: fs.ErrNotExist})
	}
	return m
}

func (m *machine) do(ev event) []effect {
	m.t.Helper()
	var effs []effect
	m.s, effs = step(m.s, ev, m.now, m.rnd)
	return effs
}

func (m *machine) at(t time.Time) *machine { m.now = t; return m }

func (m *machine) acc() Account { return m.s.owned["work"].pub }

// refreshes returns the refresh effects among effs.
func refreshes(effs []effect) []effRefresh {
	var out []effRefresh
	for _, e := range effs {
		if r, ok := e.(effRefresh); ok {
			out = append(out, r)
		}
	}
	return out
}

func healthOf(effs []effect) (store.Health, bool) {
	for _, e := range effs {
		if h, ok := e.(effSaveHealth); ok {
			return h.health, true
		}
	}
	return store.Health{}, false
}

func published(effs []effect) bool {
	for _, e := range effs {
		if _, ok := e.(effPublish); ok {
			return true
		}
	}
	return false
}

var (
	errServer  = &oauthflow.Error{Op: "refresh", StatusCode: 503}
	errGrant   = &oauthflow.Error{Op: "refresh", StatusCode: 400, Code: "invalid_grant"}
	errOffline = fmt.Errorf("dial: %w", os.NewSyscallError("connect", syscall.ENETUNREACH))
)

func TestDueAt(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sch      schedule
		ttl      time.Duration
		want     time.Duration // after obtained
		noExpiry bool
	}{
		{"lead and jitter", schedule{lead: 10 * time.Minute, jitter: 15 * time.Second}, time.Hour, 50*time.Minute - 15*time.Second, false},
		{"jitter never exceeds the lead", schedule{lead: 5 * time.Second, jitter: 30 * time.Second}, time.Hour, time.Hour - 10*time.Second, false},
		{"lead capped at half the lifetime", schedule{lead: 10 * time.Minute}, 5 * time.Minute, 150 * time.Second, false},
		{"never sooner than the minimum gap", schedule{lead: 10 * time.Minute, jitter: 30 * time.Second}, 50 * time.Second, minRefreshGap, false},
		{"no expiry: the check interval", schedule{lead: 10 * time.Minute, checkInterval: 30 * time.Minute}, 0, 30 * time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var exp time.Time
			if !tc.noExpiry {
				exp = t0.Add(tc.ttl)
			}
			if got := tc.sch.dueAt(exp, t0).Sub(t0); got != tc.want {
				t.Errorf("due %v after obtained, want %v", got, tc.want)
			}
		})
	}
}

func TestNeededForToken(t *testing.T) {
	sch := schedule{lead: 10 * time.Minute, checkInterval: 30 * time.Minute}
	short := rec("rt", t0, 30*time.Second)
	long := rec("rt", t0, time.Hour)
	for _, tc := range []struct {
		r        *store.Record
		now      time.Time
		minValid time.Duration
		want     bool
	}{
		{short, t0, tokenMinValidity, false},                       // it lives 30 s: not at every call...
		{short, t0.Add(14 * time.Second), tokenMinValidity, false}, //
		{short, t0.Add(16 * time.Second), tokenMinValidity, true},  // ... at half its lifetime
		{short, t0, 0, false},                                      // the loop: at half the lifetime
		{short, t0.Add(15 * time.Second), 0, true},                 //
		{long, t0.Add(50 * time.Minute), 0, true},                  // the loop: lead before expiry
		{long, t0.Add(50 * time.Minute), tokenMinValidity, false},  // token: still 10 min valid
		{long, t0.Add(59*time.Minute + 1), tokenMinValidity, true},
	} {
		if got := sch.needed(tc.r, tc.now, tc.minValid); got != tc.want {
			t.Errorf("needed(ttl=%v, now=%v, minValid=%v) = %v, want %v", tc.r.Expiry.Sub(t0), tc.now.Sub(t0), tc.minValid, got, tc.want)
		}
	}
	noExp := rec("rt", t0, 0)
	if sch.needed(noExp, t0.Add(29*time.Minute), tokenMinValidity) || !sch.needed(noExp, t0.Add(30*time.Minute), tokenMinValidity) {
		t.Error("without an expiry, token refreshes after the check interval")
	}
}

func TestStepSchedulesOneRefreshWhenDue(t *testing.T) {
	m := newMachine(t, rec("rt1", t0, time.Hour))
	due := t0.Add(time.Hour - 10*time.Minute - refreshJitter/2)
	if a := m.acc(); a.State != OK || !a.NextRefresh.Equal(due) {
		t.Fatalf("loaded: %+v", a)
	}
	if w := nextWake(m.s, t0); !w.Equal(m.s.stepDue) && !w.Before(due.Add(time.Second)) {
		t.Errorf("next wake %v", w)
	}
	if effs := m.at(due.Add(-time.Second)).do(evTick{}); len(refreshes(effs)) != 0 {
		t.Fatalf("refresh before due: %v", effs)
	}
	effs := m.at(due).do(evTick{})
	if r := refreshes(effs); len(r) != 1 || r[0].force || r[0].decide.jitter != refreshJitter/2 {
		t.Fatalf("effects at due: %+v", effs)
	}
	if a := m.acc(); a.State != Refreshing {
		t.Fatalf("while refreshing: %+v", a)
	}
	// A second tick while the refresh is out sends nothing.
	if r := refreshes(m.do(evTick{})); len(r) != 0 {
		t.Fatalf("second refresh while one is out: %+v", r)
	}
	// "Refresh now" meanwhile waits for it and then forces one.
	m.do(evRefreshNow{name: "work"})
	effs = m.do(evRefreshDone{res: refreshResult{name: "work", used: "rt1", rec: rec("rt2", due, time.Hour), refreshed: true}})
	if r := refreshes(effs); len(r) != 1 || !r[0].force {
		t.Fatalf("pending forced refresh: %+v", effs)
	}
}

func TestStepFailures(t *testing.T) {
	type want struct {
		state    State
		attempt  int
		nextTry  time.Duration // after now; 0: none
		episode  State
		health   bool // remembered beside the token file
		rejected bool
	}
	for _, tc := range []struct {
		name  string
		errs  []error
		wants []want
	}{
		{"three transient failures need the user, retries go on", []error{errServer, errServer, errServer},
			[]want{
				{Retrying, 1, 30 * time.Second, Retrying, true, false},
				{Retrying, 2, 2 * time.Minute, Retrying, true, false},
				{NeedsSignIn, 3, 8 * time.Minute, NeedsSignIn, true, false},
			}},
		{"a terminal error needs the user at once, no retry", []error{errGrant},
			[]want{{NeedsSignIn, 1, 0, NeedsSignIn, true, true}}},
		{"offline does not count", []error{errOffline, errOffline, errOffline, errOffline},
			[]want{
				{Offline, 0, 30 * time.Second, Offline, false, false},
				{Offline, 0, 30 * time.Second, Offline, false, false},
				{Offline, 0, 30 * time.Second, Offline, false, false},
				{Offline, 0, 30 * time.Second, Offline, false, false},
			}},
		{"Retry-After lengthens the backoff", []error{&oauthflow.Error{StatusCode: 429, RetryAfter: 10 * time.Minute}},
			[]want{{Retrying, 1, 10 * time.Minute, Retrying, true, false}}},
		{"Retry-After is capped", []error{&oauthflow.Error{StatusCode: 429, RetryAfter: 24 * time.Hour}},
			[]want{{Retrying, 1, DefaultPolicy.MaxRetryAfter, Retrying, true, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(t, rec("rt1", t0, time.Hour))
			m.now = t0.Add(time.Hour)
			for i, err := range tc.errs {
				m.do(evTick{})
				effs := m.do(evRefreshDone{res: refreshResult{name: "work", used: "rt1", rec: rec("rt1", t0, time.Hour), err: err}})
				w := tc.wants[i]
				a := m.acc()
				if a.State != w.state || a.Attempt != w.attempt || a.Episode.State != w.episode || !a.Episode.Open() || a.Episode.ID != 1 {
					t.Fatalf("after failure %d: %+v", i+1, a)
				}
				if got := a.NextTry.Sub(m.now); (w.nextTry == 0) != a.NextTry.IsZero() || (w.nextTry != 0 && got != w.nextTry) {
					t.Errorf("after failure %d: next try in %v, want %v", i+1, got, w.nextTry)
				}
				h, saved := healthOf(effs)
				if saved != w.health || (saved && (h.Login != store.Fingerprint("rt1") || h.Failures != w.attempt || (h.Rejected != "") != w.rejected)) {
					t.Errorf("after failure %d: health saved=%v %+v", i+1, saved, h)
				}
				if a.NextTry.IsZero() {
					if r := refreshes(m.at(m.now.Add(time.Hour)).do(evTick{})); len(r) != 0 {
						t.Fatalf("retried a rejected login")
					}
				} else {
					m.now = a.NextTry
				}
			}
			// The episode keeps its number through every failure, and a
			// success ends it as a recovery and forgets the health.
			m.do(evTick{})
			effs := m.do(evRefreshDone{res: refreshResult{name: "work", used: "rt1", rec: rec("rt2", m.now, time.Hour), refreshed: true}})
			a := m.acc()
			if a.State != OK || a.Attempt != 0 || a.LastError != "" || a.Episode.Open() || a.Episode.End != EndRecovered {
				t.Fatalf("after recovery: %+v", a)
			}
			if h, saved := healthOf(effs); (tc.wants[0].health && (!saved || !h.IsZero())) || (!tc.wants[0].health && saved) {
				t.Errorf("health after recovery: saved=%v %+v", saved, h)
			}
		})
	}
}

// TestStepValidTokenKeepsTheEpisode: a token handed out while refreshes
// fail (no request sent: the access token is still valid) neither ends
// the failure episode nor forgets it, nor cuts the backoff short; new
// tokens stored by another process end it.
func TestStepValidTokenKeepsTheEpisode(t *testing.T) {
	for _, tc := range []struct {
		name  string
		other *store.Record // what the store holds when the token is asked for
		ends  bool
	}{
		{"the same login, still valid", rec("rt1", t0, time.Hour), false},
		{"another process refreshed (rotated)", rec("rt2", t0.Add(55*time.Minute), time.Hour), true},
		{"another process refreshed (no rotation)", rec("rt1", t0.Add(55*time.Minute), time.Hour), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(t, rec("rt1", t0, time.Hour))
			m.now = t0.Add(51 * time.Minute) // due: 10 minutes' lead, jitter
			for i := range 3 {
				if i > 0 {
					m.now = m.acc().NextTry
				}
				m.do(evTick{})
				m.do(evRefreshDone{res: refreshResult{name: "work", used: "rt1", rec: rec("rt1", t0, time.Hour), err: errServer}})
			}
			before := m.acc()
			if before.State != NeedsSignIn || before.Attempt != 3 {
				t.Fatalf("after three failures: %+v", before)
			}
			m.now = m.now.Add(time.Minute) // the token still has 5 minutes
			effs := m.do(evRefreshDone{external: true, res: refreshResult{name: "work", rec: tc.other}})
			a := m.acc()
			h, saved := healthOf(effs)
			if tc.ends {
				if a.State != OK || a.Attempt != 0 || a.Episode.Open() {
					t.Errorf("a new login did not end the episode: %+v", a)
				}
				return
			}
			if a.State != NeedsSignIn || a.Attempt != 3 || a.LastError == "" || !a.NextTry.Equal(before.NextTry) || !a.Episode.Open() {
				t.Errorf("handing out a valid token changed the episode:\nbefore %+v\nafter  %+v", before, a)
			}
			if saved {
				t.Errorf("the remembered health was rewritten: %+v", h)
			}
			if r := refreshes(m.do(evTick{})); len(r) != 0 {
				t.Errorf("a retry before its backoff: %+v", r)
			}
		})
	}
}

func TestStepTokenRotatedElsewhere(t *testing.T) {
	m := newMachine(t, rec("rt1", t0, time.Hour))
	m.now = t0.Add(time.Hour)
	m.do(evTick{})
	effs := m.do(evRefreshDone{res: refreshResult{name: "work", used: "rt1", err: errGrant, latest: rec("rt2", m.now, time.Hour)}})
	a := m.acc()
	if a.State == NeedsSignIn || a.Attempt != 0 || a.Episode.ID != 0 {
		t.Fatalf("a token rotated by another process was taken for a dead login: %+v", a)
	}
	if _, saved := healthOf(effs); saved {
		t.Error("a rejection was remembered")
	}
	// ... and the new token is tried at once.
	if r := refreshes(m.do(evTick{})); len(r) != 1 {
		t.Errorf("no refresh with the new token: %+v", r)
	}
}

func TestStepRememberedHealth(t *testing.T) {
	r := rec("rt1", t0, time.Hour)
	rejected := store.Health{Login: store.Fingerprint("rt1"), Rejected: "the server rejected the refresh token", Failures: 1, LastError: "invalid_grant"}
	for _, tc := range []struct {
		name   string
		rec    *store.Record
		err    error
		health store.Health
		want   State
	}{
		{"a rejection of this login", r, nil, rejected, NeedsSignIn},
		{"a rejection of an older login is void", rec("rt2", t0, time.Hour), nil, rejected, OK},
		{"failures of this episode", r, nil, store.Health{Login: store.Fingerprint("rt1"), Failures: 2, LastError: "503"}, Retrying},
		{"three failures", r, nil, store.Health{Login: store.Fingerprint("rt1"), Failures: 3}, NeedsSignIn},
		{"signed out", nil, fs.ErrNotExist, store.Health{SignedOut: true}, SignedOut},
		{"never signed in", nil, fs.ErrNotExist, store.Health{}, NeedsSignIn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(t, nil)
			m.do(evLoaded{name: "work", rec: tc.rec, err: tc.err, health: tc.health})
			a := m.acc()
			if a.State != tc.want {
				t.Fatalf("state %v, want %v (%+v)", a.State, tc.want, a)
			}
			if tc.want == NeedsSignIn && tc.health.Rejected != "" {
				if a.Reason != tc.health.Rejected {
					t.Errorf("reason %q", a.Reason)
				}
				if r := refreshes(m.at(t0.Add(2 * time.Hour)).do(evTick{})); len(r) != 0 {
					t.Error("a remembered rejection was sent again")
				}
			}
			if tc.want == SignedOut && (a.Episode.Open() || signInTarget([]Account{a}) != "work") {
				t.Errorf("signed out: %+v", a)
			}
		})
	}
}

func TestStepSignInAndSignOut(t *testing.T) {
	m := newMachine(t, rec("rt1", t0, time.Hour))
	m.now = t0.Add(time.Hour)
	m.do(evTick{})
	m.do(evRefreshDone{res: refreshResult{name: "work", used: "rt1", err: errGrant}})
	if a := m.acc(); a.State != NeedsSignIn || !a.Episode.SignIn {
		t.Fatalf("rejected: %+v", a)
	}
	// The sign-in stores its login: the file change seen meanwhile is no
	// plain recovery.
	m.do(evSigningIn{name: "work"})
	m.do(evLoaded{name: "work", rec: rec("rt2", m.now, time.Hour)})
	if a := m.acc(); a.State != NeedsSignIn {
		t.Fatalf("the sign-in's own file change was taken in: %+v", a)
	}
	effs := m.do(evSignedIn{name: "work", rec: rec("rt2", m.now, time.Hour)})
	a := m.acc()
	if a.State != OK || a.Episode.End != EndSignedIn || a.Episode.ID != 1 || !a.SignedIn.Equal(m.now) {
		t.Fatalf("after sign-in: %+v", a)
	}
	if h, saved := healthOf(effs); !saved || !h.IsZero() {
		t.Errorf("a new login must clear the remembered health: %v %+v", saved, h)
	}
	// Sign-out: remembered first, then its own quiet state.
	if h, saved := healthOf(m.do(evSigningOut{name: "work"})); !saved || !h.SignedOut {
		t.Errorf("sign-out not remembered: %+v", h)
	}
	m.do(evSignedOut{name: "work"})
	if a := m.acc(); a.State != SignedOut || a.Episode.Open() {
		t.Fatalf("after sign-out: %+v", a)
	}
	// Signing out in an episode ends it as a sign-out.
	m2 := newMachine(t, nil)
	if a := m2.acc(); a.State != NeedsSignIn || !a.Episode.Open() {
		t.Fatalf("never signed in: %+v", a)
	}
	m2.do(evSignedOut{name: "work"})
	if a := m2.acc(); a.Episode.End != EndSignedOut {
		t.Errorf("episode after sign-out: %+v", a.Episode)
	}
}

func TestStepNoRefreshToken(t *testing.T) {
	m := newMachine(t, rec("", t0, time.Hour))
	a := m.acc()
	if a.State != Warning || !strings.Contains(a.Reason, "cannot keep this login alive") || !strings.Contains(a.Reason, "offline_access") || !a.NextRefresh.IsZero() {
		t.Fatalf("without a refresh token: %+v", a)
	}
	if r := refreshes(m.at(t0.Add(59 * time.Minute)).do(evTick{})); len(r) != 0 {
		t.Error("a refresh was scheduled without a refresh token")
	}
	m.at(t0.Add(time.Hour)).do(evTick{})
	if a := m.acc(); a.State != NeedsSignIn {
		t.Errorf("expired without a refresh token: %+v", a)
	}

	// A token that does not expire either (a GitHub OAuth App's) is a
	// warning for good, never a sign-in, and is not refreshed.
	m = newMachine(t, rec("", t0, 0))
	for _, at := range []time.Duration{0, time.Hour, 30 * 24 * time.Hour} {
		effs := m.at(t0.Add(at)).do(evTick{})
		a := m.acc()
		if a.State != Warning || !strings.Contains(a.Reason, "no refresh token and no expiry") || len(refreshes(effs)) != 0 {
			t.Errorf("a token without expiry nor refresh token, after %v: %+v", at, a)
		}
		if got := a.ExpiryText(m.now); got != "expiry unknown" {
			t.Errorf("its expiry text: %q", got)
		}
	}
}

func TestStepConfigReload(t *testing.T) {
	m := newMachine(t, rec("rt1", t0, time.Hour))
	effs := m.do(evConfig{accounts: []OwnedAccount{{Name: "home"}, {Name: "work", RefreshLead: 20 * time.Minute}}})
	var loads []string
	for _, e := range effs {
		if l, ok := e.(effLoad); ok {
			loads = append(loads, l.name)
		}
	}
	if fmt.Sprint(loads) != "[home]" || fmt.Sprint(m.s.order) != "[home work]" {
		t.Fatalf("loads %v, order %v", loads, m.s.order)
	}
	if a := m.acc(); !a.NextRefresh.Equal(t0.Add(40*time.Minute - refreshJitter/2)) {
		t.Errorf("the changed lead is not used: %+v", a)
	}
	effs = m.do(evConfig{accounts: []OwnedAccount{{Name: "home"}}})
	if !published(effs) || len(m.s.snapshot(m.now).Accounts) != 1 {
		t.Errorf("a removed account stays: %+v", m.s.snapshot(m.now))
	}
}

func TestStepPublishesOnlyChanges(t *testing.T) {
	m := newMachine(t, rec("rt1", t0, time.Hour))
	if effs := m.at(t0.Add(time.Minute)).do(evTick{}); published(effs) {
		t.Errorf("an idle tick published: %v", effs)
	}
	if effs := m.at(t0.Add(50 * time.Minute)).do(evTick{}); !published(effs) {
		t.Errorf("becoming due did not publish")
	}
}

func TestSignInTarget(t *testing.T) {
	a := func(name string, s State) Account { return Account{Name: name, State: s} }
	for _, tc := range []struct {
		accs []Account
		want string
	}{
		{[]Account{a("w", OK), a("b", Broken)}, ""},
		{[]Account{a("c", Warning), a("h", NeedsSignIn), a("i", NeedsSignIn)}, "h"},
		{[]Account{a("c", Warning), a("o", SignedOut)}, "c"},
		{[]Account{a("w", OK), a("o", SignedOut)}, "o"},
	} {
		if got := signInTarget(tc.accs); got != tc.want {
			t.Errorf("signInTarget(%v) = %q, want %q", tc.accs, got, tc.want)
		}
	}
}

func TestEpisodes(t *testing.T) {
	st := func(s State, reason string) Account { return Account{State: s, Reason: reason} }
	var ep Episode
	for i, tc := range []struct {
		acc   Account
		c     cause
		watch bool
		id    int
		state State
		end   EpisodeEnd
	}{
		{st(OK, ""), causeNone, false, 0, OK, ""},
		{st(Retrying, ""), causeNone, false, 1, Retrying, ""},
		{st(Refreshing, ""), causeNone, false, 1, Retrying, ""}, // transitional
		{st(NeedsSignIn, "3 refreshes failed in a row"), causeNone, false, 1, NeedsSignIn, ""},
		{st(OK, ""), causeNone, false, 1, NeedsSignIn, EndRecovered},
		{st(Broken, "malformed"), causeNone, false, 2, Broken, ""},
		{st(OK, ""), causeSignIn, false, 2, Broken, EndSignedIn},
		{st(NeedsSignIn, "gone"), causeNone, true, 3, NeedsSignIn, ""},
		{st(OK, ""), causeNone, true, 3, NeedsSignIn, EndSignedIn}, // a watched login recovers by its owner's sign-in
		{st(Warning, "ends soon"), causeNone, true, 4, Warning, ""},
		{st(OK, ""), causeNone, true, 4, Warning, EndRecovered},
	} {
		ep = nextEpisode(ep, tc.acc, tc.c, tc.watch, true, t0)
		if ep.ID != tc.id || (ep.ID > 0 && ep.State != tc.state) || ep.End != tc.end {
			t.Fatalf("step %d: %+v, want id %d state %v end %q", i, ep, tc.id, tc.state, tc.end)
		}
	}
}

// Account must stay comparable: statuses are compared with ==, so a new
// field can never silently stop a change from being published.
var _ = Account{} == Account{}

func TestStatusComparesAllFields(t *testing.T) {
	a := Account{Name: "x", Expiry: t0}
	b := a
	b.Episode.Reason = "changed"
	if a.normalized() == b.normalized() {
		t.Error("a changed nested field compared equal")
	}
	local := a
	local.Expiry = t0.In(time.FixedZone("x", 3600))
	if a.normalized() != local.normalized() {
		t.Error("the same instant in another zone compared different")
	}
}

// With wall-clock timers the engine sleeps until the next deadline; the
// check (every slowCheck) only wakes it while it has something to look
// at. Without them, every sleep ends at the check (maxStep).
func TestNextWake(t *testing.T) {
	due := t0.Add(time.Hour - 10*time.Minute - refreshJitter/2)
	deadline := t0.Add(2 * time.Hour)
	for _, tc := range []struct {
		name    string
		wall    bool
		signed  bool // the account has a login (a schedule)
		rec     *store.Record
		watched *Account
		want    time.Time
	}{
		{name: "wall timers, no refresh token: its expiry", wall: true,
			rec: &store.Record{AccessToken: "at", ObtainedAt: t0, Expiry: t0.Add(2 * time.Minute)}, want: t0.Add(2 * time.Minute)},
		{name: "wall timers, refresh token ends first", wall: true,
			rec: func() *store.Record {
				r := rec("rt1", t0, time.Hour)
				r.RefreshExpiry = t0.Add(20 * time.Minute)
				return r
			}(),
			want: t0.Add(20 * time.Minute)},
		{name: "monotonic timers: the check", signed: true, want: t0.Add(maxStep)},
		{name: "wall timers: the refresh", wall: true, signed: true, want: due},
		{name: "wall timers, no schedule: the slow check", wall: true, want: t0.Add(slowCheck)},
		{name: "wall timers, watched: the slow check", wall: true, signed: true,
			watched: &Account{Name: "claude", Deadline: deadline}, want: t0.Add(slowCheck)},
		{name: "wall timers, watched deadline before the check", wall: true, signed: true,
			watched: &Account{Name: "claude", Expiry: t0.Add(time.Minute), Deadline: deadline}, want: t0.Add(time.Minute)},
		{name: "wall timers, passed watched expiry", wall: true, signed: true,
			watched: &Account{Name: "claude", Expiry: t0.Add(-time.Minute)}, want: t0.Add(slowCheck)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &machine{t: t, s: newState(DefaultPolicy), now: t0, rnd: 0.5}
			m.s.wallTimers = tc.wall
			m.do(evConfig{accounts: []OwnedAccount{{Name: "work", RefreshLead: 10 * time.Minute}}})
			switch {
			case tc.rec != nil:
				m.do(evLoaded{name: "work", rec: tc.rec})
			case tc.signed:
				m.do(evLoaded{name: "work", rec: rec("rt1", t0, time.Hour)})
			default:
				m.do(evLoaded{name: "work", err: fs.ErrNotExist})
			}
			if tc.watched != nil {
				m.s.watchedOrder = []string{tc.watched.Name}
				m.s.watched[tc.watched.Name] = *tc.watched
			}
			m.do(evTick{}) // the first check

			if got := nextWake(m.s, t0); !got.Equal(tc.want) {
				t.Errorf("next wake in %v, want %v", got.Sub(t0), tc.want.Sub(t0))
			}
		})
	}
}

var (
	errNoSpace  = &fs.PathError{Op: "write", Path: "/tokens/.work.json.journal", Err: syscall.ENOSPC}
	errReserve  = &store.ReserveError{Dir: "/tokens", Err: errNoSpace}
	errSave     = &store.SaveError{Account: "work", KeptIn: "/rescue/work.json", Err: errNoSpace}
	errReadOnly = &store.ReserveError{Dir: "/tokens", Err: &fs.PathError{Op: "open", Path: "/tokens/x", Err: syscall.EROFS}}
)

// A token file that cannot be written is a local problem: a warning that
// says so, retried with backoff, never counted toward the three failures,
// never terminal, never a reason to sign in.
func TestStepCannotWrite(t *testing.T) {
	const diskFull = "cannot write the token file: disk full"
	type want struct {
		state   State
		reason  string
		attempt int
		nextTry time.Duration
	}
	for _, tc := range []struct {
		name  string
		errs  []error
		wants []want
	}{
		{"no space reserved: nothing sent, backoff, never sign-in", []error{errReserve, errReserve, errReserve, errReserve},
			[]want{
				{Warning, diskFull, 0, 30 * time.Second},
				{Warning, diskFull, 0, 2 * time.Minute},
				{Warning, diskFull, 0, 8 * time.Minute},
				{Warning, diskFull, 0, 30 * time.Minute},
			}},
		{"transient failures, then a full disk: the count stays", []error{errServer, errServer, errReserve, errReserve},
			[]want{
				{Retrying, "", 1, 30 * time.Second},
				{Retrying, "", 2, 2 * time.Minute},
				{Warning, diskFull, 2, 30 * time.Second},
				{Warning, diskFull, 2, 2 * time.Minute},
			}},
		{"the answer could not be saved: the login works, the copy is rescued", []error{errServer, errSave, errSave, errSave},
			[]want{
				{Retrying, "", 1, 30 * time.Second},
				{Warning, diskFull, 0, 30 * time.Second},
				{Warning, diskFull, 0, 2 * time.Minute},
				{Warning, diskFull, 0, 8 * time.Minute},
			}},
		{"another cause in the words of the system", []error{errReadOnly},
			[]want{{Warning, "cannot write the token file: read-only file system", 0, 30 * time.Second}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(t, rec("rt1", t0, time.Hour))
			m.now = t0.Add(time.Hour)
			for i, err := range tc.errs {
				if r := refreshes(m.do(evTick{})); len(r) != 1 {
					t.Fatalf("attempt %d: no refresh at the retry time: %+v", i+1, r)
				}
				used := oauthflow.Secret("rt1")
				if _, ok := err.(*store.ReserveError); ok {
					used = ""
				}
				effs := m.do(evRefreshDone{res: refreshResult{name: "work", used: used, rec: rec("rt1", t0, time.Hour), err: err}})
				w := tc.wants[i]
				a := m.acc()
				if a.State != w.state || a.Reason != w.reason || a.Attempt != w.attempt {
					t.Fatalf("after attempt %d: %v %q attempt %d, want %v %q attempt %d (%+v)", i+1, a.State, a.Reason, a.Attempt, w.state, w.reason, w.attempt, a)
				}
				if got := a.NextTry.Sub(m.now); got != w.nextTry {
					t.Errorf("after attempt %d: next try in %v, want %v", i+1, got, w.nextTry)
				}
				if !a.Episode.Open() || a.Episode.ID != 1 {
					t.Errorf("after attempt %d: episode %+v", i+1, a.Episode)
				}
				if w.state == Warning {
					if a.Episode.SignIn || signInTarget([]Account{a}) != "" {
						t.Errorf("after attempt %d: a sign-in is offered for a full disk: %+v", i+1, a.Episode)
					}
					if _, saved := healthOf(effs); saved {
						t.Errorf("after attempt %d: a full disk was remembered as the login's health", i+1)
					}
					if _, save := err.(*store.SaveError); save && !loads(effs) {
						t.Errorf("after attempt %d: the rescued copy is not read", i+1)
					}
					if r := refreshes(m.do(evTick{})); len(r) != 0 {
						t.Fatalf("after attempt %d: retried before the backoff", i+1)
					}
				}
				m.now = a.NextTry
			}
			// The retry checks the file even when no refresh is due; space
			// is back: the warning and its episode end.
			r := refreshes(m.do(evTick{}))
			if len(r) != 1 || !r[0].decide.checkWrite {
				t.Fatalf("retry: %+v", r)
			}
			m.do(evRefreshDone{res: refreshResult{name: "work", used: "rt1", rec: rec("rt2", m.now, time.Hour), refreshed: true}})
			if a := m.acc(); a.State != OK || a.Reason != "" || !a.NextTry.IsZero() || a.Episode.End != EndRecovered {
				t.Fatalf("after the write succeeded: %+v", a)
			}
			if r := refreshes(m.do(evTick{})); len(r) != 0 || m.s.owned["work"].schedule().checkWrite {
				t.Errorf("still retrying after success")
			}
		})
	}
}

// A sign-in writes the file, so it ends a write warning too; a rescued
// copy read meanwhile keeps it.
func TestStepCannotWriteEndsWithSignIn(t *testing.T) {
	m := newMachine(t, rec("rt1", t0, time.Hour))
	m.now = t0.Add(time.Hour)
	m.do(evTick{})
	m.do(evRefreshDone{res: refreshResult{name: "work", used: "rt1", rec: rec("rt1", t0, time.Hour), err: errSave}})
	m.do(evLoaded{name: "work", rec: rec("rt2", m.now, time.Hour)}) // the rescued copy
	if a := m.acc(); a.State != Warning || a.NextTry.IsZero() || !a.Expiry.Equal(m.now.Add(time.Hour)) {
		t.Fatalf("rescued copy read: %+v", a)
	}
	m.do(evSignedIn{name: "work", rec: rec("rt3", m.now, time.Hour)})
	if a := m.acc(); a.State != OK || !a.NextTry.IsZero() {
		t.Fatalf("after sign-in: %+v", a)
	}
}

func loads(effs []effect) bool {
	for _, e := range effs {
		if _, ok := e.(effLoad); ok {
			return true
		}
	}
	return false
}

func TestStepWatchedSources(t *testing.T) {
	m := newMachine(t, nil)
	m.do(evWatchedSources{names: []string{"a", "b"}})
	m.do(evWatched{acc: Account{Name: "a", Kind: Watched("codex")}})
	m.do(evWatched{acc: Account{Name: "b", Kind: Watched("codex")}})
	effs := m.do(evWatchedSources{names: []string{"b", "c"}})
	if !published(effs) || fmt.Sprint(m.s.watchedOrder) != "[b]" {
		t.Fatalf("after removing a: order %v, effects %v", m.s.watchedOrder, effs)
	}
	m.do(evWatched{acc: Account{Name: "a", Kind: Watched("codex")}}) // a late probe
	m.do(evWatched{acc: Account{Name: "c", Kind: Watched("codex")}})
	if got := fmt.Sprint(m.s.watchedOrder); got != "[b c]" {
		t.Errorf("order %v", got)
	}
}
