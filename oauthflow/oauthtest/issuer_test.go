package oauthtest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

func start(t *testing.T, opts oauthtest.Options) *oauthtest.Issuer {
	t.Helper()
	iss, err := oauthtest.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	return iss
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r reply) str(k string) string { s, _ := r.body[k].(string); return s }

// post sends a token request with a form body, or a JSON body when asJSON.
func post(t *testing.T, iss *oauthtest.Issuer, params map[string]string, asJSON bool, mod ...func(*http.Request)) reply {
	t.Helper()
	r, err := tryPost(iss, params, asJSON, mod...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func tryPost(iss *oauthtest.Issuer, params map[string]string, asJSON bool, mod ...func(*http.Request)) (reply, error) {
	var body []byte
	ct := "application/x-www-form-urlencoded"
	if asJSON {
		body, _ = json.Marshal(params)
		ct = "application/json"
	} else {
		v := url.Values{}
		for k, s := range params {
			v.Set(k, s)
		}
		body = []byte(v.Encode())
	}
	req, err := http.NewRequest(http.MethodPost, iss.TokenURL(), bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", ct)
	for _, m := range mod {
		m(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	json.Unmarshal(raw, &r.body)
	return r, nil
}

func refreshParams(rt string) map[string]string {
	return map[string]string{"grant_type": "refresh_token", "refresh_token": rt, "client_id": oauthtest.DefaultClientID}
}

func TestRotationAndReuse(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		name := "form"
		if asJSON {
			name = "json"
		}
		t.Run(name, func(t *testing.T) {
			iss := start(t, oauthtest.Options{})
			tok := iss.Mint(oauthtest.DefaultClientID, "profile")
			rt0 := tok.RefreshToken.Reveal()
			if !strings.HasPrefix(rt0, oauthtest.RefreshTokenPrefix) || !strings.HasPrefix(tok.AccessToken.Reveal(), oauthtest.AccessTokenPrefix) {
				t.Fatal("minted tokens lack their prefixes")
			}

			r1 := post(t, iss, refreshParams(rt0), asJSON)
			if r1.status != 200 {
				t.Fatalf("refresh: %d %s", r1.status, r1.raw)
			}
			rt1 := r1.str("refresh_token")
			if rt1 == "" || rt1 == rt0 || r1.str("access_token") == "" || r1.str("token_type") != "Bearer" || r1.str("scope") != "profile" {
				t.Fatalf("response %s", r1.raw)
			}
			if r1.body["expires_in"] != float64(3600) || r1.body["refresh_token_expires_in"] != nil || r1.body["id_token"] != nil {
				t.Errorf("response %s", r1.raw)
			}
			if cc := r1.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			r2 := post(t, iss, refreshParams(rt1), asJSON)
			if r2.status != 200 {
				t.Fatalf("second refresh: %d %s", r2.status, r2.raw)
			}
			rt2 := r2.str("refresh_token")
			access2 := r2.str("access_token")
			if !iss.Valid(access2) {
				t.Fatal("current access token not valid")
			}

			// Replaying rt0 revokes the whole family, including rt2.
			r := post(t, iss, refreshParams(rt0), asJSON)
			if r.status != 400 || r.str("error") != "invalid_grant" {
				t.Fatalf("replay: %d %s", r.status, r.raw)
			}
			if iss.Valid(access2) {
				t.Error("access token of a revoked family still valid")
			}
			r = post(t, iss, refreshParams(rt2), asJSON)
			if r.status != 400 || r.str("error") != "invalid_grant" {
				t.Fatalf("refresh in revoked family: %d %s", r.status, r.raw)
			}
			// Another login is unaffected.
			other := iss.Mint(oauthtest.DefaultClientID, "")
			if r := post(t, iss, refreshParams(other.RefreshToken.Reveal()), asJSON); r.status != 200 {
				t.Fatalf("other family: %d %s", r.status, r.raw)
			}

			want := oauthtest.Stats{Requests: 5, Refreshes: 5, Succeeded: 3, Rejected: 2, ReuseDetected: 1, FamiliesRevoked: 1, Minted: 2}
			if got := iss.Stats(); got != want {
				t.Errorf("stats %+v, want %+v", got, want)
			}
			reqs := iss.Requests()
			if len(reqs) != 5 || !strings.HasPrefix(reqs[0].ContentType, map[bool]string{false: "application/x-www-form-urlencoded", true: "application/json"}[asJSON]) {
				t.Fatalf("requests %+v", reqs)
			}
			if reqs[0].Params["refresh_token"] != "[redacted]" || reqs[0].Params["grant_type"] != "refresh_token" {
				t.Errorf("logged params %v", reqs[0].Params)
			}
			secrets := iss.IssuedSecrets()
			for _, s := range []string{rt0, rt1, rt2, access2, tok.AccessToken.Reveal()} {
				if !slices.Contains(secrets, s) {
					t.Errorf("IssuedSecrets lacks a token")
				}
			}
			if len(secrets) != 2*5 {
				t.Errorf("IssuedSecrets has %d entries, want 10", len(secrets))
			}
		})
	}
}

func TestRequestValidation(t *testing.T) {
	iss := start(t, oauthtest.Options{Clients: []oauthtest.ClientReg{{ID: "pub"}, {ID: "conf", Secret: "p@ss word"}}})
	pubRT := iss.Mint("pub", "a b").RefreshToken.Reveal()
	confRT := iss.Mint("conf", "").RefreshToken.Reveal()
	basic := func(id, secret string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) }
	}
	tests := []struct {
		name   string
		params map[string]string
		mod    []func(*http.Request)
		status int
		code   string
	}{
		{"unknown refresh token", map[string]string{"grant_type": "refresh_token", "refresh_token": "tt_rt_nope", "client_id": "pub"}, nil, 400, "invalid_grant"},
		{"missing refresh token", map[string]string{"grant_type": "refresh_token", "client_id": "pub"}, nil, 400, "invalid_request"},
		{"missing grant_type", map[string]string{"refresh_token": pubRT, "client_id": "pub"}, nil, 400, "invalid_request"},
		{"unsupported grant", map[string]string{"grant_type": "password", "client_id": "pub"}, nil, 400, "unsupported_grant_type"},
		{"missing client_id", map[string]string{"grant_type": "refresh_token", "refresh_token": pubRT}, nil, 401, "invalid_client"},
		{"unknown client", map[string]string{"grant_type": "refresh_token", "refresh_token": pubRT, "client_id": "who"}, nil, 401, "invalid_client"},
		{"missing secret", map[string]string{"grant_type": "refresh_token", "refresh_token": confRT, "client_id": "conf"}, nil, 401, "invalid_client"},
		{"wrong secret", map[string]string{"grant_type": "refresh_token", "refresh_token": confRT, "client_id": "conf", "client_secret": "nope"}, nil, 401, "invalid_client"},
		{"wrong basic secret", map[string]string{"grant_type": "refresh_token", "refresh_token": confRT}, []func(*http.Request){basic("conf", "nope")}, 401, "invalid_client"},
		{"basic and body disagree", map[string]string{"grant_type": "refresh_token", "refresh_token": confRT, "client_id": "pub"}, []func(*http.Request){basic("conf", "p@ss word")}, 400, "invalid_request"},
		{"other client's token", map[string]string{"grant_type": "refresh_token", "refresh_token": confRT, "client_id": "pub"}, nil, 400, "invalid_grant"},
		{"scope widening", map[string]string{"grant_type": "refresh_token", "refresh_token": pubRT, "client_id": "pub", "scope": "a c"}, nil, 400, "invalid_scope"},
		{"bad content type", map[string]string{"grant_type": "refresh_token", "refresh_token": pubRT, "client_id": "pub"},
			[]func(*http.Request){func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, iss, tt.params, false, tt.mod...)
			if r.status != tt.status || r.str("error") != tt.code {
				t.Errorf("got %d %s, want %d %s", r.status, r.raw, tt.status, tt.code)
			}
		})
	}
	if r := post(t, iss, nil, false, basic("conf", "nope")); r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 after Basic authentication lacks WWW-Authenticate")
	}
	// None of the failures above consumed the tokens.
	if r := post(t, iss, map[string]string{"grant_type": "refresh_token", "refresh_token": confRT}, true, basic("conf", "p@ss word")); r.status != 200 {
		t.Errorf("basic auth: %d %s", r.status, r.raw)
	}
	r := post(t, iss, map[string]string{"grant_type": "refresh_token", "refresh_token": pubRT, "client_id": "pub", "scope": "b"}, false)
	if r.status != 200 || r.str("scope") != "b" {
		t.Errorf("scope narrowing: %d %s", r.status, r.raw)
	}

	// Repeated parameters (RFC 6749 §3.2) and methods other than POST.
	resp, err := http.Post(iss.TokenURL(), "application/x-www-form-urlencoded", strings.NewReader("grant_type=refresh_token&grant_type=refresh_token&client_id=pub"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("repeated parameter: %d", resp.StatusCode)
	}
	resp, err = http.Get(iss.TokenURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET token endpoint: %d", resp.StatusCode)
	}
}

func TestNoRotationAndLifetimes(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	iss := start(t, oauthtest.Options{NoRotation: true, AccessTTL: 10 * time.Minute, RefreshTTL: time.Hour, StringNumbers: true, Now: clock})
	tok := iss.Mint(oauthtest.DefaultClientID, "openid")
	if !tok.Expiry.Equal(now.Add(10*time.Minute)) || !tok.RefreshExpiry.Equal(now.Add(time.Hour)) || tok.IDToken.IsZero() {
		t.Fatalf("minted %+v", tok)
	}
	advance(15 * time.Minute)
	if iss.Valid(tok.AccessToken.Reveal()) {
		t.Error("expired access token valid")
	}
	r := post(t, iss, refreshParams(tok.RefreshToken.Reveal()), false)
	if r.status != 200 || r.body["refresh_token"] != nil || r.body["expires_in"] != "600" || r.body["refresh_token_expires_in"] != "2700" {
		t.Fatalf("refresh: %d %s", r.status, r.raw)
	}
	if !iss.Valid(r.str("access_token")) {
		t.Error("fresh access token not valid")
	}
	// The ID token is a JWT with the issuer as "iss".
	parts := strings.Split(r.str("id_token"), ".")
	if len(parts) != 3 {
		t.Fatalf("id_token has %d parts", len(parts))
	}
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(claims, &c); err != nil || c["iss"] != iss.URL() || c["aud"] != oauthtest.DefaultClientID {
		t.Errorf("id_token claims %s", claims)
	}
	// Without rotation the same refresh token keeps working until the
	// login expires.
	if r := post(t, iss, refreshParams(tok.RefreshToken.Reveal()), false); r.status != 200 {
		t.Fatalf("second refresh: %d %s", r.status, r.raw)
	}
	advance(45 * time.Minute)
	if r := post(t, iss, refreshParams(tok.RefreshToken.Reveal()), false); r.status != 400 || r.str("error") != "invalid_grant" {
		t.Fatalf("refresh after login expiry: %d %s", r.status, r.raw)
	}
	if st := iss.Stats(); st.ReuseDetected != 0 || st.Succeeded != 2 {
		t.Errorf("stats %+v", st)
	}

	noExp := start(t, oauthtest.Options{AccessTTL: -1})
	r = post(t, noExp, refreshParams(noExp.Mint(oauthtest.DefaultClientID, "").RefreshToken.Reveal()), false)
	if _, ok := r.body["expires_in"]; r.status != 200 || ok {
		t.Errorf("AccessTTL < 0: %d %s", r.status, r.raw)
	}
}

func TestFaults(t *testing.T) {
	iss := start(t, oauthtest.Options{})
	rt := iss.Mint(oauthtest.DefaultClientID, "").RefreshToken.Reveal()
	tests := []struct {
		fault  oauthtest.Fault
		status int // 0: no response
		check  func(reply) bool
	}{
		{oauthtest.Fault{Kind: oauthtest.ServerError}, 503, func(r reply) bool { return r.header.Get("Retry-After") == "" }},
		{oauthtest.Fault{Kind: oauthtest.ServerError, RetryAfter: "30"}, 503, func(r reply) bool { return r.header.Get("Retry-After") == "30" }},
		{oauthtest.Fault{Kind: oauthtest.RateLimited}, 429, func(r reply) bool { return r.header.Get("Retry-After") == "1" }},
		{oauthtest.Fault{Kind: oauthtest.RateLimited, RetryAfter: "Wed, 21 Oct 2037 07:28:00 GMT"}, 429,
			func(r reply) bool { return r.header.Get("Retry-After") == "Wed, 21 Oct 2037 07:28:00 GMT" }},
		{oauthtest.Fault{Kind: oauthtest.MalformedJSON}, 200, func(r reply) bool { return !json.Valid(r.raw) }},
		{oauthtest.Fault{Kind: oauthtest.HTMLError}, 502, func(r reply) bool {
			return strings.HasPrefix(r.header.Get("Content-Type"), "text/html") && bytes.Contains(r.raw, []byte("<html>"))
		}},
		{oauthtest.Fault{Kind: oauthtest.InvalidGrant}, 400, func(r reply) bool { return r.str("error") == "invalid_grant" }},
		{oauthtest.Fault{Kind: oauthtest.Oversize}, 200, func(r reply) bool { return len(r.raw) > 1<<20 && json.Valid(r.raw) }},
		{oauthtest.Fault{Kind: oauthtest.DropConnection}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.fault.Kind.String(), func(t *testing.T) {
			iss.Inject(tt.fault)
			if tt.status == 0 {
				resp, err := http.Post(iss.TokenURL(), "application/x-www-form-urlencoded", strings.NewReader(url.Values{
					"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {oauthtest.DefaultClientID}}.Encode()))
				if err == nil {
					resp.Body.Close()
					t.Fatalf("dropped connection answered %d", resp.StatusCode)
				}
			} else {
				r := post(t, iss, refreshParams(rt), false)
				if r.status != tt.status || !tt.check(r) {
					t.Fatalf("got %d %.200s", r.status, r.raw)
				}
			}
			// The fault was used up and rotated nothing.
			r := post(t, iss, refreshParams(rt), false)
			if r.status != 200 {
				t.Fatalf("after fault: %d %s", r.status, r.raw)
			}
			rt = r.str("refresh_token")
		})
	}
	st := iss.Stats()
	if st.FaultsServed != len(tests) || st.Succeeded != len(tests) || st.Refreshes != len(tests) || st.Requests != 2*len(tests) {
		t.Errorf("stats %+v", st)
	}
	reqs := iss.Requests()
	if reqs[0].Fault != oauthtest.ServerError || reqs[1].Fault != 0 {
		t.Errorf("request log faults: %v %v", reqs[0].Fault, reqs[1].Fault)
	}
}

func TestFaultQueueAndFailAll(t *testing.T) {
	iss := start(t, oauthtest.Options{})
	rt := iss.Mint(oauthtest.DefaultClientID, "").RefreshToken.Reveal()
	iss.Inject(oauthtest.Fault{Kind: oauthtest.ServerError, Count: 2})
	iss.Inject(oauthtest.Fault{Kind: oauthtest.RateLimited})
	iss.FailAll(oauthtest.Fault{Kind: oauthtest.InvalidGrant})
	var got []int
	for range 5 {
		got = append(got, post(t, iss, refreshParams(rt), false).status)
	}
	if want := []int{503, 503, 429, 400, 400}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	iss.Inject(oauthtest.Fault{Kind: oauthtest.HTMLError})
	iss.ClearFaults()
	if r := post(t, iss, refreshParams(rt), false); r.status != 200 {
		t.Errorf("after ClearFaults: %d %s", r.status, r.raw)
	}
	if st := iss.Stats(); st.FaultsServed != 5 || st.Rejected != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestSlowFault(t *testing.T) {
	iss := start(t, oauthtest.Options{})
	rt := iss.Mint(oauthtest.DefaultClientID, "").RefreshToken.Reveal()

	iss.Inject(oauthtest.Fault{Kind: oauthtest.Slow, Delay: 300 * time.Millisecond})
	begin := time.Now()
	r := post(t, iss, refreshParams(rt), false)
	if r.status != 200 || time.Since(begin) < 300*time.Millisecond {
		t.Fatalf("slow: %d after %v", r.status, time.Since(begin))
	}
	rt = r.str("refresh_token")

	// A client that gives up: the request is dropped unprocessed. The
	// delay is far longer than waitAbandoned waits, so the handler must
	// notice the client leaving for the test to pass.
	iss.Inject(oauthtest.Fault{Kind: oauthtest.Slow, Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, iss.TokenURL(), strings.NewReader(url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {oauthtest.DefaultClientID}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if st := waitAbandoned(t, iss, 1); st.Refreshes != 1 || st.Succeeded != 1 {
		t.Errorf("abandoned request processed: stats %+v", st)
	}
	if r := post(t, iss, refreshParams(rt), false); r.status != 200 {
		t.Fatalf("refresh token consumed by an abandoned request: %d %s", r.status, r.raw)
	}
}

func TestConcurrentReplay(t *testing.T) {
	iss := start(t, oauthtest.Options{})
	rt := iss.Mint(oauthtest.DefaultClientID, "").RefreshToken.Reveal()
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() {
			r, err := tryPost(iss, refreshParams(rt), k%2 == 0)
			if err != nil {
				t.Error(err)
			}
			statuses[k] = r.status
		})
	}
	wg.Wait()
	slices.Sort(statuses)
	if statuses[0] != 200 || statuses[1] != 400 || statuses[n-1] != 400 {
		t.Errorf("statuses %v, want one 200", statuses)
	}
	if st := iss.Stats(); st.ReuseDetected != n-1 || st.FamiliesRevoked != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestRevokeAll(t *testing.T) {
	iss := start(t, oauthtest.Options{})
	a := iss.Mint(oauthtest.DefaultClientID, "")
	b := iss.Mint(oauthtest.DefaultClientID, "")
	if n := iss.RevokeAll(); n != 2 {
		t.Errorf("RevokeAll = %d", n)
	}
	if n := iss.RevokeAll(); n != 0 {
		t.Errorf("second RevokeAll = %d", n)
	}
	for _, tok := range []string{a.RefreshToken.Reveal(), b.RefreshToken.Reveal()} {
		if r := post(t, iss, refreshParams(tok), false); r.status != 400 || r.str("error") != "invalid_grant" {
			t.Errorf("revoked: %d %s", r.status, r.raw)
		}
	}
	if iss.Valid(a.AccessToken.Reveal()) || iss.Valid("tt_at_unknown") {
		t.Error("Valid accepts a revoked or unknown token")
	}
	if st := iss.Stats(); st.FamiliesRevoked != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestDiscoveryAndClose(t *testing.T) {
	iss, err := oauthtest.Start(oauthtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(iss.URL(), "http://127.0.0.1:") || iss.TokenURL() != iss.URL()+oauthtest.TokenPath {
		t.Errorf("URL %q TokenURL %q", iss.URL(), iss.TokenURL())
	}
	for _, p := range []string{oauthtest.DiscoveryPath, oauthtest.MetadataPath} {
		resp, err := http.Get(iss.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if err != nil || doc["issuer"] != iss.URL() || doc["token_endpoint"] != iss.TokenURL() {
			t.Errorf("%s: %v %v", p, doc, err)
		}
	}
	if ep := iss.Endpoint(); ep.TokenURL != iss.TokenURL() || ep.Issuer != iss.URL() {
		t.Errorf("Endpoint %+v", ep)
	}
	if err := iss.Close(); err != nil {
		t.Fatal(err)
	}
	iss.Close()
	if _, err := http.Get(iss.URL() + oauthtest.DiscoveryPath); err == nil {
		t.Error("issuer still answering after Close")
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := oauthtest.Start(oauthtest.Options{Clients: []oauthtest.ClientReg{{ID: "a"}, {ID: "a"}}}); err == nil {
		t.Error("duplicate client accepted")
	}
	if _, err := oauthtest.Start(oauthtest.Options{Clients: []oauthtest.ClientReg{{}}}); err == nil {
		t.Error("empty client ID accepted")
	}
	iss := start(t, oauthtest.Options{})
	addr := strings.TrimPrefix(iss.URL(), "http://")
	if _, err := oauthtest.Start(oauthtest.Options{Addr: addr}); err == nil {
		t.Error("second issuer on a busy address started")
	}
}
