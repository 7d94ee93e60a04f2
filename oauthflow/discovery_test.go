package oauthflow_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

func TestDiscoverySignInRefreshRevoke(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	issuerOnly := func() *oauthflow.Client {
		return &oauthflow.Client{
			ClientID: oauthtest.DefaultClientID,
			Scopes:   []string{"openid", "offline_access"},
			Endpoint: oauthflow.Endpoint{Issuer: iss.URL()},
		}
	}

	c := issuerOnly()
	f := startFlow(t, c, oauthflow.SignInOptions{})
	if !strings.HasPrefix(f.URL(), iss.AuthorizeURL()+"?") {
		t.Errorf("authorization URL %q", f.URL())
	}
	if c.Endpoint != (oauthflow.Endpoint{Issuer: iss.URL()}) {
		t.Errorf("StartSignIn modified the client: %+v", c.Endpoint)
	}
	b := &oauthtest.Browser{}
	b.Open(f.URL())
	tok, err := waitFlow(t, f)
	if err != nil {
		t.Fatal(err)
	}

	// A fresh client with only the issuer refreshes (discovery is cached
	// for the process: one metadata request in all).
	c = issuerOnly()
	next, err := c.Refresh(context.Background(), tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if !iss.Valid(next.AccessToken.Reveal()) {
		t.Error("refreshed token not valid")
	}
	if c.Endpoint.TokenURL != "" {
		t.Error("Refresh modified the client")
	}

	// Revoke discovers the revocation endpoint too.
	if err := issuerOnly().Revoke(context.Background(), next.RefreshToken, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	if iss.Valid(next.AccessToken.Reveal()) {
		t.Error("revocation did not end the login")
	}

	// Discover fills the client.
	if err := c.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := iss.Endpoint()
	if c.Endpoint != want {
		t.Errorf("Discover: %+v, want %+v", c.Endpoint, want)
	}
	if st := iss.Stats(); st.Discoveries != 1 || st.Revocations != 1 {
		t.Errorf("stats %+v", st)
	}

	// Explicit endpoints win over discovered ones.
	c = issuerOnly()
	c.Endpoint.AuthURL = iss.URL() + "/custom-authorize"
	if err := c.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Endpoint.AuthURL != iss.URL()+"/custom-authorize" || c.Endpoint.TokenURL != iss.TokenURL() {
		t.Errorf("Discover: %+v", c.Endpoint)
	}
	// Nothing to discover: no request, no change.
	c = signInClient(iss)
	c.Endpoint.RevocationURL = ""
	before := c.Endpoint
	if err := c.Discover(context.Background()); err != nil || c.Endpoint != before {
		t.Errorf("Discover with explicit endpoints: %v %+v", err, c.Endpoint)
	}
}

// metadataServer serves handler's metadata; the issuer is the server URL
// plus path.
func metadataServer(t *testing.T, handler func(issuer string, w http.ResponseWriter, r *http.Request)) (issuer string, hits *atomic.Int32) {
	t.Helper()
	hits = new(atomic.Int32)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		handler(srv.URL, w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, hits
}

func TestDiscoveryRFC8414Fallback(t *testing.T) {
	var paths []string
	var mu sync.Mutex
	base, _ := metadataServer(t, func(base string, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/.well-known/oauth-authorization-server/tenant" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"issuer":"` + base + `/tenant","authorization_endpoint":"` + base + `/a","token_endpoint":"` + base + `/t"}`))
	})
	c := &oauthflow.Client{ClientID: "x", Endpoint: oauthflow.Endpoint{Issuer: base + "/tenant"}}
	if err := c.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.Endpoint.AuthURL != base+"/a" || c.Endpoint.TokenURL != base+"/t" || c.Endpoint.IssParameterSupported {
		t.Errorf("endpoint %+v", c.Endpoint)
	}
	if len(paths) != 2 || paths[0] != "/tenant/.well-known/openid-configuration" {
		t.Errorf("paths %v", paths)
	}
}

func TestDiscoveryFailures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   int
		body     func(base string) string
		wantCode int
		terminal bool
		msg      string
	}{
		{"not found", http.StatusNotFound, nil, http.StatusNotFound, false, "404"},
		{"server error", http.StatusInternalServerError, nil, http.StatusInternalServerError, false, "500"},
		{"bad JSON", 200, func(string) string { return `{"issuer":` }, 0, false, "decoding metadata"},
		{"HTML", 200, func(string) string { return `<html>captive portal</html>` }, 0, false, "decoding metadata"},
		{"not metadata", 200, func(string) string { return `{}` }, 0, false, "not a metadata document"},
		{"issuer mismatch", 200, func(base string) string {
			return `{"issuer":"https://other.example","authorization_endpoint":"` + base + `/a","token_endpoint":"` + base + `/t"}`
		}, 0, true, "does not match"},
		{"no S256", 200, func(base string) string {
			return `{"issuer":"` + base + `","authorization_endpoint":"` + base + `/a","token_endpoint":"` + base + `/t","code_challenge_methods_supported":["plain"]}`
		}, 0, true, "S256"},
		{"no token endpoint", 200, func(base string) string {
			return `{"issuer":"` + base + `","authorization_endpoint":"` + base + `/a"}`
		}, 0, true, "token_endpoint"},
		{"insecure endpoint", 200, func(base string) string {
			return `{"issuer":"` + base + `","authorization_endpoint":"` + base + `/a","token_endpoint":"http://tokens.example/t"}`
		}, 0, true, "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var broken atomic.Bool
			broken.Store(true)
			issuer, hits := metadataServer(t, func(base string, w http.ResponseWriter, r *http.Request) {
				if !broken.Load() {
					w.Write([]byte(`{"issuer":"` + base + `","authorization_endpoint":"` + base + `/a","token_endpoint":"` + base + `/t"}`))
					return
				}
				if tc.body == nil {
					w.WriteHeader(tc.status)
					return
				}
				w.Write([]byte(tc.body(base)))
			})
			c := &oauthflow.Client{ClientID: "x", Endpoint: oauthflow.Endpoint{Issuer: issuer}}
			err := c.Discover(context.Background())
			oe := asError(t, err)
			if oe.Op != "discovery" || oe.StatusCode != tc.wantCode || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v (%+v)", err, oe)
			}
			if got := oauthflow.Classify(err) == oauthflow.Terminal; got != tc.terminal || got != errors.Is(err, oauthflow.ErrBadMetadata) {
				t.Errorf("Classify %v, ErrBadMetadata %v", oauthflow.Classify(err), errors.Is(err, oauthflow.ErrBadMetadata))
			}
			if c.Endpoint.TokenURL != "" {
				t.Error("failed discovery changed the client")
			}
			// StartSignIn and Refresh fail the same way.
			if _, err := c.StartSignIn(context.Background(), oauthflow.SignInOptions{}); asError(t, err).Op != "discovery" {
				t.Errorf("StartSignIn: %v", err)
			}
			if _, err := c.Refresh(context.Background(), "rt"); asError(t, err).Op != "discovery" {
				t.Errorf("Refresh: %v", err)
			}
			// Failures are not cached.
			broken.Store(false)
			n := hits.Load()
			if err := c.Discover(context.Background()); err != nil {
				t.Fatal(err)
			}
			if hits.Load() == n || c.Endpoint.TokenURL != issuer+"/t" {
				t.Errorf("after repair: %+v", c.Endpoint)
			}
		})
	}
}

