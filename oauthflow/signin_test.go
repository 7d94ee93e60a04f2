package oauthflow_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// signInClient is a client of iss's default registration asking for an ID
// token and a refresh token.
func signInClient(iss *oauthtest.Issuer) *oauthflow.Client {
	return &oauthflow.Client{
		ClientID: oauthtest.DefaultClientID,
		Endpoint: iss.Endpoint(),
		Scopes:   []string{"openid", "offline_access"},
	}
}

func startFlow(t *testing.T, c *oauthflow.Client, opts oauthflow.SignInOptions) *oauthflow.Flow {
	t.Helper()
	f, err := c.StartSignIn(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// waitFlow waits for f with a safety deadline.
func waitFlow(t *testing.T, f *oauthflow.Flow) (*oauthflow.Token, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	tok, err := f.Wait(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("Wait did not return")
	}
	return tok, err
}

// asyncWait runs Wait in the background, so that tests can check that
// requests do not end the flow.
func asyncWait(f *oauthflow.Flow) (<-chan *oauthflow.Token, <-chan error) {
	toks, errs := make(chan *oauthflow.Token, 1), make(chan error, 1)
	go func() {
		tok, err := f.Wait(context.Background())
		toks <- tok
		errs <- err
	}()
	return toks, errs
}

// listenerAddr is the host:port the flow listens on.
func listenerAddr(t *testing.T, f *oauthflow.Flow) string {
	t.Helper()
	u, err := url.Parse(oauthflow.RedirectURI(f))
	if err != nil {
		t.Fatal(err)
	}
	host := u.Hostname()
	if host == "localhost" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, u.Port())
}

// assertClosed fails if something still accepts connections at addr.
func assertClosed(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("listener %s still accepts connections", addr)
	}
}

func assertOpen(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("listener %s is not accepting: %v", addr, err)
	}
	c.Close()
}

