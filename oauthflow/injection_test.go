package oauthflow_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// holdClock is a Client.Now/Sleep pair for the sign-in hold: Sleep
// reports each wait on waits and then blocks until release gets a value,
// the time to advance the clock by (or the flow's context ends).
type holdClock struct {
	clk     *clock
	waits   chan time.Duration
	release chan time.Duration
}

func newHoldClock() *holdClock {
	return &holdClock{clk: newClock(), waits: make(chan time.Duration, 10), release: make(chan time.Duration, 10)}
}

func (h *holdClock) Sleep(ctx context.Context, d time.Duration) error {
	h.waits <- d
	select {
	case a := <-h.release:
		h.clk.Advance(a)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// awaitHold waits until a code is being held and returns the hold.
func (h *holdClock) awaitHold(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-h.waits:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("the code was not held")
		return 0
	}
}

func holdFlow(t *testing.T, opts oauthtest.Options) (*oauthtest.Issuer, *oauthflow.Flow, *holdClock) {
	t.Helper()
	h := newHoldClock()
	opts.Now = h.clk.Now
	iss := startIssuer(t, opts)
	c := signInClient(iss)
	c.Now, c.Sleep = h.clk.Now, h.Sleep
	return iss, startFlow(t, c, oauthflow.SignInOptions{}), h
}

// The start URL carries nothing of the authorization request and
// redirects to it once.
func TestStartURLRedirects(t *testing.T) {
	iss, f, h := holdFlow(t, oauthtest.Options{User: oauthtest.User{Email: "ada@example.com"}})
	start := f.StartURL()
	su, err := url.Parse(start)
	if err != nil || su.Host != listenerAddr(t, f) || su.RawQuery != "" {
		t.Fatalf("start URL %q", start)
	}
	if strings.Contains(start, "state") || strings.Contains(start, "challenge") || strings.Contains(start, iss.URL()) {
		t.Errorf("start URL %q reveals the authorization request", start)
	}
	// The real browser: start URL -> authorization endpoint -> callback.
	var b oauthtest.Browser
	done := make(chan error, 1)
	go func() { done <- b.Open(start) }()
	// The code arrived at once; it is held for the rest of the 5 s.
	if d := h.awaitHold(t); d != oauthflow.DefaultHold {
		t.Errorf("held for %v, want %v", d, oauthflow.DefaultHold)
	}
	if st := iss.Stats(); st.CodeExchanges != 0 {
		t.Errorf("the code was exchanged during the hold: %+v", st)
	}
	h.release <- oauthflow.DefaultHold
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p := b.Last()
	if p.Status != 200 || !strings.Contains(p.Body, "Signed in") || len(p.Redirects) != 2 || p.Redirects[0] != f.URL() {
		t.Errorf("page %d %v %q", p.Status, p.Redirects, p.Body)
	}
	tok, err := waitFlow(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Identity().String(); got != "ada@example.com" {
		t.Errorf("Identity %q", got)
	}
}

// A program that read the start URL (from the browser's command line) and
// opened it first: the browser's own visit cancels the sign-in.
func TestStartURLSecondVisitCancels(t *testing.T) {
	iss, f, _ := holdFlow(t, oauthtest.Options{})
	start := f.StartURL()
	racer := &oauthtest.Browser{NoFollow: true}
	if err := racer.Open(start); err != nil {
		t.Fatal(err)
	}
	if r := racer.Last(); r.Status != http.StatusFound || r.Redirect != f.URL() {
		t.Fatalf("first visit: %d %q", r.Status, r.Redirect)
	}
	var b oauthtest.Browser
	if err := b.Open(start); err != nil {
		t.Fatal(err)
	}
	if p := b.Last(); p.Status != http.StatusConflict || !strings.Contains(p.Body, "Another program opened your sign-in link; sign-in cancelled") {
		t.Errorf("second visit: %d %q", p.Status, p.Body)
	}
	_, err := waitFlow(t, f)
	// The whole message, as the CLI and the tray show it after the
	// account's name: no package prefix.
	if !errors.Is(err, oauthflow.ErrSignInIntercepted) || err.Error() != "another program opened your sign-in link; sign-in cancelled" {
		t.Fatalf("Wait: %v", err)
	}
	if st := iss.Stats(); st.Authorizations != 0 || st.CodeExchanges != 0 {
		t.Errorf("stats %+v", st)
	}
}

// The racer signs in as someone else at once; its code reaches the
// listener before the browser has even loaded the start URL. The code is
// held, the browser's visit comes within the hold, and nothing is
// exchanged.
func TestStartURLRacerCodeIsHeld(t *testing.T) {
	iss, f, h := holdFlow(t, oauthtest.Options{User: oauthtest.User{Email: "mallory@example.com"}})
	start := f.StartURL()
	racer := &oauthtest.Browser{}
	racerDone := make(chan error, 1)
	go func() { racerDone <- racer.Open(start) }()
	h.awaitHold(t) // the racer's code is at the listener, held
	h.clk.Advance(2 * time.Second)

	var b oauthtest.Browser
	if err := b.Open(start); err != nil {
		t.Fatal(err)
	}
	if p := b.Last(); !strings.Contains(p.Body, "Another program opened your sign-in link") {
		t.Errorf("browser page %d %q", p.Status, p.Body)
	}
	if err := <-racerDone; err != nil {
		t.Fatal(err)
	}
	if p := racer.Last(); p.Status == 200 || strings.Contains(p.Body, "Signed in") {
		t.Errorf("racer page %d %q", p.Status, p.Body)
	}
	if _, err := waitFlow(t, f); !errors.Is(err, oauthflow.ErrSignInIntercepted) {
		t.Fatalf("Wait: %v", err)
	}
	if st := iss.Stats(); st.Authorizations != 1 || st.CodeExchanges != 0 {
		t.Errorf("the racer's code was exchanged: %+v", st)
	}
}

// A code that arrives after the hold is exchanged at once; a visit after
// the flow has finished changes nothing.
func TestStartURLAfterHold(t *testing.T) {
	_, f, h := holdFlow(t, oauthtest.Options{})
	start := f.StartURL()
	h.clk.Advance(oauthflow.DefaultHold)
	var b oauthtest.Browser
	if err := b.Open(start); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-h.waits:
		t.Errorf("held for %v after the hold", d)
	default:
	}
	if _, err := waitFlow(t, f); err != nil {
		t.Fatal(err)
	}
	// A stranger's start token, or none, is not found.
	f2 := startFlow(t, signInClient(startIssuer(t, oauthtest.Options{})), oauthflow.SignInOptions{Hold: -1})
	f2.StartURL()
	u, _ := url.Parse(f2.StartURL())
	u.Path = "/tokentray-start/guess"
	if err := b.Open(u.String()); err != nil || b.Last().Status != http.StatusNotFound {
		t.Errorf("unknown start token: %v %d", err, b.Last().Status)
	}
}

// Opening the sign-in again gives another one-time URL, and the first
// browser tab can still finish.
func TestStartURLReopen(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{Hold: -1})
	first, second := f.StartURL(), f.StartURL()
	if first == second {
		t.Fatal("StartURL returned the same URL twice")
	}
	var tab1, tab2 oauthtest.Browser
	tab2.NoFollow = true
	if err := tab2.Open(second); err != nil || tab2.Last().Redirect != f.URL() {
		t.Fatalf("second tab: %v %q", err, tab2.Last().Redirect)
	}
	if err := tab1.Open(first); err != nil || tab1.Last().Status != 200 {
		t.Fatalf("first tab: %v %d %q", err, tab1.Last().Status, tab1.Last().Body)
	}
	if _, err := waitFlow(t, f); err != nil {
		t.Fatal(err)
	}
}

