package keepalive

import (
	"context"
	"errors"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// rig is one owned account against a fake issuer, on a fake clock.
type rig struct {
	t      *testing.T
	clock  *fakeClock
	iss    *oauthtest.Issuer
	dir    string
	store  *store.Dir
	client *oauthflow.Client
	eng    *Engine
	snaps  <-chan Snapshot
	stop   func()
}

type rigOpt func(*rig, *oauthtest.Options, *OwnedAccount, *Options)

// newRig signs the account in (a minted token in the store) and builds the
// engine; start runs it.
func newRig(t *testing.T, opts ...rigOpt) *rig {
	t.Helper()
	r := &rig{t: t, clock: newFakeClock(t0), dir: testfs.TempDir(t)}
	io := oauthtest.Options{AccessTTL: time.Hour, Now: r.clock.Now}
	acc := OwnedAccount{Name: "work", RefreshLead: 10 * time.Minute}
	eo := Options{Clock: r.clock, Rand: func() float64 { return 0.5 }}
	for _, o := range opts {
		o(r, &io, &acc, &eo)
	}
	iss, err := oauthtest.Start(io)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	r.iss = iss
	r.store = store.Open(r.dir)
	eo.Store = r.store
	if acc.Client == nil {
		acc.Client = &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: iss.Endpoint(), Now: r.clock.Now}
	}
	r.client = acc.Client
	r.signIn()
	r.eng = New(eo, []OwnedAccount{acc})
	return r
}

// signIn stores a fresh login, as a sign-in in another process would.
func (r *rig) signIn() oauthflow.Token {
	tok := r.iss.Mint(oauthtest.DefaultClientID, "")
	_, err := r.store.Update(context.Background(), "work", func(*store.Record) (*store.Record, error) {
		return store.NewRecord(&tok), nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return tok
}

func (r *rig) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.eng.Run(ctx); close(done) }()
	<-r.eng.started
	r.stop = func() { cancel(); <-done }
	r.t.Cleanup(r.stop)
}

// idle waits until the loop has nothing in flight and has published
// what it did.
func (r *rig) idle() { r.eng.settle() }

// until advances the fake clock timer by timer until cond holds, and
// returns the fake time at which it did.
func (r *rig) until(what string, limit time.Duration, cond func() bool) time.Time {
	r.t.Helper()
	end := r.clock.Now().Add(limit)
	for {
		r.idle()
		if cond() {
			return r.clock.Now()
		}
		if r.clock.Now().After(end) {
			r.t.Fatalf("%s: not reached within %v of fake time", what, limit)
		}
		d, _ := r.clock.Next()
		r.clock.Advance(d)
	}
}

func (r *rig) account() Account {
	a, _ := r.eng.Snapshot().Find("work")
	return a
}

func (r *rig) refreshes() int { return r.iss.Stats().Refreshes }

func TestRefreshAtExpiryMinusLead(t *testing.T) {
	r := newRig(t)
	if a := r.account(); a.State != OK || !a.Expiry.Equal(t0.Add(time.Hour)) {
		t.Fatalf("initial status = %+v", a)
	}
	r.start()
	at := r.until("first refresh", 2*time.Hour, func() bool { return r.refreshes() == 1 })
	// Rand 0.5 puts the jitter at half of refreshJitter.
	want := t0.Add(time.Hour - 10*time.Minute - refreshJitter/2)
	if !at.Equal(want) {
		t.Errorf("refreshed at %v, want expiry - lead - jitter = %v", at, want)
	}
	a := r.account()
	if a.State != OK || !a.Expiry.Equal(at.Add(time.Hour)) || !a.LastRefresh.Equal(at) {
		t.Errorf("after refresh: %+v", a)
	}
	rec, err := r.store.Load("work")
	if err != nil || !r.iss.Valid(rec.AccessToken.Reveal()) {
		t.Fatalf("stored token not the issuer's current one (err %v)", err)
	}
	// The next refresh is scheduled from the new expiry, and again only once.
	at2 := r.until("second refresh", 2*time.Hour, func() bool { return r.refreshes() == 2 })
	if got := at2.Sub(at); got != time.Hour-10*time.Minute-refreshJitter/2 {
		t.Errorf("second refresh %v after the first", got)
	}
	if s := r.iss.Stats(); s.ReuseDetected != 0 || s.Rejected != 0 {
		t.Errorf("issuer stats %+v", s)
	}
}

