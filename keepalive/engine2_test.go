package keepalive

import (
	"context"
	"errors"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// A rejection seen by one process (`refresh --force` with no instance
// running) is remembered beside the token file: a later process's status
// and token agree, and a new login clears it.
func TestRejectionIsRememberedAcrossProcesses(t *testing.T) {
	r := newRig(t)
	r.iss.RevokeAll()
	if _, _, err := r.eng.Refresh(context.Background(), "work", true); err == nil {
		t.Fatal("refresh of a revoked login succeeded")
	}
	later := func() *Engine {
		return New(Options{Store: r.store, Clock: r.clock}, []OwnedAccount{{Name: "work", Client: r.client}})
	}
	e2 := later()
	a, _ := e2.Snapshot().Find("work")
	if a.State != NeedsSignIn || a.Reason != "the server rejected the refresh token" || a.Attempt != 1 {
		t.Fatalf("another process sees %+v", a)
	}
	before := r.iss.Stats().Requests
	_, err := e2.AccessToken(context.Background(), "work")
	if !errors.Is(err, ErrNotSignedIn) || !strings.Contains(err.Error(), "rejected") {
		t.Fatalf("token of a rejected login: %v", err)
	}
	if _, _, err := e2.Refresh(context.Background(), "work", false); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("refresh of a rejected login: %v", err)
	}
	if n := r.iss.Stats().Requests - before; n != 0 {
		t.Errorf("%d requests sent with a refresh token known to be rejected", n)
	}
	// A new login (stored by any process) makes the memory void.
	r.signIn()
	e3 := later()
	if a, _ := e3.Snapshot().Find("work"); a.State != OK {
		t.Fatalf("after a new login: %+v", a)
	}
	if _, err := e3.AccessToken(context.Background(), "work"); err != nil {
		t.Fatalf("token after a new login: %v", err)
	}
}

// `token` refreshes only when less than tokenMinValidity is left, while
// the background loop keeps its schedule (lead + jitter).
func TestTokenRefreshesOnlyWhenNearlyExpired(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct {
		at   time.Duration
		want int
	}{
		{0, 0},
		{55 * time.Minute, 0}, // due for the loop, but 5 minutes left
		{59*time.Minute + 30*time.Second, 1},
		{59*time.Minute + 40*time.Second, 1}, // the new token lives an hour
	} {
		r.clock.Jump(t0.Add(tc.at).Sub(r.clock.Now()))
		tok, err := r.eng.AccessToken(context.Background(), "work")
		if err != nil || !r.iss.Valid(tok.Reveal()) {
			t.Fatalf("at %v: %v", tc.at, err)
		}
		if got := r.refreshes(); got != tc.want {
			t.Errorf("at %v: %d refreshes, want %d", tc.at, got, tc.want)
		}
	}
}

// The running engine follows the configuration: an added account is read
// and shown, a removed one disappears.
func TestConfigureWhileRunning(t *testing.T) {
	r := newRig(t)
	r.start()
	r.idle()
	tok := r.iss.Mint(oauthtest.DefaultClientID, "")
	if _, err := r.store.Update(context.Background(), "home", func(*store.Record) (*store.Record, error) { return store.NewRecord(&tok), nil }); err != nil {
		t.Fatal(err)
	}
	work := OwnedAccount{Name: "work", Client: r.client, RefreshLead: 10 * time.Minute}
	home := OwnedAccount{Name: "home", Client: r.client}
	r.eng.Configure([]OwnedAccount{work, home})
	r.idle()
	if a, ok := r.eng.Snapshot().Find("home"); !ok || a.State != OK {
		t.Fatalf("added account: %+v %v", a, ok)
	}
	r.eng.Configure([]OwnedAccount{home})
	r.idle()
	if _, ok := r.eng.Snapshot().Find("work"); ok {
		t.Fatal("a removed account is still shown")
	}
	if err := r.eng.RefreshNow("work"); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("refresh of a removed account: %v", err)
	}
}

// slowTransport answers after a pause and records the peak number of
// requests in flight.
type slowTransport struct {
	pause          time.Duration
	inflight, peak atomic.Int32
}

func (s *slowTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	time.Sleep(s.pause)
	return http.DefaultTransport.RoundTrip(req)
}

// Many accounts due at once are refreshed at most RefreshesPerHost at a
// time against one token endpoint, and all of them are refreshed.
func TestRefreshesPerHostBound(t *testing.T) {
	iss, err := oauthtest.Start(oauthtest.Options{AccessTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	st := store.Open(testfs.TempDir(t))
	slow := &slowTransport{pause: 200 * time.Millisecond}
	client := &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: iss.Endpoint(), HTTPClient: &http.Client{Transport: slow}}
	var accs []OwnedAccount
	for i := range 24 {
		name := fmt.Sprintf("a%d", i)
		tok := iss.Mint(oauthtest.DefaultClientID, "")
		st.Update(context.Background(), name, func(*store.Record) (*store.Record, error) { return store.NewRecord(&tok), nil })
		accs = append(accs, OwnedAccount{Name: name, Client: client})
	}
	e := New(Options{Store: st, RefreshesPerHost: 3}, accs)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { e.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()
	<-e.started
	e.RefreshNow("")
	e.settle()
	if got := iss.Stats().Succeeded; got != len(accs) {
		t.Fatalf("%d of %d refreshed", got, len(accs))
	}
	if p := slow.peak.Load(); p > 3 {
		t.Errorf("peak in flight %d, want at most 3", p)
	}
}

// A sign-in whose server issues no refresh token (offline_access not
// granted) is no "ok": the account warns that tokentray cannot keep it
// alive, says how to fix it, schedules nothing, and a refresh says so.
func TestSignInWithoutRefreshToken(t *testing.T) {
	r := newRig(t, func(_ *rig, io *oauthtest.Options, _ *OwnedAccount, _ *Options) { io.NoRefreshToken = true })
	if err := r.eng.SignInWith(context.Background(), "work", SignInUI{Open: (&oauthtest.Browser{}).Open}); err != nil {
		t.Fatal(err)
	}
	a := r.account()
	if a.State != Warning || !strings.Contains(a.Reason, "cannot keep this login alive") || !strings.Contains(a.Reason, "offline_access") ||
		!strings.Contains(a.Reason, "access_type") || !a.NextRefresh.IsZero() {
		t.Fatalf("after a sign-in without a refresh token: %+v", a)
	}
	_, _, err := r.eng.Refresh(context.Background(), "work", true)
	if !errors.Is(err, oauthflow.ErrNoRefreshToken) || !strings.Contains(err.Error(), "offline_access") {
		t.Errorf("refresh: %v", err)
	}
}
