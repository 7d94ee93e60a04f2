package oauthtest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

const testVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B

func challengeOf(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// authParams is a valid authorization request of the default client.
func authParams(redirect string) url.Values {
	return url.Values{
		"response_type":         {"code"},
		"client_id":             {oauthtest.DefaultClientID},
		"redirect_uri":          {redirect},
		"scope":                 {"openid offline_access"},
		"state":                 {"st-1"},
		"code_challenge":        {challengeOf(testVerifier)},
		"code_challenge_method": {"S256"},
	}
}

// authorize sends an authorization request without following the redirect.
func authorize(t *testing.T, iss *oauthtest.Issuer, q url.Values) (status int, location *url.URL, body string) {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(iss.AuthorizeURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if l := resp.Header.Get("Location"); l != "" {
		if location, err = url.Parse(l); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, location, string(b)
}

// codeFor runs a successful authorization and returns the code.
func codeFor(t *testing.T, iss *oauthtest.Issuer, q url.Values) string {
	t.Helper()
	status, loc, body := authorize(t, iss, q)
	if status != http.StatusFound || loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorization: %d %v %q", status, loc, body)
	}
	return loc.Query().Get("code")
}

func exchangeParams(code, redirect, verifier string) map[string]string {
	return map[string]string{
		"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
		"code_verifier": verifier, "client_id": oauthtest.DefaultClientID,
	}
}

func TestAuthorizeRedirects(t *testing.T) {
	iss := start(t, oauthtest.Options{})
	const redirect = "http://127.0.0.1:45678/callback"

	status, loc, _ := authorize(t, iss, authParams(redirect))
	if status != http.StatusFound {
		t.Fatalf("status %d", status)
	}
	q := loc.Query()
	if loc.Scheme+"://"+loc.Host+loc.Path != redirect || q.Get("state") != "st-1" || q.Get("iss") != iss.URL() ||
		!strings.HasPrefix(q.Get("code"), oauthtest.AuthCodePrefix) {
		t.Errorf("redirect %s", loc)
	}

	// Requests that cannot be trusted with a redirect get a page.
	for name, mod := range map[string]func(url.Values){
		"unknown client":          func(q url.Values) { q.Set("client_id", "nobody") },
		"no client":               func(q url.Values) { q.Del("client_id") },
		"no redirect_uri":         func(q url.Values) { q.Del("redirect_uri") },
		"unregistered path":       func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:45678/other") },
		"other host":              func(q url.Values) { q.Set("redirect_uri", "http://evil.example:45678/callback") },
		"https loopback":          func(q url.Values) { q.Set("redirect_uri", "https://127.0.0.1:45678/callback") },
		"query added":             func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:45678/callback?x=1") },
		"fragment":                func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.1:45678/callback#f") },
		"repeated redirect_uri":   func(q url.Values) { q.Add("redirect_uri", redirect) },
		"loopback host confusion": func(q url.Values) { q.Set("redirect_uri", "http://127.0.0.2:45678/callback") },
	} {
		q := authParams(redirect)
		mod(q)
		status, loc, body := authorize(t, iss, q)
		if status != http.StatusBadRequest || loc != nil || !strings.Contains(body, "Authorization error") {
			t.Errorf("%s: %d %v", name, status, loc)
		}
	}

	// Other errors go back to the client with state and iss.
	for name, tc := range map[string]struct {
		mod  func(url.Values)
		code string
	}{
		"response_type":    {func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
		"no PKCE":          {func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") }, "invalid_request"},
		"plain PKCE":       {func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		"no method":        {func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		"bad challenge":    {func(q url.Values) { q.Set("code_challenge", "short") }, "invalid_request"},
		"unknown scope":    {func(q url.Values) { q.Set("scope", "openid admin") }, "invalid_scope"},
		"repeated param":   {func(q url.Values) { q.Add("scope", "openid") }, "invalid_request"},
		"IPv6 other port":  {func(q url.Values) { q.Set("redirect_uri", "http://[::1]:1/callback"); q.Set("scope", "nope") }, "invalid_scope"},
		"localhost, scope": {func(q url.Values) { q.Set("redirect_uri", "http://localhost:2/callback"); q.Set("scope", "nope") }, "invalid_scope"},
	} {
		q := authParams(redirect)
		tc.mod(q)
		status, loc, _ := authorize(t, iss, q)
		if status != http.StatusFound || loc == nil {
			t.Errorf("%s: status %d", name, status)
			continue
		}
		lq := loc.Query()
		if lq.Get("error") != tc.code || lq.Get("state") != "st-1" || lq.Get("iss") != iss.URL() || lq.Get("code") != "" {
			t.Errorf("%s: redirect %s", name, loc)
		}
	}
	if st := iss.Stats(); st.Authorizations != 1 || st.AuthorizeRequests != 20 {
		t.Errorf("stats %+v", st)
	}
}

func TestAuthorizeConsent(t *testing.T) {
	iss := start(t, oauthtest.Options{})
	const redirect = "http://127.0.0.1:1/callback"

	iss.SetConsent(oauthtest.Consent{Error: "access_denied", ErrorDescription: "no thanks", Iss: "https://mixup.example"})
	_, loc, _ := authorize(t, iss, authParams(redirect))
	if q := loc.Query(); q.Get("error") != "access_denied" || q.Get("error_description") != "no thanks" ||
		q.Get("iss") != "https://mixup.example" || q.Get("state") != "st-1" {
		t.Errorf("denied: %s", loc)
	}
	iss.SetConsent(oauthtest.Consent{OmitIss: true})
	_, loc, _ = authorize(t, iss, authParams(redirect))
	if q := loc.Query(); q.Has("iss") || q.Get("code") == "" {
		t.Errorf("omit iss: %s", loc)
	}

	// A slow user: a client that gives up gets nothing, and no code is
	// issued. The delay is far longer than waitAbandoned waits, so the
	// handler must notice the client leaving for the test to pass.
	iss.SetConsent(oauthtest.Consent{Delay: time.Minute})
	before := iss.Stats()
	hc := &http.Client{Timeout: 100 * time.Millisecond, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if _, err := hc.Get(iss.AuthorizeURL() + "?" + authParams(redirect).Encode()); err == nil {
		t.Error("slow consent answered at once")
	}
	after := waitAbandoned(t, iss, before.Abandoned+1)
	if after.Authorizations != before.Authorizations {
		t.Error("code issued to a client that gave up")
	}
}

// waitAbandoned waits until the issuer has dropped n requests whose client
// went away (Stats.Abandoned) and returns its stats then. The handlers of
// those requests have returned, so the stats show all they did.
func waitAbandoned(t *testing.T, iss *oauthtest.Issuer, n int) oauthtest.Stats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := iss.Stats()
		if st.Abandoned >= n {
			if st.Abandoned > n {
				t.Errorf("%d requests abandoned, want %d", st.Abandoned, n)
			}
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the issuer did not drop the request of a client that went away (stats %+v)", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCodeGrant(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)}
	iss := start(t, oauthtest.Options{
		Now:     clk.Now,
		User:    oauthtest.User{Subject: "alice", Email: "alice@example.com", Name: "Alice"},
		CodeTTL: 30 * time.Second,
		Clients: []oauthtest.ClientReg{
			{ID: oauthtest.DefaultClientID, RedirectURIs: oauthtest.DefaultRedirectURIs},
			{ID: "other", RedirectURIs: oauthtest.DefaultRedirectURIs},
		},
	})
	const redirect = "http://127.0.0.1:5555/callback"

	for _, asJSON := range []bool{false, true} {
		q := authParams(redirect)
		q.Set("nonce", "n-1")
		code := codeFor(t, iss, q)
		r := post(t, iss, exchangeParams(code, redirect, testVerifier), asJSON)
		if r.status != 200 || !strings.HasPrefix(r.str("access_token"), oauthtest.AccessTokenPrefix) ||
			!strings.HasPrefix(r.str("refresh_token"), oauthtest.RefreshTokenPrefix) || r.str("scope") != "openid offline_access" {
			t.Fatalf("exchange: %d %s", r.status, r.raw)
		}
		parts := strings.Split(r.str("id_token"), ".")
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims map[string]any
		json.Unmarshal(raw, &claims)
		if claims["sub"] != "alice" || claims["email"] != "alice@example.com" || claims["name"] != "Alice" ||
			claims["nonce"] != "n-1" || claims["aud"] != oauthtest.DefaultClientID {
			t.Errorf("claims %v", claims)
		}
		if !iss.Valid(r.str("access_token")) {
			t.Error("access token not valid")
		}
		// The new login refreshes.
		if rr := post(t, iss, refreshParams(r.str("refresh_token")), asJSON); rr.status != 200 {
			t.Errorf("refresh: %d %s", rr.status, rr.raw)
		}
	}

	for name, tc := range map[string]struct {
		params func(code string) map[string]string
		desc   string
	}{
		"wrong verifier": {func(c string) map[string]string {
			return exchangeParams(c, redirect, strings.Repeat("a", 43))
		}, "does not match"},
		"no verifier":        {func(c string) map[string]string { return exchangeParams(c, redirect, "") }, "code_verifier"},
		"malformed verifier": {func(c string) map[string]string { return exchangeParams(c, redirect, "short") }, "malformed"},
		"other redirect": {func(c string) map[string]string {
			return exchangeParams(c, "http://127.0.0.1:5556/callback", testVerifier)
		}, "redirect_uri"},
		"no redirect":  {func(c string) map[string]string { return exchangeParams(c, "", testVerifier) }, "redirect_uri"},
		"unknown code": {func(string) map[string]string { return exchangeParams("tt_ac_nope", redirect, testVerifier) }, "unknown"},
		"other client": {func(c string) map[string]string {
			p := exchangeParams(c, redirect, testVerifier)
			p["client_id"] = "other"
			return p
		}, "another client"},
	} {
		code := codeFor(t, iss, authParams(redirect))
		r := post(t, iss, tc.params(code), false)
		if r.status != 400 || r.str("error") != "invalid_grant" || !strings.Contains(r.str("error_description"), tc.desc) {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
		if strings.Contains(string(r.raw), code) {
			t.Errorf("%s: response echoes the code", name)
		}
	}

	// A failed attempt burns the code.
	code := codeFor(t, iss, authParams(redirect))
	post(t, iss, exchangeParams(code, redirect, strings.Repeat("b", 43)), false)
	if r := post(t, iss, exchangeParams(code, redirect, testVerifier), false); r.status != 400 || !strings.Contains(r.str("error_description"), "already used") {
		t.Errorf("burnt code: %d %s", r.status, r.raw)
	}

	// Codes expire on the issuer's clock.
	code = codeFor(t, iss, authParams(redirect))
	clk.Advance(31 * time.Second)
	if r := post(t, iss, exchangeParams(code, redirect, testVerifier), false); r.status != 400 || !strings.Contains(r.str("error_description"), "expired") {
		t.Errorf("expired code: %d %s", r.status, r.raw)
	}

	// Replay revokes the login (RFC 6749 §4.1.2).
	code = codeFor(t, iss, authParams(redirect))
	first := post(t, iss, exchangeParams(code, redirect, testVerifier), false)
	before := iss.Stats()
	if r := post(t, iss, exchangeParams(code, redirect, testVerifier), false); r.status != 400 || r.str("error") != "invalid_grant" {
		t.Fatalf("replay: %d %s", r.status, r.raw)
	}
	if iss.Valid(first.str("access_token")) {
		t.Error("login survived a code replay")
	}
	if r := post(t, iss, refreshParams(first.str("refresh_token")), false); r.str("error") != "invalid_grant" {
		t.Errorf("refresh after replay: %s", r.raw)
	}
	after := iss.Stats()
	if after.CodeReplays != before.CodeReplays+1 || after.FamiliesRevoked != before.FamiliesRevoked+1 {
		t.Errorf("stats %+v -> %+v", before, after)
	}
	for _, r := range iss.Requests() {
		if c, ok := r.Params["code"]; ok && c != "[redacted]" {
			t.Errorf("request log keeps the code")
		}
	}
	secrets := strings.Join(iss.IssuedSecrets(), " ")
	if !strings.Contains(secrets, code) {
		t.Error("IssuedSecrets lacks the authorization codes")
	}
}

func TestRevocationEndpoint(t *testing.T) {
	iss := start(t, oauthtest.Options{Clients: []oauthtest.ClientReg{
		{ID: oauthtest.DefaultClientID}, {ID: "conf", Secret: "s3cret"},
	}})
	revoke := func(p map[string]string) reply {
		t.Helper()
		var body []string
		for k, v := range p {
			body = append(body, url.QueryEscape(k)+"="+url.QueryEscape(v))
		}
		resp, err := http.Post(iss.RevocationURL(), "application/x-www-form-urlencoded", strings.NewReader(strings.Join(body, "&")))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		r := reply{status: resp.StatusCode, raw: raw}
		json.Unmarshal(raw, &r.body)
		return r
	}
	a := iss.Mint(oauthtest.DefaultClientID, "")
	b := iss.Mint("conf", "")

	if r := revoke(map[string]string{"token": a.AccessToken.Reveal(), "client_id": "conf", "client_secret": "s3cret"}); r.status != 400 || r.str("error") != "invalid_grant" {
		t.Errorf("other client's token: %d %s", r.status, r.raw)
	}
	if r := revoke(map[string]string{"token": b.RefreshToken.Reveal(), "client_id": "conf"}); r.status != 401 {
		t.Errorf("missing secret: %d %s", r.status, r.raw)
	}
	if r := revoke(map[string]string{"client_id": oauthtest.DefaultClientID}); r.status != 400 || r.str("error") != "invalid_request" {
		t.Errorf("no token: %d %s", r.status, r.raw)
	}
	if !iss.Valid(a.AccessToken.Reveal()) || !iss.Valid(b.AccessToken.Reveal()) {
		t.Fatal("rejected revocations revoked something")
	}
	if r := revoke(map[string]string{"token": a.AccessToken.Reveal(), "token_type_hint": "access_token", "client_id": oauthtest.DefaultClientID}); r.status != 200 {
		t.Errorf("revoke: %d %s", r.status, r.raw)
	}
	if iss.Valid(a.AccessToken.Reveal()) || !iss.Valid(b.AccessToken.Reveal()) {
		t.Error("wrong login revoked")
	}
	if r := post(t, iss, refreshParams(a.RefreshToken.Reveal()), false); r.str("error") != "invalid_grant" {
		t.Errorf("refresh after revocation: %s", r.raw)
	}
	if r := revoke(map[string]string{"token": "unknown", "client_id": oauthtest.DefaultClientID}); r.status != 200 {
		t.Errorf("unknown token: %d", r.status)
	}
	if st := iss.Stats(); st.Revocations != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestDiscoveryDocument(t *testing.T) {
	iss := start(t, oauthtest.Options{Scopes: []string{"openid", "read"}})
	resp, err := http.Get(iss.URL() + oauthtest.DiscoveryPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"issuer":                        iss.URL(),
		"authorization_endpoint":        iss.AuthorizeURL(),
		"token_endpoint":                iss.TokenURL(),
		"revocation_endpoint":           iss.RevocationURL(),
		"device_authorization_endpoint": iss.DeviceAuthorizationURL(),
		"authorization_response_iss_parameter_supported": true,
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("%s = %v, want %v", k, doc[k], v)
		}
	}
	for k, v := range map[string]string{
		"code_challenge_methods_supported": `["S256"]`,
		"response_types_supported":         `["code"]`,
		"grant_types_supported":            `["authorization_code","refresh_token","urn:ietf:params:oauth:grant-type:device_code"]`,
		"scopes_supported":                 `["openid","read"]`,
	} {
		if got := jsonString(doc[k]); got != v {
			t.Errorf("%s = %s, want %s", k, got, v)
		}
	}
	if st := iss.Stats(); st.Discoveries != 1 {
		t.Errorf("stats %+v", st)
	}
	if ep := iss.Endpoint(); ep.AuthURL != iss.AuthorizeURL() || ep.RevocationURL != iss.RevocationURL() || !ep.IssParameterSupported {
		t.Errorf("Endpoint %+v", ep)
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestBrowser(t *testing.T) {
	iss := start(t, oauthtest.Options{})
	var mu sync.Mutex
	var got []string
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.RawQuery)
		mu.Unlock()
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "callback page")
	}))
	defer cb.Close()
	redirect := cb.URL + "/callback" // http://127.0.0.1:PORT/callback

	b := &oauthtest.Browser{}
	if err := b.Open(iss.AuthorizeURL() + "?" + authParams(redirect).Encode()); err != nil {
		t.Fatal(err)
	}
	p := b.Last()
	if p.Status != http.StatusTeapot || p.Body != "callback page" || !strings.HasPrefix(p.URL, redirect+"?") ||
		p.Redirect != p.URL || len(p.Redirects) != 1 || len(got) != 1 {
		t.Errorf("page %+v, callback got %v", p, got)
	}

	nf := &oauthtest.Browser{NoFollow: true}
	if err := nf.Open(iss.AuthorizeURL() + "?" + authParams(redirect).Encode()); err != nil {
		t.Fatal(err)
	}
	if p := nf.Last(); p.Status != http.StatusFound || !strings.HasPrefix(p.Redirect, redirect+"?") || !strings.Contains(p.Redirect, "code=") || len(got) != 1 {
		t.Errorf("NoFollow page %+v", p)
	}

	cb.Close()
	if err := b.Open(redirect); err == nil || b.Last().Err == nil {
		t.Error("Open of a closed server succeeded")
	}
	if n := len(b.History()); n != 2 {
		t.Errorf("history has %d pages", n)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