func TestThreeTransientFailuresNeedSignInThenRecover(t *testing.T) {
	r := newRig(t)
	r.iss.Inject(oauthtest.Fault{Kind: oauthtest.ServerError, Count: 3})
	r.start()

	first := r.until("first attempt", 2*time.Hour, func() bool { return r.iss.Stats().Requests == 1 })
	a := r.account()
	if a.State != Retrying || a.Attempt != 1 || !a.NextTry.Equal(first.Add(30*time.Second)) || a.LastError == "" {
		t.Fatalf("after 1 failure: %+v", a)
	}
	second := r.until("second attempt", time.Hour, func() bool { return r.iss.Stats().Requests == 2 })
	if d := second.Sub(first); d != 30*time.Second {
		t.Errorf("first backoff %v, want 30s", d)
	}
	if a := r.account(); a.State != Retrying || a.Attempt != 2 || !a.NextTry.Equal(second.Add(2*time.Minute)) {
		t.Fatalf("after 2 failures: %+v", a)
	}
	third := r.until("third attempt", time.Hour, func() bool { return r.iss.Stats().Requests == 3 })
	if d := third.Sub(second); d != 2*time.Minute {
		t.Errorf("second backoff %v, want 2m", d)
	}
	a = r.account()
	if a.State != NeedsSignIn || a.Attempt != 3 || !a.NextTry.Equal(third.Add(8*time.Minute)) {
		t.Fatalf("after 3 failures: %+v", a)
	}
	if r.eng.Snapshot().Overall() != AnySignIn {
		t.Errorf("overall = %v", r.eng.Snapshot().Overall())
	}
	// Retries go on in the background; the fourth succeeds and ends the
	// episode.
	fourth := r.until("recovery", time.Hour, func() bool { return r.account().State == OK })
	if d := fourth.Sub(third); d != 8*time.Minute {
		t.Errorf("third backoff %v, want 8m", d)
	}
	if a := r.account(); a.Attempt != 0 || a.LastError != "" || !a.NextTry.IsZero() {
		t.Errorf("episode not cleared: %+v", a)
	}
}

func TestTerminalErrorNeedsSignInAtOnce(t *testing.T) {
	r := newRig(t, func(_ *rig, _ *oauthtest.Options, _ *OwnedAccount, eo *Options) { eo.WatchStore = true })
	r.iss.Inject(oauthtest.Fault{Kind: oauthtest.InvalidGrant})
	r.start()
	r.until("terminal failure", 2*time.Hour, func() bool { return r.account().State == NeedsSignIn })
	a := r.account()
	if a.Attempt != 1 || !strings.Contains(a.LastError, "invalid_grant") || !a.NextTry.IsZero() {
		t.Fatalf("after invalid_grant: %+v", a)
	}
	// No more attempts with a dead refresh token.
	before := r.iss.Stats().Requests
	for range 30 {
		r.idle()
		r.clock.Advance(maxStep)
	}
	r.idle()
	if got := r.iss.Stats().Requests; got != before {
		t.Fatalf("%d requests after a terminal error", got-before)
	}
	// A sign-in by another process (seen through fsnotify) ends the episode.
	r.signIn()
	keepalivetest.Eventually(t, "health ok after sign-in", func() bool { return r.account().State == OK })
	if a := r.account(); a.Attempt != 0 || a.LastError != "" {
		t.Errorf("episode not cleared: %+v", a)
	}
}

func TestRetryAfterHonouredAndCapped(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"600", 10 * time.Minute},              // longer than the 30 s backoff
		{"5", 30 * time.Second},                // shorter: the backoff wins
		{"86400", DefaultPolicy.MaxRetryAfter}, // a day: capped
		{"soon, please", 30 * time.Second},     // garbage: ignored
	} {
		t.Run(tc.header, func(t *testing.T) {
			r := newRig(t)
			r.iss.Inject(oauthtest.Fault{Kind: oauthtest.RateLimited, RetryAfter: tc.header})
			r.start()
			first := r.until("429", 2*time.Hour, func() bool { return r.iss.Stats().Requests == 1 })
			if a := r.account(); a.State != Retrying || !a.NextTry.Equal(first.Add(tc.want)) {
				t.Fatalf("next try in %v, want %v (%+v)", a.NextTry.Sub(first), tc.want, a)
			}
			second := r.until("retry", time.Hour, func() bool { return r.iss.Stats().Requests == 2 })
			if d := second.Sub(first); d != tc.want {
				t.Errorf("retried after %v, want %v", d, tc.want)
			}
		})
	}
}

