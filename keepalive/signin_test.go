package keepalive

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

func TestSignInEndsFailureEpisode(t *testing.T) {
	r := newRig(t, func(_ *rig, io *oauthtest.Options, _ *OwnedAccount, _ *Options) {
		io.User = oauthtest.User{Email: "dev@example.com"}
	})
	r.client.Scopes = []string{"openid", "offline_access"}
	r.iss.RevokeAll()
	if _, _, err := r.eng.Refresh(context.Background(), "work", true); err == nil {
		t.Fatal("refresh of a revoked login succeeded")
	}
	if a := r.account(); a.State != NeedsSignIn || a.Attempt != 1 {
		t.Fatalf("after revocation: %+v", a)
	}
	browser := &oauthtest.Browser{}
	if err := r.eng.SignInWith(context.Background(), "work", SignInUI{Open: browser.Open}); err != nil {
		t.Fatalf("sign-in: %v (browser saw %+v)", err, browser.Last())
	}
	a := r.account()
	if a.State != OK || a.Attempt != 0 || a.LastError != "" || a.User != "dev@example.com" {
		t.Fatalf("after sign-in: %+v", a)
	}
	rec, err := r.store.Load("work")
	if err != nil || !r.iss.Valid(rec.AccessToken.Reveal()) {
		t.Fatalf("stored login invalid: %v", err)
	}
	// Windows has no Unix permission bits (Go reports 0666).
	if st, _ := os.Stat(r.store.Path("work")); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v", st.Mode().Perm())
	}
	// The new login refreshes normally.
	if _, _, err := r.eng.Refresh(context.Background(), "work", true); err != nil {
		t.Errorf("refresh after sign-in: %v", err)
	}
}

func TestSignInOfAccountNeverSignedIn(t *testing.T) {
	r := newRig(t)
	if err := r.store.Delete(context.Background(), "work"); err != nil {
		t.Fatal(err)
	}
	r.eng.Refresh(context.Background(), "work", false)
	if a := r.account(); a.State != NeedsSignIn || a.Reason != "not signed in" {
		t.Fatalf("without a login: %+v", a)
	}
	if err := r.eng.SignInWith(context.Background(), "work", SignInUI{Open: (&oauthtest.Browser{}).Open}); err != nil {
		t.Fatal(err)
	}
	if a := r.account(); a.State != OK {
		t.Fatalf("after sign-in: %+v", a)
	}
}

// A second Sign In while one is open shows the sign-in again instead of
// starting a competing flow.
func TestSignInInProgressReopensSameURL(t *testing.T) {
	r := newRig(t)
	var mu sync.Mutex
	var opened []string
	first := make(chan string, 1)
	record := func(url string) error {
		mu.Lock()
		defer mu.Unlock()
		opened = append(opened, url)
		if len(opened) == 1 {
			first <- url
		}
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- r.eng.SignInWith(context.Background(), "work", SignInUI{Open: record}) }()
	url := <-first
	err := r.eng.SignInWith(context.Background(), "work", SignInUI{Open: record})
	if !errors.Is(err, ErrSignInInProgress) {
		t.Fatalf("second sign-in: %v", err)
	}
	mu.Lock()
	// Each opening gets its own one-time start URL (a start URL visited
	// twice cancels the sign-in), both leading to the same request.
	if len(opened) != 2 || opened[1] == url || !strings.Contains(opened[1], "/tokentray-start/") {
		t.Errorf("opened %v, want two one-time start URLs", opened)
	}
	mu.Unlock()
	if err := (&oauthtest.Browser{}).Open(url); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("first sign-in: %v", err)
	}
	if s := r.iss.Stats(); s.Authorizations != 1 || s.CodeExchanges != 1 {
		t.Errorf("issuer stats %+v", s)
	}
}

func TestSignInDeniedKeepsState(t *testing.T) {
	r := newRig(t)
	r.iss.SetConsent(oauthtest.Consent{Error: "access_denied"})
	err := r.eng.SignInWith(context.Background(), "work", SignInUI{Open: (&oauthtest.Browser{}).Open})
	if err == nil {
		t.Fatal("denied sign-in succeeded")
	}
	if a := r.account(); a.State != OK {
		t.Errorf("a denied sign-in changed the existing login: %+v", a)
	}
}

