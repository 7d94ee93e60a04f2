package keepalive

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

func noHold(_ *rig, _ *oauthtest.Options, acc *OwnedAccount, _ *Options) { acc.SignIn.Hold = -1 }

// A program that opened the browser's sign-in link first: the browser's
// own visit cancels the sign-in, and the stored login is left alone.
func TestSignInInterceptedStoresNothing(t *testing.T) {
	r := newRig(t, noHold)
	before, err := r.store.Load("work")
	if err != nil {
		t.Fatal(err)
	}
	var page oauthtest.Page
	ui := SignInUI{Open: func(url string) error {
		if !strings.Contains(url, "/tokentray-start/") {
			t.Errorf("the browser got %q, not a start URL", url)
		}
		racer := &oauthtest.Browser{NoFollow: true}
		racer.Open(url)
		var b oauthtest.Browser
		b.Open(url)
		page = b.Last()
		return nil
	}}
	err = r.eng.SignInWith(context.Background(), "work", ui)
	if !errors.Is(err, oauthflow.ErrSignInIntercepted) {
		t.Fatalf("sign-in: %v, want ErrSignInIntercepted", err)
	}
	if !strings.Contains(page.Body, "Another program opened your sign-in link; sign-in cancelled") {
		t.Errorf("browser page %q", page.Body)
	}
	after, err := r.store.Load("work")
	if err != nil || after.AccessToken != before.AccessToken || after.RefreshToken != before.RefreshToken {
		t.Errorf("the stored login changed: %v", err)
	}
	if st := r.iss.Stats(); st.CodeExchanges != 0 {
		t.Errorf("stats %+v", st)
	}
}

// The printed fallback link is its own one-time URL: the user may click
// it although the browser has opened its own.
func TestSignInPrintedLinkIsItsOwn(t *testing.T) {
	r := newRig(t, noHold)
	var printed, opened string
	ui := SignInUI{
		Print: func(url string) {
			printed = url
			(&oauthtest.Browser{}).Open(url) // the user clicks the printed link
		},
		Open: func(url string) error { opened = url; return nil },
	}
	if err := r.eng.SignInWith(context.Background(), "work", ui); err != nil {
		t.Fatal(err)
	}
	if printed == opened || !strings.Contains(printed, "/tokentray-start/") || !strings.Contains(opened, "/tokentray-start/") {
		t.Errorf("printed %q, opened %q", printed, opened)
	}
	if st := r.iss.Stats(); st.CodeExchanges != 1 {
		t.Errorf("stats %+v", st)
	}
}