func TestSignInSuccess(t *testing.T) {
	for _, enc := range []oauthflow.BodyEncoding{oauthflow.BodyForm, oauthflow.BodyJSON} {
		t.Run(string(enc), func(t *testing.T) {
			iss := startIssuer(t, oauthtest.Options{
				User:       oauthtest.User{Subject: "u-42", Email: "ada@example.com"},
				RefreshTTL: 30 * 24 * time.Hour,
			})
			c := signInClient(iss)
			c.TokenBody = enc
			f := startFlow(t, c, oauthflow.SignInOptions{AuthParams: map[string]string{"prompt": "consent", "nonce": "n-123"}})

			// The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3).
			au, err := url.Parse(f.URL())
			if err != nil {
				t.Fatal(err)
			}
			q := au.Query()
			if au.Scheme+"://"+au.Host+au.Path != iss.AuthorizeURL() {
				t.Errorf("authorization URL %s", au.Redacted())
			}
			want := map[string]string{
				"response_type": "code", "client_id": oauthtest.DefaultClientID, "redirect_uri": oauthflow.RedirectURI(f),
				"scope": "openid offline_access", "code_challenge_method": "S256", "prompt": "consent", "nonce": "n-123",
			}
			for k, v := range want {
				if q.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, q.Get(k), v)
				}
			}
			if ch, err := base64.RawURLEncoding.DecodeString(q.Get("code_challenge")); err != nil || len(ch) != 32 {
				t.Errorf("code_challenge %q is not a base64url SHA-256", q.Get("code_challenge"))
			}
			if len(q.Get("state")) < 20 || q.Get("state") == q.Get("code_challenge") {
				t.Errorf("weak state %q", q.Get("state"))
			}
			if !strings.HasPrefix(oauthflow.RedirectURI(f), "http://127.0.0.1:") || !strings.HasSuffix(oauthflow.RedirectURI(f), "/callback") {
				t.Errorf("redirect URI %q", oauthflow.RedirectURI(f))
			}
			addr := listenerAddr(t, f)

			b := &oauthtest.Browser{}
			if err := b.Open(f.URL()); err != nil {
				t.Fatal(err)
			}
			tok, err := waitFlow(t, f)
			if err != nil {
				t.Fatal(err)
			}
			page := b.Last()
			if page.Status != http.StatusOK || !strings.Contains(page.Body, "Signed in") || !strings.Contains(page.Body, "close this tab") {
				t.Errorf("final page %d %q", page.Status, page.Body)
			}
			if !strings.HasPrefix(page.Redirect, oauthflow.RedirectURI(f)+"?") || page.URL != page.Redirect {
				t.Errorf("browser was redirected to %q, ended on %q", page.Redirect, page.URL)
			}
			if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP %q", csp)
			}
			assertNoSecrets(t, iss, page.Body)
			assertClosed(t, addr)

			if !iss.Valid(tok.AccessToken.Reveal()) || tok.RefreshToken.IsZero() || tok.IDToken.IsZero() {
				t.Fatalf("token %+v", tok)
			}
			if tok.Scope != "openid offline_access" || tok.Expiry.IsZero() || tok.RefreshExpiry.IsZero() {
				t.Errorf("token %+v", tok)
			}
			claims := idClaims(t, tok.IDToken.Reveal())
			if claims["sub"] != "u-42" || claims["email"] != "ada@example.com" || claims["nonce"] != "n-123" || claims["iss"] != iss.URL() {
				t.Errorf("id_token claims %v", claims)
			}

			reqs := iss.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d token requests", len(reqs))
			}
			p := reqs[0].Params
			if p["grant_type"] != "authorization_code" || p["redirect_uri"] != oauthflow.RedirectURI(f) ||
				p["code"] != "[redacted]" || p["code_verifier"] != "[redacted]" || p["client_id"] != oauthtest.DefaultClientID {
				t.Errorf("exchange request %v", p)
			}
			wantCT := map[oauthflow.BodyEncoding]string{oauthflow.BodyForm: "application/x-www-form-urlencoded", oauthflow.BodyJSON: "application/json"}[enc]
			if reqs[0].ContentType != wantCT {
				t.Errorf("content type %q", reqs[0].ContentType)
			}

			// The refresh token works and rotates.
			next, err := c.Refresh(context.Background(), tok.RefreshToken)
			if err != nil {
				t.Fatal(err)
			}
			if next.RefreshToken == tok.RefreshToken || !iss.Valid(next.AccessToken.Reveal()) {
				t.Errorf("refresh after sign-in: %+v", next)
			}
			st := iss.Stats()
			if st.AuthorizeRequests != 1 || st.Authorizations != 1 || st.CodeExchanges != 1 || st.Refreshes != 1 || st.Succeeded != 2 {
				t.Errorf("stats %+v", st)
			}

			// Wait may be called once.
			if _, err := f.Wait(context.Background()); err == nil {
				t.Error("second Wait succeeded")
			}
			if err := f.Paste("anything"); !errors.Is(err, oauthflow.ErrFlowFinished) {
				t.Errorf("Paste after the end: %v", err)
			}
		})
	}
}

func idClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSignInStrayRequestsKeepWaiting(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
	toks, errs := asyncWait(f)
	b := &oauthtest.Browser{}

	stray := []string{
		oauthflow.RedirectURI(f) + "?code=forged&state=wrong",
		oauthflow.RedirectURI(f) + "?code=forged",
		oauthflow.RedirectURI(f) + "?error=access_denied&state=wrong",
		oauthflow.RedirectURI(f) + "?error=access_denied",
		oauthflow.RedirectURI(f),
	}
	for _, u := range stray {
		if err := b.Open(u); err != nil {
			t.Fatal(err)
		}
		if p := b.Last(); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Not the sign-in in progress") {
			t.Errorf("%s: %d %q", u, p.Status, p.Body)
		}
	}
	// Other paths and methods.
	if err := b.Open(strings.TrimSuffix(oauthflow.RedirectURI(f), "/callback") + "/favicon.ico"); err != nil || b.Last().Status != http.StatusNotFound {
		t.Errorf("favicon: %v %d", err, b.Last().Status)
	}
	resp, err := http.Post(oauthflow.RedirectURI(f), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	// A request for another host name (DNS rebinding) with the right
	// state is not accepted either.
	au, _ := url.Parse(f.URL())
	req, _ := http.NewRequest(http.MethodGet, oauthflow.RedirectURI(f)+"?code=forged&state="+url.QueryEscape(au.Query().Get("state")), nil)
	req.Host = "attacker.example:" + strings.Split(listenerAddr(t, f), ":")[1]
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("rebinding request: %d", resp.StatusCode)
	}

	select {
	case err := <-errs:
		t.Fatalf("stray request ended the flow: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	if n := len(iss.Requests()); n != 0 {
		t.Fatalf("%d token requests for stray callbacks", n)
	}

	if err := b.Open(f.URL()); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if tok := <-toks; !iss.Valid(tok.AccessToken.Reveal()) {
		t.Error("token not valid")
	}
	if b.Last().Status != http.StatusOK {
		t.Errorf("final page %d", b.Last().Status)
	}
}

