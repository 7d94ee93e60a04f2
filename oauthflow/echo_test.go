package oauthflow_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

const echoSecret = "cs-0f1e2d3c4b5a6978"

// echoed matches what the EchoSecrets issuer puts after each value it
// repeats; every such value must reach the user as "[redacted]".
var echoed = regexp.MustCompile(`(?:sent|starting|issued) ([^ ,…()]+)|\(([^()]*)\)`)

// assertScrubbed checks one user-visible text of a failure caused by an
// issuer that echoes every secret: the echo arrived, and nothing of any
// credential, issued token or code, nor a 12-character piece of one, is in
// it.
func assertScrubbed(t *testing.T, iss *oauthtest.Issuer, what, text string, extra ...string) {
	t.Helper()
	at := strings.Index(text, oauthtest.EchoMarker)
	if at < 0 {
		t.Fatalf("%s: the echo did not reach the user, so the test proves nothing: %q", what, text)
	}
	echo, _, _ := strings.Cut(text[at:], "<") // the end of a page's <pre>
	for _, m := range echoed.FindAllStringSubmatch(echo, -1) {
		if v := m[1] + m[2]; v != "[redacted]" {
			t.Errorf("%s: %q was shown (in %q)", what, v, text)
		}
	}
	for _, s := range append(iss.IssuedSecrets(), append(extra, echoSecret)...) {
		if len(s) >= 12 && strings.Contains(text, s[:12]) {
			t.Errorf("%s shows (part of) a secret %q: %q", what, s, text)
		}
	}
}

func echoIssuer(t *testing.T, opts oauthtest.Options) *oauthtest.Issuer {
	opts.EchoSecrets = true
	opts.Clients = []oauthtest.ClientReg{{ID: "conf", Secret: echoSecret, RedirectURIs: oauthtest.DefaultRedirectURIs}}
	return startIssuer(t, opts)
}

func echoClient(iss *oauthtest.Issuer) *oauthflow.Client {
	return &oauthflow.Client{ClientID: "conf", ClientSecret: echoSecret, Endpoint: iss.Endpoint(),
		Scopes: []string{"openid", "offline_access"}}
}

// TestNoSecretInServerErrors: a server that repeats, in its error
// description, every credential of the request (as sent, encoded and
// shortened) and every token it issued puts none of them into an error or
// the sign-in page, on every path that shows server text.
func TestNoSecretInServerErrors(t *testing.T) {
	t.Run("refresh", func(t *testing.T) {
		iss := echoIssuer(t, oauthtest.Options{})
		rt := iss.Mint("conf", "offline_access").RefreshToken
		iss.Inject(oauthtest.Fault{Kind: oauthtest.InvalidGrant})
		_, err := echoClient(iss).Refresh(context.Background(), rt)
		assertScrubbed(t, iss, "refresh error", fmt.Sprintf("%v %+v", err, err), rt.Reveal())
	})
	t.Run("code exchange", func(t *testing.T) {
		iss := echoIssuer(t, oauthtest.Options{})
		iss.Mint("conf", "offline_access")
		f := startFlow(t, echoClient(iss), oauthflow.SignInOptions{})
		iss.Inject(oauthtest.Fault{Kind: oauthtest.InvalidGrant})
		b := &oauthtest.Browser{}
		b.Open(f.URL())
		_, err := waitFlow(t, f)
		assertScrubbed(t, iss, "exchange error", fmt.Sprint(err))
		assertScrubbed(t, iss, "page", b.Last().Body)
	})
	t.Run("callback error", func(t *testing.T) {
		iss := echoIssuer(t, oauthtest.Options{Consent: oauthtest.Consent{Error: "access_denied", ErrorDescription: "declined"}})
		iss.Mint("conf", "offline_access")
		f := startFlow(t, echoClient(iss), oauthflow.SignInOptions{})
		b := &oauthtest.Browser{}
		b.Open(f.URL())
		_, err := waitFlow(t, f)
		assertScrubbed(t, iss, "callback error", fmt.Sprint(err))
		assertScrubbed(t, iss, "page", b.Last().Body)
	})
	t.Run("device start", func(t *testing.T) {
		iss := echoIssuer(t, oauthtest.Options{})
		iss.Mint("conf", "offline_access")
		_, err := echoClient(iss).StartDevice(context.Background(), []string{"no-such-scope"})
		assertScrubbed(t, iss, "device start error", fmt.Sprint(err))
	})
	t.Run("device poll", func(t *testing.T) {
		clk := newClock()
		iss := echoIssuer(t, oauthtest.Options{Now: clk.Now})
		c := echoClient(iss)
		c.Now, c.Sleep = clk.Now, (&sleeper{clk: clk}).Sleep
		da := startDevice(t, c)
		if err := iss.DenyDevice(da.UserCode); err != nil {
			t.Fatal(err)
		}
		_, err := pollDevice(t, c, da)
		assertScrubbed(t, iss, "device poll error", fmt.Sprint(err))
	})
	t.Run("revocation", func(t *testing.T) {
		iss := echoIssuer(t, oauthtest.Options{})
		rt := iss.Mint("conf", "offline_access").RefreshToken
		c := echoClient(iss)
		c.ClientSecret = "cs-wrong-9a8b7c6d5e"
		err := c.Revoke(context.Background(), rt, "refresh_token")
		assertScrubbed(t, iss, "revocation error", fmt.Sprint(err), rt.Reveal(), "cs-wrong-9a8b7c6d5e")
	})
	t.Run("discovery", func(t *testing.T) {
		// Discovery sends no credential; the only server text it shows
		// is the metadata's issuer, which may be anything.
		leak := oauthtest.AccessTokenPrefix + rand.Text()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(map[string]string{"issuer": "issued " + leak, "token_endpoint": "http://127.0.0.1/t"})
		}))
		defer srv.Close()
		c := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{Issuer: srv.URL}}
		err := c.Discover(context.Background())
		if err == nil || strings.Contains(err.Error(), leak[:12]) || !strings.Contains(err.Error(), "issued [redacted]") {
			t.Errorf("discovery error %v", err)
		}
	})
}

// TestScrubKeepsProse: the token-like words scrubbing removes are not the
// words, URLs and trace IDs people need to understand an error.
func TestScrubKeepsProse(t *testing.T) {
	desc := "AADSTS700082: The refresh token has expired due to inactivity. See https://login.microsoftonline.com/common/oauth2/v2.0/token for client_secret_basic. Trace ID: 0e1c6a3b-2f4d-4e5a-9b8c-7d6e5f4a3b2c Timestamp: 2026-12-01 10:00:00Z"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": desc})
	}))
	defer srv.Close()
	c := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{TokenURL: srv.URL}}
	_, err := c.Refresh(context.Background(), "rt-0a1b2c3d4e5f")
	if oe := asError(t, err); oe.Description != desc {
		t.Errorf("Description = %q, want it unchanged", oe.Description)
	}
}