// Opening the sign-in again while a code is held restarts the hold: the
// new start URL's browser visit must be able to come too.
func TestStartURLReopenRestartsHold(t *testing.T) {
	_, f, h := holdFlow(t, oauthtest.Options{})
	var b oauthtest.Browser
	done := make(chan error, 1)
	go func() { done <- b.Open(f.StartURL()) }()
	if d := h.awaitHold(t); d != oauthflow.DefaultHold {
		t.Fatalf("held for %v", d)
	}
	h.clk.Advance(3 * time.Second)
	f.StartURL()
	h.release <- 2 * time.Second // the first hold is over, the second is not
	if d := h.awaitHold(t); d != 3*time.Second {
		t.Errorf("held again for %v, want 3s", d)
	}
	h.release <- 3 * time.Second
	if err := <-done; err != nil || b.Last().Status != 200 {
		t.Fatalf("browser: %v %d", err, b.Last().Status)
	}
	if _, err := waitFlow(t, f); err != nil {
		t.Fatal(err)
	}
}

// A clock that nobody advances (a fake Now with the real Sleep) holds the
// code once, not forever.
func TestStartURLHoldWithStoppedClock(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	c := signInClient(iss)
	c.Now = newClock().Now
	f := startFlow(t, c, oauthflow.SignInOptions{Hold: 20 * time.Millisecond})
	var b oauthtest.Browser
	if err := b.Open(f.StartURL()); err != nil || b.Last().Status != 200 {
		t.Fatalf("browser: %v %d", err, b.Last().Status)
	}
	if _, err := waitFlow(t, f); err != nil {
		t.Fatal(err)
	}
}