// withWallTimers gives the engine wall-clock timers (SystemClock's on
// Linux): a Jump fires them.
func withWallTimers(r *rig, _ *oauthtest.Options, _ *OwnedAccount, _ *Options) {
	r.clock.wallTimers = true
}

func TestWallTimersSleepUntilTheDeadline(t *testing.T) {
	r := newRig(t, withWallTimers)
	r.start()
	r.idle()
	// Idle, the one timer waits for the refresh, not for a clock check.
	d, ok := r.clock.Next()
	due := r.account().NextRefresh
	if !ok || !r.clock.Now().Add(d).Equal(due) || d <= maxStep {
		t.Fatalf("sleeps %v (armed %v), want until the refresh is due in %v", d, ok, due.Sub(r.clock.Now()))
	}
	// The laptop sleeps for three hours: the timer fires on resume, with
	// no monotonic time passing.
	r.clock.Jump(3 * time.Hour)
	r.idle()
	if n := r.refreshes(); n != 1 {
		t.Fatalf("%d refreshes after the resume, want 1", n)
	}
	if a := r.account(); a.State != OK || !a.Expiry.After(r.clock.Now()) {
		t.Errorf("after resume: %+v", a)
	}
	// And asleep again until the new token is due.
	if d, _ := r.clock.Next(); d <= maxStep {
		t.Errorf("after the refresh sleeps %v", d)
	}
}

func TestWallClockJumpRefreshesAtOnce(t *testing.T) {
	r := newRig(t)
	r.start()
	r.idle()
	// The laptop sleeps for three hours: the wall clock jumps, the
	// monotonic timers do not move.
	r.clock.Jump(3 * time.Hour)
	if r.refreshes() != 0 {
		t.Fatal("refreshed before the step ended")
	}
	if st := r.account().State; st != OK && st != Due {
		t.Fatalf("state %v", st)
	}
	d, _ := r.clock.Next()
	if d > maxStep {
		t.Fatalf("engine sleeps %v in one step, more than %v", d, maxStep)
	}
	r.clock.Advance(d)
	r.until("overdue refresh", 0, func() bool { return r.refreshes() == 1 })
	if a := r.account(); a.State != OK || !a.Expiry.After(r.clock.Now()) {
		t.Errorf("after resume: %+v", a)
	}
}

func TestWakeRefreshesOverdueAtOnce(t *testing.T) {
	r := newRig(t)
	r.start()
	r.idle()
	r.clock.Jump(3 * time.Hour) // suspended; the step timer has not fired
	r.eng.Wake()                // logind announces the resume
	keepalivetest.Eventually(t, "refresh on wake", func() bool { return r.refreshes() == 1 && r.account().State == OK })
	if a := r.account(); !a.Expiry.After(r.clock.Now()) {
		t.Errorf("after wake: %+v", a)
	}
}

// A token that lives shorter than the lead must not be refreshed in a
// loop: the lead is capped at half the lifetime.
func TestShortLivedTokensAreNotRefreshedInALoop(t *testing.T) {
	r := newRig(t, func(_ *rig, io *oauthtest.Options, _ *OwnedAccount, _ *Options) {
		io.AccessTTL = 5 * time.Minute // Keycloak's default; the lead is 10m
	})
	r.start()
	var at []time.Time
	r.until("three refreshes", time.Hour, func() bool {
		if n := r.refreshes(); n > len(at) {
			at = append(at, r.clock.Now())
		}
		return r.refreshes() >= 3
	})
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < 2*time.Minute || gap > 2*time.Minute+30*time.Second {
			t.Errorf("refresh %d came %v after the previous one, want about half the 5m lifetime", i+1, gap)
		}
	}
	if r.refreshes() != len(at) {
		t.Errorf("%d refreshes in %d steps: a refresh loop", r.refreshes(), len(at))
	}
}

// cancelAfterResponse cancels the caller's context once the server has
// answered (and rotated the refresh token), as a Quit or a Ctrl-C at the
// wrong moment would.
type cancelAfterResponse struct{ cancel context.CancelFunc }

func (c cancelAfterResponse) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	c.cancel()
	if resp != nil {
		// Like a real connection, the body stops at the request's end.
		resp.Body = ctxBody{req.Context(), resp.Body}
	}
	return resp, err
}

type ctxBody struct {
	ctx context.Context
	io.ReadCloser
}

func (b ctxBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	return b.ReadCloser.Read(p)
}