func TestSignInAuthorizationErrors(t *testing.T) {
	for _, tc := range []struct {
		consent oauthtest.Consent
		code    string
		msg     string
	}{
		{oauthtest.Consent{Error: "access_denied", ErrorDescription: "The user declined"}, "access_denied", "sign-in was denied (access_denied): The user declined"},
		{oauthtest.Consent{Error: "temporarily_unavailable"}, "temporarily_unavailable", "refused the sign-in: temporarily_unavailable"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			iss := startIssuer(t, oauthtest.Options{Consent: tc.consent})
			f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
			addr := listenerAddr(t, f)
			b := &oauthtest.Browser{}
			if err := b.Open(f.URL()); err != nil {
				t.Fatal(err)
			}
			_, err := waitFlow(t, f)
			var ae *oauthflow.AuthorizationError
			if !errors.As(err, &ae) || ae.Code != tc.code || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v", err)
			}
			p := b.Last()
			if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Sign-in failed") || !strings.Contains(p.Body, tc.code) {
				t.Errorf("page %d %q", p.Status, p.Body)
			}
			assertClosed(t, addr)
			if st := iss.Stats(); st.Authorizations != 0 || st.Requests != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestSignInErrorPageEscapes(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{Consent: oauthtest.Consent{Error: "access_denied", ErrorDescription: `<script>alert("x")</script>`}})
	f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
	b := &oauthtest.Browser{}
	b.Open(f.URL())
	if _, err := waitFlow(t, f); err == nil {
		t.Fatal("no error")
	}
	if body := b.Last().Body; strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("page not escaped: %q", body)
	}
}

func TestSignInTimeout(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{Timeout: 200 * time.Millisecond})
	addr := listenerAddr(t, f)
	assertOpen(t, addr)
	start := time.Now()
	_, err := waitFlow(t, f)
	if !errors.Is(err, oauthflow.ErrSignInTimeout) {
		t.Fatalf("error %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timed out after %v", d)
	}
	assertClosed(t, addr)

	// An abandoned flow (no Wait, no Close) releases its port too.
	g := startFlow(t, signInClient(iss), oauthflow.SignInOptions{Timeout: 100 * time.Millisecond})
	addr = listenerAddr(t, g)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("abandoned flow still listening")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := g.Wait(context.Background()); !errors.Is(err, oauthflow.ErrSignInTimeout) {
		t.Errorf("Wait after the timeout: %v", err)
	}
}

func TestSignInCancelAndClose(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})

	t.Run("cancel", func(t *testing.T) {
		f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
		addr := listenerAddr(t, f)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := f.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v", err)
		}
		assertClosed(t, addr)
	})

	t.Run("close", func(t *testing.T) {
		f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
		addr := listenerAddr(t, f)
		// Close while Wait waits: Wait has asked for its context's Done
		// channel, which it does only to wait on it.
		ctx := &doneWatch{Context: context.Background(), asked: make(chan struct{})}
		errs := make(chan error, 1)
		go func() { _, err := f.Wait(ctx); errs <- err }()
		<-ctx.asked
		f.Close()
		if err := <-errs; !errors.Is(err, oauthflow.ErrFlowClosed) {
			t.Fatalf("error %v", err)
		}
		assertClosed(t, addr)
		f.Close() // idempotent
	})

	t.Run("cancel during exchange", func(t *testing.T) {
		reached := make(chan struct{}, 1)
		iss.Inject(oauthtest.Fault{Kind: oauthtest.Slow, Delay: 10 * time.Second, Reached: reached})
		f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
		addr := listenerAddr(t, f)
		b := &oauthtest.Browser{}
		opened := make(chan error, 1)
		go func() { opened <- b.Open(f.URL()) }()
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-reached // the code exchange is under way
			cancel()
		}()
		start := time.Now()
		if _, err := f.Wait(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Wait took %v", d)
		}
		assertClosed(t, addr)
		if err := <-opened; err != nil {
			t.Fatal(err)
		}
		if p := b.Last(); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Sign-in failed") {
			t.Errorf("page %d %q", p.Status, p.Body)
		}
	})
}