func TestDiscoveryConcurrent(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: oauthflow.Endpoint{Issuer: iss.URL()}}
			if err := c.Discover(context.Background()); err != nil || c.Endpoint.TokenURL != iss.TokenURL() {
				t.Errorf("%v %+v", err, c.Endpoint)
			}
		}()
	}
	wg.Wait()
}

func TestRevoke(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	for _, enc := range []oauthflow.BodyEncoding{oauthflow.BodyForm, oauthflow.BodyJSON} {
		c := signInClient(iss)
		c.TokenBody = enc
		tok := iss.Mint(oauthtest.DefaultClientID, "")
		if err := c.Revoke(context.Background(), tok.RefreshToken, "refresh_token"); err != nil {
			t.Fatal(err)
		}
		if iss.Valid(tok.AccessToken.Reveal()) {
			t.Errorf("%s: login not revoked", enc)
		}
		_, err := c.Refresh(context.Background(), tok.RefreshToken)
		if oe := asError(t, err); oe.Code != "invalid_grant" {
			t.Errorf("refresh after revocation: %v", err)
		}
		// Revoking again, or an unknown token, is fine (RFC 7009 §2.2).
		if err := c.Revoke(context.Background(), tok.RefreshToken, ""); err != nil {
			t.Error(err)
		}
	}
	if st := iss.Stats(); st.Revocations != 2 {
		t.Errorf("stats %+v", st)
	}

	// No revocation endpoint: nothing to do.
	c := signInClient(iss)
	c.Endpoint.RevocationURL = ""
	n := iss.Stats().Revocations
	tok := iss.Mint(oauthtest.DefaultClientID, "")
	if err := c.Revoke(context.Background(), tok.RefreshToken, "refresh_token"); err != nil || iss.Stats().Revocations != n || !iss.Valid(tok.AccessToken.Reveal()) {
		t.Errorf("without endpoint: %v", err)
	}

	// Errors carry status and Retry-After, never the token.
	secret := "tt_rt_secret-refresh-token"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Retry-After", "7")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"error":"temporarily_unavailable","error_description":"cannot revoke ` + r.PostForm.Get("token") + `"}`))
	}))
	defer srv.Close()
	c = &oauthflow.Client{ClientID: "x", Endpoint: oauthflow.Endpoint{RevocationURL: srv.URL}}
	err := c.Revoke(context.Background(), oauthflow.Secret(secret), "refresh_token")
	oe := asError(t, err)
	if oe.Op != "revoke" || oe.StatusCode != 503 || oe.RetryAfter.Seconds() != 7 || oe.Code != "temporarily_unavailable" {
		t.Errorf("error %+v", oe)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error leaks the token: %v", err)
	}
}

// Discovered metadata is used for a day, then fetched again: a running
// instance follows a provider that moved its endpoints.
func TestDiscoveryCacheExpires(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	now := time.Now()
	c := &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: oauthflow.Endpoint{Issuer: iss.URL()},
		Now: func() time.Time { return now }}
	discover := func() {
		t.Helper()
		d := *c
		if err := d.Discover(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	discover()
	now = now.Add(23 * time.Hour)
	discover()
	if n := iss.Stats().Discoveries; n != 1 {
		t.Fatalf("%d metadata requests within a day, want 1", n)
	}
	now = now.Add(2 * time.Hour)
	discover()
	if n := iss.Stats().Discoveries; n != 2 {
		t.Errorf("%d metadata requests after a day, want 2", n)
	}
}