func TestCancelDuringRefreshKeepsTheRotatedToken(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	r.client.HTTPClient = &http.Client{Transport: cancelAfterResponse{cancel}}
	_, refreshed, err := r.eng.Refresh(ctx, "work", true)
	if err != nil || !refreshed {
		t.Fatalf("refresh cancelled after the server answered: refreshed=%v err=%v", refreshed, err)
	}
	rec, err := r.store.Load("work")
	if err != nil || !r.iss.Valid(rec.AccessToken.Reveal()) {
		t.Fatal("the rotated tokens were not stored")
	}
	r.client.HTTPClient = nil
	if _, _, err := r.eng.Refresh(context.Background(), "work", true); err != nil {
		t.Fatalf("next refresh: %v", err)
	}
	if s := r.iss.Stats(); s.ReuseDetected != 0 || s.FamiliesRevoked != 0 {
		t.Errorf("a rotated refresh token was replayed: %+v", s)
	}
}

// Without fsnotify (a symlinked file, no inotify watches) a dead account
// still notices a sign-in by another process within one step.
func TestDeadAccountRereadsStoreEachStep(t *testing.T) {
	r := newRig(t) // WatchStore off
	r.iss.RevokeAll()
	r.start()
	r.eng.RefreshNow("work")
	r.until("dead", time.Hour, func() bool { return r.account().State == NeedsSignIn })
	r.signIn()
	start := r.clock.Now()
	at := r.until("the new login", time.Hour, func() bool { return r.account().State == OK })
	if d := at.Sub(start); d > maxStep {
		t.Errorf("new login noticed after %v", d)
	}
}

// A reload that is pending must not swallow a "Refresh now".
func TestRefreshNowAfterPendingReload(t *testing.T) {
	r := newRig(t)
	r.start()
	r.idle()
	r.eng.reload("work")
	r.eng.reload("work")
	r.eng.RefreshNow("work")
	keepalivetest.Eventually(t, "the forced refresh", func() bool { return r.refreshes() == 1 && r.account().State == OK })
}

// When another process refreshed meanwhile, the refresh due in this one is
// skipped: the decision is taken on the file read under the lock.
func TestRefreshSkippedWhenAnotherProcessRefreshed(t *testing.T) {
	r := newRig(t) // no fsnotify: the engine's copy stays stale
	r.start()
	r.idle()
	// Another process refreshes 40 minutes in (before our due time) and
	// stores a login valid for an hour from then.
	r.clock.Advance(40 * time.Minute)
	other := &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: r.iss.Endpoint(), Now: r.clock.Now}
	_, err := r.store.Update(context.Background(), "work", func(cur *store.Record) (*store.Record, error) {
		tok, err := other.Refresh(context.Background(), cur.RefreshToken)
		if err != nil {
			return nil, err
		}
		cur.Apply(tok)
		return cur, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Our old due time (50 minutes in) passes: no second refresh.
	r.until("our old due time", time.Hour, func() bool { return r.clock.Now().Sub(t0) >= 55*time.Minute })
	if n := r.refreshes(); n != 1 {
		t.Fatalf("%d refreshes, want only the other process's one", n)
	}
	if a := r.account(); a.State != OK || !a.Expiry.Equal(t0.Add(100*time.Minute)) {
		t.Errorf("engine did not adopt the other process's login: %+v", a)
	}
}

// flakyNet fails the first n dials with ENETUNREACH, as a laptop without
// network does.
func flakyNet(n int32) *http.Client {
	var calls atomic.Int32
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if calls.Add(1) <= n {
				return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}
			}
			return d.DialContext(ctx, network, addr)
		},
		DisableKeepAlives: true,
	}}
}

func TestOfflineDoesNotCount(t *testing.T) {
	r := newRig(t, func(r *rig, _ *oauthtest.Options, acc *OwnedAccount, _ *Options) {
		acc.Client = &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Now: r.clock.Now, HTTPClient: flakyNet(10)}
	})
	r.client.Endpoint = r.iss.Endpoint()
	r.start()
	first := r.until("offline", 2*time.Hour, func() bool { return r.account().State == Offline })
	if a := r.account(); a.Attempt != 0 || !a.NextTry.Equal(first.Add(DefaultPolicy.Offline)) {
		t.Fatalf("offline status: %+v", a)
	}
	// Ten offline attempts never reach needs-sign-in; then the network
	// answers and the refresh succeeds.
	var worst State
	r.until("back online", 2*time.Hour, func() bool {
		worst = max(worst, r.account().State)
		return r.refreshes() == 1
	})
	if worst >= NeedsSignIn {
		t.Errorf("offline attempts escalated to %v", worst)
	}
	if a := r.account(); a.State != OK || a.Attempt != 0 {
		t.Errorf("after reconnect: %+v", a)
	}
}