func TestSignInPorts(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	c := signInClient(iss)
	f1 := startFlow(t, c, oauthflow.SignInOptions{})
	f2 := startFlow(t, c, oauthflow.SignInOptions{})
	p1, p2 := portOf(t, f1), portOf(t, f2)
	if p1 == 0 || p2 == 0 || p1 == p2 {
		t.Errorf("ports %d %d", p1, p2)
	}

	// A fixed port is used as given...
	free, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := free.Addr().(*net.TCPAddr).Port
	free.Close()
	f3 := startFlow(t, c, oauthflow.SignInOptions{Redirect: oauthflow.Redirect{Port: port}})
	if portOf(t, f3) != port {
		t.Errorf("redirect URI %s, want port %d", oauthflow.RedirectURI(f3), port)
	}

	// ... and a busy one is a clear error.
	busy, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port = busy.Addr().(*net.TCPAddr).Port
	_, err = c.StartSignIn(context.Background(), oauthflow.SignInOptions{Redirect: oauthflow.Redirect{Port: port}})
	if err == nil || !strings.Contains(err.Error(), "port "+strconv.Itoa(port)) {
		t.Errorf("busy port: %v", err)
	}

	// The flow still works on a fixed port.
	b := &oauthtest.Browser{}
	b.Open(f3.URL())
	if _, err := waitFlow(t, f3); err != nil {
		t.Fatal(err)
	}
}

func portOf(t *testing.T, f *oauthflow.Flow) int {
	t.Helper()
	u, err := url.Parse(oauthflow.RedirectURI(f))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(u.Port())
	return p
}

func TestSignInRedirectHosts(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{Clients: []oauthtest.ClientReg{
		{ID: "app", RedirectURIs: []string{"http://127.0.0.1/cb", "http://localhost/callback", "http://[::1]/callback"}},
	}})
	client := func() *oauthflow.Client {
		return &oauthflow.Client{ClientID: "app", Endpoint: iss.Endpoint()}
	}

	for _, tc := range []struct {
		name   string
		r      oauthflow.Redirect
		prefix string
		ipv6   bool
	}{
		{"path", oauthflow.Redirect{Path: "/cb"}, "http://127.0.0.1:", false},
		{"localhost", oauthflow.Redirect{Host: "localhost"}, "http://localhost:", false},
		{"ipv6", oauthflow.Redirect{Host: "[::1]"}, "http://[::1]:", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ipv6 {
				if l, err := net.Listen("tcp6", "[::1]:0"); err != nil {
					t.Skip("no IPv6 loopback:", err)
				} else {
					l.Close()
				}
			}
			f := startFlow(t, client(), oauthflow.SignInOptions{Redirect: tc.r})
			if !strings.HasPrefix(oauthflow.RedirectURI(f), tc.prefix) {
				t.Fatalf("redirect URI %s", oauthflow.RedirectURI(f))
			}
			if tc.name == "localhost" {
				// Bound on 127.0.0.1 only.
				assertOpen(t, "127.0.0.1:"+strconv.Itoa(portOf(t, f)))
			}
			b := &oauthtest.Browser{}
			b.Open(f.URL())
			if _, err := waitFlow(t, f); err != nil {
				t.Fatalf("%v (page %d %q)", err, b.Last().Status, b.Last().Body)
			}
		})
	}

	// A redirect URI the client did not register is refused by the server
	// with a page, never redirected; the flow keeps waiting.
	f := startFlow(t, client(), oauthflow.SignInOptions{Redirect: oauthflow.Redirect{Path: "/other"}})
	b := &oauthtest.Browser{}
	b.Open(f.URL())
	if p := b.Last(); p.Status != http.StatusBadRequest || p.Redirect != "" {
		t.Errorf("unregistered redirect: %d, redirected to %q", p.Status, p.Redirect)
	}
	assertOpen(t, listenerAddr(t, f))

	for _, host := range []string{"0.0.0.0", "192.0.2.1", "example.com", "::", "[::]"} {
		if _, err := client().StartSignIn(context.Background(), oauthflow.SignInOptions{Redirect: oauthflow.Redirect{Host: host}}); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("host %q: %v", host, err)
		}
	}
}

