package oauthflow_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
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

// clock is a settable clock shared by a client and an issuer.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func startIssuer(t *testing.T, opts oauthtest.Options) *oauthtest.Issuer {
	t.Helper()
	iss, err := oauthtest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	return iss
}

func newClient(iss *oauthtest.Issuer, clk *clock) *oauthflow.Client {
	return &oauthflow.Client{
		ClientID: oauthtest.DefaultClientID,
		Endpoint: iss.Endpoint(),
		Now:      clk.Now,
	}
}

// assertNoSecrets fails if s contains any token the issuer handed out or
// any of extra.
func assertNoSecrets(t *testing.T, iss *oauthtest.Issuer, s string, extra ...string) {
	t.Helper()
	for _, sec := range append(iss.IssuedSecrets(), extra...) {
		if sec != "" && strings.Contains(s, sec) {
			t.Fatalf("output contains a secret: %q", s)
		}
	}
}

func asError(t *testing.T, err error) *oauthflow.Error {
	t.Helper()
	var oe *oauthflow.Error
	if !errors.As(err, &oe) {
		t.Fatalf("error %v (%T) is not *oauthflow.Error", err, err)
	}
	return oe
}

func TestRefreshRotation(t *testing.T) {
	for _, enc := range []oauthflow.BodyEncoding{"", oauthflow.BodyForm, oauthflow.BodyJSON} {
		t.Run(string(enc)+"body", func(t *testing.T) {
			clk := newClock()
			iss := startIssuer(t, oauthtest.Options{Now: clk.Now, AccessTTL: 2 * time.Hour})
			first := iss.Mint(oauthtest.DefaultClientID, "openid profile")
			c := newClient(iss, clk)
			c.TokenBody = enc

			clk.Advance(90 * time.Minute)
			tok, err := c.Refresh(context.Background(), first.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			now := clk.Now()
			switch {
			case tok.AccessToken.IsZero() || tok.AccessToken == first.AccessToken:
				t.Error("no new access token")
			case tok.RefreshToken.IsZero() || tok.RefreshToken == first.RefreshToken:
				t.Error("refresh token not rotated")
			case tok.IDToken.IsZero():
				t.Error("no ID token for scope openid")
			case !iss.Valid(tok.AccessToken.Reveal()):
				t.Error("issuer does not accept the new access token")
			}
			if tok.TokenType != "Bearer" || tok.Scope != "openid profile" {
				t.Errorf("TokenType, Scope = %q, %q", tok.TokenType, tok.Scope)
			}
			if !tok.Expiry.Equal(now.Add(2*time.Hour)) || !tok.ObtainedAt.Equal(now) || !tok.RefreshExpiry.IsZero() {
				t.Errorf("Expiry %v ObtainedAt %v RefreshExpiry %v; now %v", tok.Expiry, tok.ObtainedAt, tok.RefreshExpiry, now)
			}

			reqs := iss.Requests()
			if len(reqs) != 1 {
				t.Fatalf("issuer saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			wantCT := "application/x-www-form-urlencoded"
			if enc == oauthflow.BodyJSON {
				wantCT = "application/json"
			}
			if r.ContentType != wantCT || r.Accept != "application/json" || r.UserAgent != "tokentray/"+oauthflow.Version {
				t.Errorf("headers: Content-Type %q Accept %q User-Agent %q", r.ContentType, r.Accept, r.UserAgent)
			}
			if r.Params["grant_type"] != "refresh_token" || r.Params["client_id"] != oauthtest.DefaultClientID || r.Params["refresh_token"] == "" {
				t.Errorf("params %v", r.Params)
			}
			for _, k := range []string{"scope", "client_secret"} {
				if _, ok := r.Params[k]; ok {
					t.Errorf("request sent %s", k)
				}
			}

			// The rotated token is dead, and replaying it kills the login.
			_, err = c.Refresh(context.Background(), first.RefreshToken)
			oe := asError(t, err)
			if oe.StatusCode != 400 || oe.Code != "invalid_grant" || oauthflow.Classify(err) != oauthflow.Terminal {
				t.Errorf("replay: %v, class %v", err, oauthflow.Classify(err))
			}
			if _, err := c.Refresh(context.Background(), tok.RefreshToken); oauthflow.Classify(err) != oauthflow.Terminal {
				t.Errorf("refresh after family revocation: %v", err)
			}
			if iss.Valid(tok.AccessToken.Reveal()) {
				t.Error("access token still valid after family revocation")
			}
			st := iss.Stats()
			if st.ReuseDetected != 1 || st.FamiliesRevoked != 1 || st.Succeeded != 1 || st.Rejected != 2 {
				t.Errorf("stats %+v", st)
			}
			assertNoSecrets(t, iss, fmt.Sprintf("%v %+v %#v %s", err, err, err, err))
		})
	}
}

func TestRefreshChain(t *testing.T) {
	clk := newClock()
	iss := startIssuer(t, oauthtest.Options{Now: clk.Now})
	c := newClient(iss, clk)
	rt := iss.Mint(oauthtest.DefaultClientID, "").RefreshToken
	for n := range 5 {
		tok, err := c.Refresh(context.Background(), rt)
		if err != nil {
			t.Fatalf("refresh %d: %v", n, err)
		}
		rt = tok.RefreshToken
		clk.Advance(time.Hour)
	}
	if st := iss.Stats(); st.Succeeded != 5 || st.Refreshes != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestRefreshWithoutRotationKeepsToken(t *testing.T) {
	clk := newClock()
	iss := startIssuer(t, oauthtest.Options{Now: clk.Now, NoRotation: true})
	first := iss.Mint(oauthtest.DefaultClientID, "")
	c := newClient(iss, clk)
	for range 3 {
		tok, err := c.Refresh(context.Background(), first.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		if tok.RefreshToken != first.RefreshToken {
			t.Fatal("refresh token changed although the server sent none")
		}
	}
}

func TestRefreshExpiresVariants(t *testing.T) {
	tests := []struct {
		name                  string
		opts                  oauthtest.Options
		wantExpiry, wantLogin time.Duration // 0: zero time
	}{
		{"numbers", oauthtest.Options{AccessTTL: 8 * time.Hour, RefreshTTL: 30 * 24 * time.Hour}, 8 * time.Hour, 30*24*time.Hour - time.Hour},
		{"strings", oauthtest.Options{AccessTTL: time.Hour, RefreshTTL: 48 * time.Hour, StringNumbers: true}, time.Hour, 47 * time.Hour},
		{"no expires_in", oauthtest.Options{AccessTTL: -1}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			tt.opts.Now = clk.Now
			iss := startIssuer(t, tt.opts)
			first := iss.Mint(oauthtest.DefaultClientID, "")
			clk.Advance(time.Hour)
			tok, err := newClient(iss, clk).Refresh(context.Background(), first.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			now := clk.Now()
			check := func(what string, got time.Time, want time.Duration) {
				if want == 0 && !got.IsZero() || want != 0 && !got.Equal(now.Add(want)) {
					t.Errorf("%s = %v, want now+%v", what, got, want)
				}
			}
			check("Expiry", tok.Expiry, tt.wantExpiry)
			check("RefreshExpiry", tok.RefreshExpiry, tt.wantLogin)
		})
	}
}

func TestRefreshLoginExpires(t *testing.T) {
	clk := newClock()
	iss := startIssuer(t, oauthtest.Options{Now: clk.Now, RefreshTTL: 24 * time.Hour})
	c := newClient(iss, clk)
	tok := iss.Mint(oauthtest.DefaultClientID, "")
	clk.Advance(23 * time.Hour)
	tok2, err := c.Refresh(context.Background(), tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if !tok2.RefreshExpiry.Equal(tok.RefreshExpiry) {
		t.Errorf("login expiry moved: %v -> %v", tok.RefreshExpiry, tok2.RefreshExpiry)
	}
	clk.Advance(time.Hour)
	_, err = c.Refresh(context.Background(), tok2.RefreshToken)
	if oe := asError(t, err); oe.Code != "invalid_grant" || oauthflow.Classify(err) != oauthflow.Terminal {
		t.Errorf("expired login: %v", err)
	}
}

// TestRefreshResponseShapes covers responses the fake issuer does not
// produce, from a loopback server that answers with fixed bodies.
func TestRefreshResponseShapes(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantExpiry time.Duration
		wantScope  string
		wantErr    bool
	}{
		{"padded string", `{"access_token":"at1","expires_in":" 600 "}`, 600 * time.Second, "", false},
		{"float", `{"access_token":"at1","expires_in":599.7}`, 600 * time.Second, "", false},
		{"garbage expires_in kept token", `{"access_token":"at1","expires_in":"soon","scope":["a","b"]}`, 0, "a b", false},
		{"negative", `{"access_token":"at1","expires_in":-3}`, 0, "", false},
		{"no access_token", `{"token_type":"Bearer","expires_in":60}`, 0, "", true},
		{"access_token not a string", `{"access_token":42}`, 0, "", true},
		{"array", `[{"access_token":"at1"}]`, 0, "", true},
		{"null", `null`, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			clk := newClock()
			c := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{TokenURL: srv.URL}, Now: clk.Now}
			tok, err := c.Refresh(context.Background(), "rt-old")
			if tt.wantErr {
				if err == nil || oauthflow.Classify(err) != oauthflow.Transient {
					t.Fatalf("err = %v, want a transient error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken.Reveal() != "at1" || tok.RefreshToken.Reveal() != "rt-old" || tok.Scope != tt.wantScope {
				t.Errorf("token %+v", tok)
			}
			if tt.wantExpiry == 0 && !tok.Expiry.IsZero() || tt.wantExpiry != 0 && !tok.Expiry.Equal(clk.Now().Add(tt.wantExpiry)) {
				t.Errorf("Expiry = %v, want now+%v", tok.Expiry, tt.wantExpiry)
			}
		})
	}
}

func TestRefreshClientSecret(t *testing.T) {
	clk := newClock()
	iss := startIssuer(t, oauthtest.Options{Now: clk.Now, Clients: []oauthtest.ClientReg{
		{ID: "conf", Secret: "s3cret-value"},
		{ID: "pub"},
	}})
	conf := newClient(iss, clk)
	conf.ClientID = "conf"
	conf.ClientSecret = "s3cret-value"
	tok := iss.Mint("conf", "")
	if _, err := conf.Refresh(context.Background(), tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if v, ok := iss.Requests()[0].Params["client_secret"]; !ok || v != "[redacted]" {
		t.Errorf("client_secret not sent")
	}

	conf.ClientSecret = "wrong-secret"
	_, err := conf.Refresh(context.Background(), iss.Mint("conf", "").RefreshToken)
	oe := asError(t, err)
	if oe.StatusCode != 401 || oe.Code != "invalid_client" || oauthflow.Classify(err) != oauthflow.Terminal {
		t.Errorf("wrong secret: %v", err)
	}
	assertNoSecrets(t, iss, err.Error(), "wrong-secret", "s3cret-value")

	pub := newClient(iss, clk)
	pub.ClientID = "pub"
	if _, err := pub.Refresh(context.Background(), iss.Mint("pub", "").RefreshToken); err != nil {
		t.Fatal(err)
	}
	reqs := iss.Requests()
	if _, ok := reqs[len(reqs)-1].Params["client_secret"]; ok {
		t.Error("public client sent client_secret")
	}

	// A refresh token belongs to the client it was issued to.
	_, err = pub.Refresh(context.Background(), iss.Mint("conf", "").RefreshToken)
	if oe := asError(t, err); oe.Code != "invalid_grant" {
		t.Errorf("cross-client refresh: %v", err)
	}
}

func TestRefreshFaults(t *testing.T) {
	clk := newClock()
	iss := startIssuer(t, oauthtest.Options{Now: clk.Now})
	c := newClient(iss, clk)
	c.HTTPClient = &http.Client{Timeout: 500 * time.Millisecond}
	rt := iss.Mint(oauthtest.DefaultClientID, "").RefreshToken
	retryDate := clk.Now().Add(45 * time.Second).UTC().Format(http.TimeFormat)

	tests := []struct {
		fault      oauthtest.Fault
		class      oauthflow.Class
		status     int
		code       string
		retryAfter time.Duration
		check      func(error) bool
	}{
		{fault: oauthtest.Fault{Kind: oauthtest.ServerError, RetryAfter: "7"}, class: oauthflow.Transient, status: 503, code: "temporarily_unavailable", retryAfter: 7 * time.Second},
		{fault: oauthtest.Fault{Kind: oauthtest.RateLimited}, class: oauthflow.Transient, status: 429, code: "rate_limit_exceeded", retryAfter: time.Second},
		{fault: oauthtest.Fault{Kind: oauthtest.RateLimited, RetryAfter: retryDate}, class: oauthflow.Transient, status: 429, code: "rate_limit_exceeded", retryAfter: 45 * time.Second},
		{fault: oauthtest.Fault{Kind: oauthtest.RateLimited, RetryAfter: "later"}, class: oauthflow.Transient, status: 429, code: "rate_limit_exceeded"},
		{fault: oauthtest.Fault{Kind: oauthtest.MalformedJSON}, class: oauthflow.Transient, status: 200},
		{fault: oauthtest.Fault{Kind: oauthtest.HTMLError}, class: oauthflow.Transient, status: 502},
		{fault: oauthtest.Fault{Kind: oauthtest.InvalidGrant}, class: oauthflow.Terminal, status: 400, code: "invalid_grant"},
		// EOF on Unix; Windows may report a reset instead.
		{fault: oauthtest.Fault{Kind: oauthtest.DropConnection}, class: oauthflow.Transient},
		{fault: oauthtest.Fault{Kind: oauthtest.Slow, Delay: 3 * time.Second}, class: oauthflow.Transient,
			check: func(err error) bool { var ne net.Error; return errors.As(err, &ne) && ne.Timeout() }},
		{fault: oauthtest.Fault{Kind: oauthtest.Oversize}, class: oauthflow.Transient, status: 200,
			check: func(err error) bool { return errors.Is(err, oauthflow.ErrResponseTooLarge) }},
	}
	for _, tt := range tests {
		name := tt.fault.Kind.String()
		if tt.fault.RetryAfter != "" {
			name += "/" + tt.fault.RetryAfter
		}
		t.Run(name, func(t *testing.T) {
			iss.Inject(tt.fault)
			_, err := c.Refresh(context.Background(), rt)
			if err == nil {
				t.Fatal("no error")
			}
			oe := asError(t, err)
			if got := oauthflow.Classify(err); got != tt.class {
				t.Errorf("Classify(%v) = %v, want %v", err, got, tt.class)
			}
			if oe.StatusCode != tt.status || oe.Code != tt.code || oe.RetryAfter != tt.retryAfter {
				t.Errorf("got status %d code %q RetryAfter %v; want %d %q %v (%v)", oe.StatusCode, oe.Code, oe.RetryAfter, tt.status, tt.code, tt.retryAfter, err)
			}
			if tt.check != nil && !tt.check(err) {
				t.Errorf("unexpected error chain: %v", err)
			}
			assertNoSecrets(t, iss, err.Error(), rt.Reveal())
			// A fault rotates nothing: the refresh token still works.
			tok, err := c.Refresh(context.Background(), rt)
			if err != nil {
				t.Fatalf("refresh after fault: %v", err)
			}
			rt = tok.RefreshToken
		})
	}
}

func TestRefreshFailAll(t *testing.T) {
	clk := newClock()
	iss := startIssuer(t, oauthtest.Options{Now: clk.Now})
	c := newClient(iss, clk)
	rt := iss.Mint(oauthtest.DefaultClientID, "").RefreshToken
	iss.FailAll(oauthtest.Fault{Kind: oauthtest.ServerError})
	for range 3 {
		if _, err := c.Refresh(context.Background(), rt); asError(t, err).StatusCode != 503 {
			t.Fatalf("FailAll: %v", err)
		}
	}
	iss.ClearFaults()
	if _, err := c.Refresh(context.Background(), rt); err != nil {
		t.Fatal(err)
	}
}

func TestRefreshCanceled(t *testing.T) {
	clk := newClock()
	iss := startIssuer(t, oauthtest.Options{Now: clk.Now})
	c := newClient(iss, clk)
	rt := iss.Mint(oauthtest.DefaultClientID, "").RefreshToken
	iss.Inject(oauthtest.Fault{Kind: oauthtest.Slow, Delay: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Refresh(ctx, rt)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("cancellation did not stop the request")
	}
	// The request was abandoned before the server processed it.
	if _, err := c.Refresh(context.Background(), rt); err != nil {
		t.Fatal(err)
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	iss.Inject(oauthtest.Fault{Kind: oauthtest.Slow, Delay: 10 * time.Second})
	_, err = c.Refresh(ctx, iss.Mint(oauthtest.DefaultClientID, "").RefreshToken)
	if !errors.Is(err, context.DeadlineExceeded) || oauthflow.Classify(err) != oauthflow.Transient {
		t.Fatalf("err = %v, want a transient context.DeadlineExceeded", err)
	}
}

func TestRefreshTransportErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{TokenURL: "http://" + addr + "/token"}}
	_, err = c.Refresh(context.Background(), "rt")
	if oe := asError(t, err); oe.StatusCode != 0 || oauthflow.Classify(err) != oauthflow.Transient {
		t.Errorf("connection refused: %v, class %v", err, oauthflow.Classify(err))
	}
	// In words: the server and why, not Go's transport text.
	if want := "refresh failed: cannot reach http://" + addr + ": connection refused"; err.Error() != want {
		t.Errorf("connection refused says %q, want %q", err, want)
	}
	// A discovery of an issuer that does not answer, the same.
	d := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{Issuer: "http://" + addr}}
	if err := d.Discover(context.Background()); err == nil || !strings.HasSuffix(err.Error(), "cannot reach http://"+addr+": connection refused") ||
		strings.Contains(err.Error(), "dial") || strings.Contains(err.Error(), "well-known") {
		t.Errorf("discovery of a closed port says %v", err)
	}
	// An unknown host names the host.
	u := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{TokenURL: "https://tokentray-test.invalid/token"}}
	if _, err := u.Refresh(context.Background(), "rt"); err == nil || !strings.Contains(err.Error(), "cannot reach https://tokentray-test.invalid: ") ||
		strings.Contains(err.Error(), "dial") || strings.Contains(err.Error(), "lookup") {
		t.Errorf("unknown host says %v", err)
	}

	_, err = c.Refresh(context.Background(), "")
	if !errors.Is(err, oauthflow.ErrNoRefreshToken) || oauthflow.Classify(err) != oauthflow.Terminal {
		t.Errorf("empty refresh token: %v", err)
	}
}

func TestRefreshRequiresHTTPS(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	// A client whose transport would reach the test server whatever the URL
	// says, so only the URL check can stop the request.
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", srv.Listener.Addr().String())
	}}}
	for _, u := range []string{"http://auth.example.com/token", "http://192.0.2.1/token", "ftp://127.0.0.1/token"} {
		c := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{TokenURL: u}, HTTPClient: hc}
		_, err := c.Refresh(context.Background(), "rt-secret-value")
		if !errors.Is(err, oauthflow.ErrInsecureURL) || oauthflow.Classify(err) != oauthflow.Terminal {
			t.Errorf("%s: %v", u, err)
		}
		if err != nil && strings.Contains(err.Error(), "rt-secret-value") {
			t.Errorf("error leaks the token: %v", err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests were sent to insecure URLs", n)
	}
	// The same transport is fine for a loopback http URL.
	c := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{TokenURL: srv.URL}, HTTPClient: hc}
	c.Refresh(context.Background(), "rt")
	if n := hits.Load(); n != 1 {
		t.Errorf("loopback request not sent (hits = %d)", n)
	}
}

func TestRefreshDoesNotFollowRedirects(t *testing.T) {
	var leaked atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { leaked.Store(true) }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/token", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{TokenURL: srv.URL}, HTTPClient: &http.Client{}}
	_, err := c.Refresh(context.Background(), "rt")
	if oe := asError(t, err); oe.StatusCode != http.StatusTemporaryRedirect || oauthflow.Classify(err) != oauthflow.Transient {
		t.Errorf("redirect: %v", err)
	}
	if leaked.Load() {
		t.Error("request (with the refresh token) was re-sent to the redirect target")
	}
}

// TestRefreshErrorScrubsEcho checks that a server echoing the credentials
// in its error does not put them into the error message.
func TestRefreshErrorScrubsEcho(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"token %s (secret %s) is not valid %s","refresh_token":%q}`,
			r.PostForm.Get("refresh_token"), r.PostForm.Get("client_secret"), strings.Repeat("x", 500), r.PostForm.Get("refresh_token"))
	}))
	defer srv.Close()
	c := &oauthflow.Client{ClientID: "c", ClientSecret: "cs-9f8e7d", Endpoint: oauthflow.Endpoint{TokenURL: srv.URL}}
	_, err := c.Refresh(context.Background(), "rt-1a2b3c4d")
	oe := asError(t, err)
	msg := fmt.Sprintf("%v|%+v|%#v|%s", err, oe, oe, oe.Description)
	if strings.Contains(msg, "rt-1a2b3c4d") || strings.Contains(msg, "cs-9f8e7d") {
		t.Fatalf("error leaks a credential: %s", msg)
	}
	if !strings.HasPrefix(oe.Description, "token [redacted] (secret [redacted]) is not valid") || len([]rune(oe.Description)) > 1001 {
		t.Errorf("Description = %q", oe.Description)
	}
}

// TestRefreshErrorLongDescription: the useful part of a long description
// (Hydra puts it after a generic sentence) survives, up to 1,000
// characters, with control characters removed and echoed tokens scrubbed.
func TestRefreshErrorLongDescription(t *testing.T) {
	generic := "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
	useful := "The refresh token was already used."
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		desc := generic + ` \u001b[2J\r\nlevel=INFO ` + useful + " token " + r.PostForm.Get("refresh_token") + " " + strings.Repeat("z", 2000)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"%s"}`, desc)
	}))
	defer srv.Close()
	c := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{TokenURL: srv.URL}}
	_, err := c.Refresh(context.Background(), "rt-5e6f7a8b")
	oe := asError(t, err)
	msg := err.Error()
	if !strings.Contains(msg, useful) {
		t.Errorf("the useful part was cut: %q", msg)
	}
	if strings.ContainsAny(msg, "\x1b\r\n") || strings.Contains(msg, "rt-5e6f7a8b") {
		t.Errorf("control characters or the token kept: %q", msg)
	}
	if n := len([]rune(oe.Description)); n > 1001 || n < 1000 {
		t.Errorf("description has %d runes, want 1,000 plus the ellipsis", n)
	}
}