// rotateBehindOurBack answers the token request with invalid_grant after
// another (lock-ignoring) process stored a newer login.
type rotateBehindOurBack struct {
	r    *rig
	once sync.Once
}

func (x *rotateBehindOurBack) RoundTrip(req *http.Request) (*http.Response, error) {
	x.once.Do(func() {
		tok := x.r.iss.Mint(oauthtest.DefaultClientID, "")
		data, _ := store.NewRecord(&tok).MarshalJSON()
		if err := atomicfile.WriteFile(x.r.store.Path("work"), data, 0o600); err != nil {
			x.r.t.Error(err)
		}
		x.r.iss.Inject(oauthtest.Fault{Kind: oauthtest.InvalidGrant})
	})
	return http.DefaultTransport.RoundTrip(req)
}

func TestTerminalErrorRereadsStore(t *testing.T) {
	r := newRig(t)
	r.client.HTTPClient = &http.Client{Transport: &rotateBehindOurBack{r: r}}
	r.start()
	r.until("two refresh requests", 2*time.Hour, func() bool { return r.iss.Stats().Requests == 2 })
	a := r.account()
	if a.State != OK || a.Attempt != 0 {
		t.Fatalf("a token rotated elsewhere was treated as dead: %+v", a)
	}
	if s := r.iss.Stats(); s.Succeeded != 1 || s.ReuseDetected != 0 {
		t.Errorf("issuer stats %+v", s)
	}
}

func TestMalformedStoreIsBrokenAndUntouched(t *testing.T) {
	r := newRig(t)
	path := r.store.Path("work")
	bad := []byte(`{"access_token": "at-secret", "expiry": 5`)
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	e := New(Options{Store: r.store, Clock: r.clock}, []OwnedAccount{{Name: "work", Client: r.client}})
	a, _ := e.Snapshot().Find("work")
	if a.State != Broken || !strings.Contains(a.Reason, filepath.Base(path)) || strings.Contains(a.Reason, "at-secret") {
		t.Fatalf("status %+v", a)
	}
	_, _, err := e.Refresh(context.Background(), "work", true)
	var me *atomicfile.MalformedError
	if !errors.As(err, &me) {
		t.Fatalf("Refresh error %v, want MalformedError", err)
	}
	after, _ := os.Stat(path)
	data, _ := os.ReadFile(path)
	if string(data) != string(bad) || !after.ModTime().Equal(before.ModTime()) || r.iss.Stats().Requests != 0 {
		t.Error("malformed file was touched or a refresh was sent")
	}
}

func TestConcurrentRefreshesOneAtATime(t *testing.T) {
	r := newRig(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, _, err := r.eng.Refresh(context.Background(), "work", true); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if s := r.iss.Stats(); s.Succeeded != 8 || s.Rejected != 0 || s.ReuseDetected != 0 {
		t.Errorf("issuer stats %+v", s)
	}
	rec, _ := r.store.Load("work")
	if !r.iss.Valid(rec.AccessToken.Reveal()) {
		t.Error("stored token is not the latest")
	}
}

func TestNotDueSkipsRefresh(t *testing.T) {
	r := newRig(t)
	a, _, err := r.eng.Refresh(context.Background(), "work", false)
	if err != nil || a.State != OK || r.iss.Stats().Requests != 0 {
		t.Fatalf("refresh of a fresh token: %v %+v, %d requests", err, a, r.iss.Stats().Requests)
	}
	tok, err := r.eng.AccessToken(context.Background(), "work")
	if err != nil || !r.iss.Valid(tok.Reveal()) {
		t.Fatalf("AccessToken: %v", err)
	}
}

func TestSubscribersGetSnapshots(t *testing.T) {
	r := newRig(t)
	snaps, cancel := r.eng.Subscribe()
	defer cancel()
	if s := <-snaps; s.Overall() != AllOK {
		t.Fatalf("first snapshot %v", s.Overall())
	}
	r.iss.Inject(oauthtest.Fault{Kind: oauthtest.InvalidGrant})
	r.eng.Refresh(context.Background(), "work", true)
	s := <-snaps
	if s.Overall() != AnySignIn {
		t.Errorf("latest snapshot %v, want needs sign-in", s.Overall())
	}
}

func TestNoAccounts(t *testing.T) {
	e := New(Options{Store: store.Open(testfs.TempDir(t))}, nil)
	if o := e.Snapshot().Overall(); o != NoAccounts {
		t.Errorf("overall %v", o)
	}
}