func TestSignInNotReachableFromNetwork(t *testing.T) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip(err)
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() && !n.IP.IsUnspecified() {
			ips = append(ips, n.IP)
		}
	}
	if len(ips) == 0 {
		t.Skip("this machine has no non-loopback address")
	}
	iss := startIssuer(t, oauthtest.Options{})
	for _, r := range []oauthflow.Redirect{{}, {Host: "localhost"}} {
		f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{Redirect: r})
		port := strconv.Itoa(portOf(t, f))
		assertOpen(t, "127.0.0.1:"+port)
		for _, ip := range ips {
			assertClosed(t, net.JoinHostPort(ip.String(), port))
		}
	}
}

func TestSignInIssuerCheck(t *testing.T) {
	for _, tc := range []struct {
		name      string
		consent   oauthtest.Consent
		supported bool
		ok        bool
	}{
		{"wrong iss", oauthtest.Consent{Iss: "https://evil.example"}, true, false},
		{"missing iss", oauthtest.Consent{OmitIss: true}, true, false},
		{"wrong iss, not advertised", oauthtest.Consent{Iss: "https://evil.example"}, false, false},
		{"missing iss, not advertised", oauthtest.Consent{OmitIss: true}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iss := startIssuer(t, oauthtest.Options{Consent: tc.consent})
			c := signInClient(iss)
			c.Endpoint.IssParameterSupported = tc.supported
			f := startFlow(t, c, oauthflow.SignInOptions{})
			b := &oauthtest.Browser{}
			b.Open(f.URL())
			_, err := waitFlow(t, f)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, oauthflow.ErrIssuerMismatch) {
				t.Fatalf("error %v", err)
			}
			if p := b.Last(); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Sign-in failed") {
				t.Errorf("page %d %q", p.Status, p.Body)
			}
			if st := iss.Stats(); st.Requests != 0 {
				t.Errorf("the code was exchanged: %+v", st)
			}
		})
	}
}