// TestRefreshErrorObject covers {"error":{...}} bodies some APIs send.
func TestRefreshErrorObject(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"code":"invalid_grant","message":"Refresh token has expired"}}`)
	}))
	defer srv.Close()
	c := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{TokenURL: srv.URL}, TokenBody: oauthflow.BodyJSON}
	_, err := c.Refresh(context.Background(), "rt")
	if got, want := err.Error(), "refresh failed: 401 invalid_grant: Refresh token has expired"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestRefreshConcurrentReplayRevokes(t *testing.T) {
	// Two refreshers holding the same refresh token: one wins, the other's
	// replay revokes the login. This is the failure the keepalive engine
	// must prevent by never refreshing one account twice at once.
	clk := newClock()
	iss := startIssuer(t, oauthtest.Options{Now: clk.Now})
	c := newClient(iss, clk)
	rt := iss.Mint(oauthtest.DefaultClientID, "").RefreshToken
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for n := range errs {
		wg.Go(func() { _, errs[n] = c.Refresh(context.Background(), rt) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if oauthflow.Classify(err) != oauthflow.Terminal {
			t.Errorf("loser: %v", err)
		}
	}
	if st := iss.Stats(); ok != 1 || st.ReuseDetected != 3 || st.FamiliesRevoked != 1 {
		t.Errorf("%d succeeded, stats %+v", ok, st)
	}
}