func TestSignOutRevokesAndForgets(t *testing.T) {
	r := newRig(t)
	revokeErr, err := r.eng.SignOut(context.Background(), "work")
	if err != nil || revokeErr != nil {
		t.Fatalf("SignOut: %v / %v", err, revokeErr)
	}
	// Signed out on purpose: its own state, no alarm, no episode.
	if a := r.account(); a.State != SignedOut || a.Episode.Open() || r.eng.Snapshot().Overall() != AllOK || r.eng.Snapshot().SignInTarget != "work" {
		t.Errorf("after sign-out: %+v", a)
	}
	// Another process (a later status or token) agrees.
	e2 := New(Options{Store: r.store, Clock: r.clock}, []OwnedAccount{{Name: "work", Client: r.client}})
	if a, _ := e2.Snapshot().Find("work"); a.State != SignedOut {
		t.Errorf("another process sees %+v", a)
	}
	if _, err := os.Stat(r.store.Path("work")); !os.IsNotExist(err) {
		t.Errorf("token file still there: %v", err)
	}
	if s := r.iss.Stats(); s.Revocations != 1 {
		t.Errorf("revocations = %d", s.Revocations)
	}
}

// When no browser can be opened the flow stays alive: Unopened gets the
// link, the account shows why in SignInError, and opening the link
// anywhere completes the sign-in and clears the error.
func TestSignInWithoutBrowserStaysAlive(t *testing.T) {
	r := newRig(t)
	links := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- r.eng.SignInWith(context.Background(), "work", SignInUI{
			Open:     func(string) error { return errors.New(`exec: "xdg-open": executable file not found in $PATH`) },
			Unopened: func(url string, err error) { links <- url },
		})
	}()
	url := <-links
	if a := r.account(); !strings.Contains(a.SignInError, "no browser could be opened") || strings.Contains(a.SignInError, "oauthflow") {
		t.Errorf("while the link waits: SignInError %q", a.SignInError)
	}
	if err := (&oauthtest.Browser{}).Open(url); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if a := r.account(); a.SignInError != "" || a.State != OK {
		t.Errorf("after the sign-in: %+v", a)
	}

	// Without Unopened (and Paste) the sign-in ends, and says why.
	err := r.eng.SignInWith(context.Background(), "work", SignInUI{Open: func(string) error { return errors.New("no opener") }})
	if err == nil || !strings.Contains(err.Error(), "no browser could be opened") {
		t.Fatalf("sign-in without a browser: %v", err)
	}
	if a := r.account(); !strings.Contains(a.SignInError, "no browser could be opened") {
		t.Errorf("SignInError %q", a.SignInError)
	}
}

// A failed sign-in is remembered in SignInError, in words without package
// names.
func TestSignInErrorRecorded(t *testing.T) {
	r := newRig(t)
	r.iss.SetConsent(oauthtest.Consent{Error: "access_denied"})
	if err := r.eng.SignInWith(context.Background(), "work", SignInUI{Open: (&oauthtest.Browser{}).Open}); err == nil {
		t.Fatal("denied sign-in succeeded")
	}
	if a := r.account(); a.SignInError != "sign-in was denied (access_denied)" {
		t.Errorf("SignInError %q", a.SignInError)
	}
}

// A device sign-in (sign_in = "device") shows its code, shows it again to
// a second request instead of starting another, and stores the login once
// the user approves.
func TestDeviceSignIn(t *testing.T) {
	r := newRig(t, func(r *rig, io *oauthtest.Options, acc *OwnedAccount, _ *Options) {
		acc.Device = true
		io.DeviceInterval = time.Second
	})
	r.client.Endpoint.DeviceAuthURL = r.iss.DeviceAuthorizationURL()
	r.client.Sleep = func(ctx context.Context, d time.Duration) error { r.clock.Jump(d); return ctx.Err() }
	shown := make(chan *DeviceAuthorization, 2)
	ui := SignInUI{Device: func(da *DeviceAuthorization) { shown <- da }}
	done := make(chan error, 1)
	go func() { done <- r.eng.SignInWith(context.Background(), "work", ui) }()
	da := <-shown
	if err := r.eng.SignInWith(context.Background(), "work", ui); !errors.Is(err, ErrSignInInProgress) {
		t.Fatalf("second sign-in: %v", err)
	}
	if again := <-shown; again.UserCode != da.UserCode {
		t.Errorf("shown again %q, want %q", again.UserCode, da.UserCode)
	}
	if err := r.iss.ApproveDevice(da.UserCode); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("device sign-in: %v", err)
	}
	if st := r.iss.Stats(); st.DeviceAuthorizations != 1 || st.DeviceGrants != 1 || st.Authorizations != 0 {
		t.Errorf("issuer stats %+v", st)
	}
	if a := r.account(); a.State != OK || a.SignInError != "" {
		t.Errorf("after the sign-in: %+v", a)
	}

	// A denial is remembered in words.
	go func() { done <- r.eng.SignInWith(context.Background(), "work", ui) }()
	da = <-shown
	r.iss.DenyDevice(da.UserCode)
	if err := <-done; !errors.Is(err, oauthflow.ErrDeviceDenied) {
		t.Fatalf("denied: %v", err)
	}
	if a := r.account(); !strings.Contains(a.SignInError, "denied") || strings.Contains(a.SignInError, "oauthflow") {
		t.Errorf("SignInError %q", a.SignInError)
	}
}