func TestSignInCodeReplay(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	c := signInClient(iss)
	f := startFlow(t, c, oauthflow.SignInOptions{})
	b := &oauthtest.Browser{}
	b.Open(f.URL())
	tok, err := waitFlow(t, f)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := url.Parse(b.Last().Redirect)
	if err != nil {
		t.Fatal(err)
	}
	code := cb.Query().Get("code")

	// The callback cannot be replayed against the finished flow...
	if err := (&oauthtest.Browser{}).Open(b.Last().Redirect); err == nil {
		t.Error("the finished flow still answers")
	}
	// ... and the server rejects the code in another flow, revoking the
	// login it created (RFC 6749 §4.1.2).
	// A pasted code the server rejects leaves the flow waiting for a
	// better one.
	g := startFlow(t, c, oauthflow.SignInOptions{})
	err = g.Paste(code)
	if !errors.Is(err, oauthflow.ErrInvalidPaste) || !strings.HasPrefix(err.Error(), "the server did not accept the pasted code (invalid_grant)") {
		t.Fatalf("replay: %v", err)
	}
	assertNoSecrets(t, iss, err.Error())
	g.Close()
	if iss.Valid(tok.AccessToken.Reveal()) {
		t.Error("tokens of a replayed code still valid")
	}
	if _, err := c.Refresh(context.Background(), tok.RefreshToken); err == nil {
		t.Error("refresh token of a replayed code still works")
	}
	if st := iss.Stats(); st.CodeReplays != 1 || st.FamiliesRevoked != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestSignInPaste(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})

	// authorize runs the authorization step in a browser that cannot
	// reach the listener and returns the URL the user would copy.
	authorize := func(t *testing.T, f *oauthflow.Flow) *url.URL {
		t.Helper()
		b := &oauthtest.Browser{NoFollow: true}
		if err := b.Open(f.URL()); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(b.Last().Redirect)
		if err != nil || u.Query().Get("code") == "" {
			t.Fatalf("no authorization response: %q", b.Last().Redirect)
		}
		return u
	}
	for _, tc := range []struct {
		name  string
		input func(u *url.URL) string
	}{
		{"full URL", func(u *url.URL) string { return "  " + u.String() + "\n" }},
		{"query", func(u *url.URL) string { return "?" + u.RawQuery }},
		{"code#state", func(u *url.URL) string { return u.Query().Get("code") + "#" + u.Query().Get("state") }},
		{"bare code", func(u *url.URL) string { return u.Query().Get("code") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
			addr := listenerAddr(t, f)
			u := authorize(t, f)
			if err := f.Paste(tc.input(u)); err != nil {
				t.Fatal(err)
			}
			tok, err := waitFlow(t, f)
			if err != nil {
				t.Fatal(err)
			}
			if !iss.Valid(tok.AccessToken.Reveal()) {
				t.Error("token not valid")
			}
			assertClosed(t, addr)
		})
	}

	t.Run("rejected inputs keep waiting", func(t *testing.T) {
		f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
		u := authorize(t, f)
		code, state := u.Query().Get("code"), u.Query().Get("state")
		before := iss.Stats().Requests
		wrong := *u
		q := wrong.Query()
		q.Set("state", "wrong")
		wrong.RawQuery = q.Encode()
		for _, tc := range []struct {
			in   string
			want error
		}{
			{wrong.String(), oauthflow.ErrStateMismatch},
			{code + "#wrong", oauthflow.ErrStateMismatch},
			{"", oauthflow.ErrInvalidPaste},
			{"two words", oauthflow.ErrInvalidPaste},
			{"http://127.0.0.1:1/callback?state=" + state, oauthflow.ErrInvalidPaste},
		} {
			err := f.Paste(tc.in)
			if !errors.Is(err, tc.want) {
				t.Errorf("Paste(%q) = %v, want %v", tc.in, err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), code) {
				t.Errorf("error repeats the code: %v", err)
			}
		}
		if n := iss.Stats().Requests - before; n != 0 {
			t.Fatalf("%d token requests", n)
		}
		if err := f.Paste(u.String()); err != nil {
			t.Fatal(err)
		}
		if _, err := waitFlow(t, f); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a rejected code keeps waiting", func(t *testing.T) {
		f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
		u := authorize(t, f)
		for _, wrong := range []string{"not-the-code", "not-the-code#" + u.Query().Get("state")} {
			if err := f.Paste(wrong); !errors.Is(err, oauthflow.ErrInvalidPaste) {
				t.Errorf("Paste(%q) = %v, want a rejected paste", wrong, err)
			}
		}
		if err := f.Paste(u.Query().Get("code")); err != nil {
			t.Fatal(err)
		}
		if _, err := waitFlow(t, f); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("pasted error response", func(t *testing.T) {
		f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
		iss.SetConsent(oauthtest.Consent{Error: "access_denied"})
		defer iss.SetConsent(oauthtest.Consent{})
		b := &oauthtest.Browser{NoFollow: true}
		b.Open(f.URL())
		if err := f.Paste(b.Last().Redirect); err != nil {
			t.Fatal(err)
		}
		var ae *oauthflow.AuthorizationError
		if _, err := waitFlow(t, f); !errors.As(err, &ae) || ae.Code != "access_denied" {
			t.Fatalf("error %v", err)
		}
	})

	t.Run("pasted URL with wrong iss", func(t *testing.T) {
		f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
		u := authorize(t, f)
		q := u.Query()
		q.Set("iss", "https://evil.example")
		u.RawQuery = q.Encode()
		if err := f.Paste(u.String()); err != nil {
			t.Fatal(err)
		}
		if _, err := waitFlow(t, f); !errors.Is(err, oauthflow.ErrIssuerMismatch) {
			t.Fatalf("error %v", err)
		}
	})

	t.Run("paste before Wait, browser after", func(t *testing.T) {
		f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
		u := authorize(t, f)
		if err := f.Paste(u.String()); err != nil {
			t.Fatal(err)
		}
		// The browser's copy of the response arrives late: the flow has
		// its outcome and its listener is (being) closed.
		b := &oauthtest.Browser{}
		if err := b.Open(u.String()); err == nil && b.Last().Status == http.StatusOK {
			t.Error("second response accepted")
		}
		if _, err := waitFlow(t, f); err != nil {
			t.Fatal(err)
		}
	})
}

func TestParsePasted(t *testing.T) {
	for _, tc := range []struct {
		in          string
		code, state string
		err         error
	}{
		{"http://127.0.0.1:8080/callback?code=abc&state=xyz", "abc", "xyz", nil},
		{"http://localhost/cb?state=xyz&code=a%2Fb&iss=https%3A%2F%2Fi", "a/b", "xyz", nil},
		{"https://console.example.com/oauth/code?code=abc&state=xyz#frag", "abc", "xyz", nil},
		{"  \"http://127.0.0.1/callback?code=abc&state=xyz\"  ", "abc", "xyz", nil},
		{"<http://127.0.0.1/callback?code=abc&state=xyz>", "abc", "xyz", nil},
		{"?code=abc&state=xyz", "abc", "xyz", nil},
		{"code=abc&state=xyz", "abc", "xyz", nil},
		{"abc#xyz", "abc", "xyz", nil},
		{"abc", "abc", "", nil},
		{"4/0AbCd-_.~x", "4/0AbCd-_.~x", "", nil},
		{"c2VjcmV0==", "c2VjcmV0==", "", nil},
		{"\tabc\r\n", "abc", "", nil},
		{"", "", "", oauthflow.ErrInvalidPaste},
		{"   ", "", "", oauthflow.ErrInvalidPaste},
		{"abc def", "", "", oauthflow.ErrInvalidPaste},
		{"#xyz", "", "", oauthflow.ErrInvalidPaste},
		{"abc#", "", "", oauthflow.ErrInvalidPaste},
		{"a#b#c", "", "", oauthflow.ErrInvalidPaste},
		{"http://127.0.0.1/callback?state=xyz", "", "", oauthflow.ErrInvalidPaste},
		{"http://127.0.0.1/callback", "", "", oauthflow.ErrInvalidPaste},
		{"http://127.0.0.1/callback?code=a&code=b&state=x", "", "", oauthflow.ErrInvalidPaste},
		{"foo=bar&baz=1", "", "", oauthflow.ErrInvalidPaste},
		{"?code=%zz", "", "", oauthflow.ErrInvalidPaste},
		{strings.Repeat("a", 20000), "", "", oauthflow.ErrInvalidPaste},
	} {
		code, state, err := oauthflow.ParsePasted(tc.in)
		if !errors.Is(err, tc.err) || code != tc.code || state != tc.state {
			t.Errorf("ParsePasted(%q) = %q, %q, %v; want %q, %q, %v", tc.in, code, state, err, tc.code, tc.state, tc.err)
		}
	}
	_, state, err := oauthflow.ParsePasted("http://127.0.0.1/callback?error=access_denied&error_description=no&state=xyz")
	var ae *oauthflow.AuthorizationError
	if !errors.As(err, &ae) || ae.Code != "access_denied" || ae.Description != "no" || state != "xyz" {
		t.Errorf("error response: %v %q", err, state)
	}
}

func TestSignInConfigErrors(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	for _, tc := range []struct {
		name string
		mod  func(*oauthflow.Client, *oauthflow.SignInOptions)
		want string
	}{
		{"no client ID", func(c *oauthflow.Client, _ *oauthflow.SignInOptions) { c.ClientID = "" }, "client ID"},
		{"no authorization endpoint", func(c *oauthflow.Client, _ *oauthflow.SignInOptions) { c.Endpoint.AuthURL = ""; c.Endpoint.Issuer = "" }, "authorization endpoint"},
		{"no token endpoint", func(c *oauthflow.Client, _ *oauthflow.SignInOptions) {
			c.Endpoint.TokenURL = ""
			c.Endpoint.Issuer = ""
		}, "token endpoint"},
		{"insecure", func(c *oauthflow.Client, _ *oauthflow.SignInOptions) {
			c.Endpoint.AuthURL = "http://auth.example/authorize"
		}, "https"},
		{"reserved param", func(_ *oauthflow.Client, o *oauthflow.SignInOptions) { o.AuthParams = map[string]string{"state": "x"} }, `"state"`},
		{"bad path", func(_ *oauthflow.Client, o *oauthflow.SignInOptions) { o.Redirect.Path = "cb" }, "redirect path"},
		{"bad port", func(_ *oauthflow.Client, o *oauthflow.SignInOptions) { o.Redirect.Port = 70000 }, "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := signInClient(iss)
			var o oauthflow.SignInOptions
			tc.mod(c, &o)
			f, err := c.StartSignIn(context.Background(), o)
			if err == nil {
				f.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestSignInExchangeFailure(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{})
	c := signInClient(iss)
	f := startFlow(t, c, oauthflow.SignInOptions{})
	iss.Inject(oauthtest.Fault{Kind: oauthtest.ServerError})
	b := &oauthtest.Browser{}
	b.Open(f.URL())
	_, err := waitFlow(t, f)
	oe := asError(t, err)
	if oe.Op != "exchange" || oe.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("error %v", err)
	}
	p := b.Last()
	if p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "Sign-in failed") || !strings.Contains(p.Body, "503") {
		t.Errorf("page %d %q", p.Status, p.Body)
	}
	assertNoSecrets(t, iss, p.Body+err.Error(), mustCode(t, p.Redirect))
}

func mustCode(t *testing.T, callback string) string {
	t.Helper()
	u, err := url.Parse(callback)
	if err != nil || u.Query().Get("code") == "" {
		t.Fatalf("no code in %q", callback)
	}
	return u.Query().Get("code")
}

func TestSignInNoSecretsInOutput(t *testing.T) {
	// Everything a failing or succeeding sign-in shows the user or returns
	// is free of tokens and codes.
	iss := startIssuer(t, oauthtest.Options{})
	c := signInClient(iss)
	var out []string
	for _, fault := range []oauthtest.FaultKind{0, oauthtest.InvalidGrant, oauthtest.MalformedJSON, oauthtest.HTMLError} {
		f := startFlow(t, c, oauthflow.SignInOptions{})
		if fault != 0 {
			iss.Inject(oauthtest.Fault{Kind: fault})
		}
		b := &oauthtest.Browser{}
		b.Open(f.URL())
		tok, err := waitFlow(t, f)
		out = append(out, b.Last().Body, fmt.Sprint(err), fmt.Sprintf("%v %+v", tok, tok))
	}
	assertNoSecrets(t, iss, strings.Join(out, "\n"))
}

// A configured issuer with a trailing slash that no discovery confirmed
// still matches the iss the server sends without it.
func TestIssuerTrailingSlashWithoutDiscovery(t *testing.T) {
	iss, err := oauthtest.Start(oauthtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	c := signInClient(iss)
	c.Endpoint.Issuer = iss.URL() + "/" // as users write Auth0-style issuers
	f := startFlow(t, c, oauthflow.SignInOptions{})
	if err := (&oauthtest.Browser{}).Open(f.URL()); err != nil {
		t.Fatal(err)
	}
	if _, err := waitFlow(t, f); err != nil {
		t.Fatalf("sign-in: %v", err)
	}
}

// Pasting only the code and state of a response whose server promises iss
// is accepted like a bare code, not a fatal issuer mismatch.
func TestPastePartialQueryWithoutIss(t *testing.T) {
	iss, err := oauthtest.Start(oauthtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	f := startFlow(t, signInClient(iss), oauthflow.SignInOptions{})
	remote := &oauthtest.Browser{NoFollow: true}
	if err := remote.Open(f.URL()); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(remote.Last().Redirect)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("iss") == "" {
		t.Fatal("the server sent no iss; the test needs one")
	}
	if err := f.Paste("code=" + url.QueryEscape(q.Get("code")) + "&state=" + url.QueryEscape(q.Get("state"))); err != nil {
		t.Fatalf("paste: %v", err)
	}
	if _, err := waitFlow(t, f); err != nil {
		t.Fatalf("sign-in: %v", err)
	}
}

// A transport failure names the endpoint without its query (which may
// carry a key).
func TestTransportErrorHidesQuery(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens: connection refused
	c := &oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{TokenURL: "http://" + addr + "/token?api_key=SECRETKEY"}}
	_, err = c.Refresh(context.Background(), "rt-secret")
	if err == nil || strings.Contains(err.Error(), "SECRETKEY") || strings.Contains(err.Error(), "rt-secret") {
		t.Fatalf("error %v", err)
	}
	if oauthflow.Classify(err) != oauthflow.Transient {
		t.Errorf("connection refused classified %v", oauthflow.Classify(err))
	}
}

// doneWatch is a context that tells when Done is first called.
type doneWatch struct {
	context.Context
	once  sync.Once
	asked chan struct{}
}

func (c *doneWatch) Done() <-chan struct{} {
	c.once.Do(func() { close(c.asked) })
	return c.Context.Done()
}
