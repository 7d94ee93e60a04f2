// Package providertest makes the fake issuer (oauthflow/oauthtest) behave
// like a real provider where it matters to a client: it serves the
// provider's own endpoint paths on loopback, in front of an
// oauthtest.Issuer, and reproduces the provider's quirks (no refresh token
// without access_type=offline or offline_access, form-encoded answers
// unless Accept: application/json, created_at instead of expires_in, a
// required client secret, no rotation). [Server.Client] routes requests
// for the provider's real host names to it, so a preset's real URLs are
// exercised unchanged.
package providertest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tokentray/tokentray/oauthflow/oauthtest"
	"github.com/tokentray/tokentray/oauthflow/provider"
)

// Behavior is what a provider does differently from the plain fake issuer.
type Behavior struct {
	// RequireAuthParams: the code grant gives a refresh token only when the
	// authorization request carried these parameters (Google:
	// access_type=offline, prompt=consent).
	RequireAuthParams map[string]string
	// OfflineScope: the code grant gives a refresh token only when the
	// granted scope includes it (offline_access).
	OfflineScope string
	// FormUnlessAcceptJSON: token responses are form-encoded unless the
	// request says Accept: application/json (GitHub).
	FormUnlessAcceptJSON bool
	// CreatedAtNoExpiresIn: token responses carry created_at instead of
	// expires_in (some GitLab versions).
	CreatedAtNoExpiresIn bool
	// ClientSecret, when set, registers the client as confidential: token
	// requests without it fail with invalid_client.
	ClientSecret string
	// NoRotation: refreshes keep the refresh token (Google).
	NoRotation bool
	// RefreshTTL is the login lifetime reported as
	// refresh_token_expires_in (GitHub App user tokens: 6 months).
	RefreshTTL time.Duration
	// AccessTTL is the access token lifetime (0: one hour).
	AccessTTL time.Duration
}

// ClientID is the client registered at every emulated provider.
const ClientID = "tokentray-test-client"

// For returns the behaviour of the named preset's provider.
func For(name string) Behavior {
	switch name {
	case "google":
		return Behavior{
			RequireAuthParams: map[string]string{"access_type": "offline", "prompt": "consent"},
			ClientSecret:      "google-desktop-secret", NoRotation: true,
		}
	case "microsoft", "okta", "auth0", "keycloak":
		return Behavior{OfflineScope: "offline_access"}
	case "github":
		return Behavior{FormUnlessAcceptJSON: true, ClientSecret: "github-secret",
			AccessTTL: 8 * time.Hour, RefreshTTL: 4380 * time.Hour}
	case "gitlab":
		return Behavior{CreatedAtNoExpiresIn: true, AccessTTL: 2 * time.Hour}
	}
	return Behavior{}
}

// Seen is one request the emulated provider received.
type Seen struct {
	Method, Path string
	Accept       string
	ContentType  string
	// Query is the authorization request's query; Params the token or
	// revocation request's body parameters, with credentials replaced by
	// "[redacted]" (their presence is kept).
	Query  url.Values
	Params map[string]string
}

// Server is an emulated provider.
type Server struct {
	Issuer   *oauthtest.Issuer
	Settings provider.Settings
	Behavior Behavior

	ln       net.Listener
	srv      *http.Server
	hosts    []string // the real host names routed here
	authPath string
	tokPath  string
	revPath  string
	now      func() time.Time

	mu    sync.Mutex
	seen  []Seen
	codes map[string]url.Values // authorization code -> its request's query
}

// Start runs an emulated provider for settings (a resolved preset) with
// behaviour b, in front of a new fake issuer whose client ClientID accepts
// loopback redirects.
func Start(s provider.Settings, b Behavior) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return start(ln, s, b)
}

// StartLoopback runs an emulated provider for preset p whose url or
// domain parameter is its own loopback address (http://127.0.0.1:PORT),
// for tests that cannot reroute host names, such as a tokentray process.
// BaseURL returns that address.
func StartLoopback(p provider.Preset, params map[string]string, b Behavior) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	all := map[string]string{}
	for k, v := range params {
		all[k] = v
	}
	for _, q := range p.Params {
		if q.Name == provider.ParamURL || q.Name == provider.ParamDomain {
			all[q.Name] = "http://" + ln.Addr().String()
		}
	}
	s, err := p.Resolve(all)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return start(ln, s, b)
}

// BaseURL is the server's own URL.
func (p *Server) BaseURL() string { return "http://" + p.Addr() }

func start(ln net.Listener, s provider.Settings, b Behavior) (*Server, error) {
	iss, err := oauthtest.Start(oauthtest.Options{
		AccessTTL:  b.AccessTTL,
		RefreshTTL: b.RefreshTTL,
		NoRotation: b.NoRotation,
		Clients: []oauthtest.ClientReg{{ID: ClientID, Secret: b.ClientSecret,
			RedirectURIs: oauthtest.DefaultRedirectURIs}},
		Scopes: scopesOf(s.Scopes),
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	p := &Server{Issuer: iss, Settings: s, Behavior: b, ln: ln, now: time.Now, codes: map[string]url.Values{}}
	for _, raw := range []string{s.Endpoint.AuthURL, s.Endpoint.TokenURL, s.Endpoint.RevocationURL} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			ln.Close()
			iss.Close()
			return nil, err
		}
		if !slices.Contains(p.hosts, u.Host) {
			p.hosts = append(p.hosts, u.Host)
		}
		switch raw {
		case s.Endpoint.AuthURL:
			p.authPath = u.Path
		case s.Endpoint.TokenURL:
			p.tokPath = u.Path
		default:
			p.revPath = u.Path
		}
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// scopesOf is the scopes the fake issuer grants: the preset's and a few
// API scopes tests ask for.
func scopesOf(s []string) []string {
	out := append([]string{"openid", "offline_access", "profile", "email", "api"}, s...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Close stops the server and its issuer.
func (p *Server) Close() {
	p.srv.Close()
	p.Issuer.Close()
}

// Addr is the loopback address the provider's hosts are routed to.
func (p *Server) Addr() string { return p.ln.Addr().String() }

// Client returns an HTTP client that sends requests for the provider's
// host names to this server (over plain HTTP) and everything else, such
// as the loopback redirect, where it belongs.
func (p *Server) Client() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &route{hosts: p.hosts, addr: p.Addr()}}
}

// Browser returns a browser stand-in that reaches this server for the
// provider's host names.
func (p *Server) Browser() *oauthtest.Browser {
	return &oauthtest.Browser{Client: p.Client()}
}

// Seen returns the requests received so far, oldest first.
func (p *Server) Seen() []Seen {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

type route struct {
	hosts []string
	addr  string
}

func (r *route) RoundTrip(req *http.Request) (*http.Response, error) {
	if slices.Contains(r.hosts, req.URL.Host) {
		req = req.Clone(req.Context())
		req.URL.Scheme, req.URL.Host = "http", r.addr
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (p *Server) serve(w http.ResponseWriter, r *http.Request) {
	s := Seen{Method: r.Method, Path: r.URL.Path, Accept: r.Header.Get("Accept"), ContentType: r.Header.Get("Content-Type")}
	switch r.URL.Path {
	case p.authPath:
		s.Query = r.URL.Query()
		p.record(s)
		p.authorize(w, r)
	case p.tokPath, p.revPath:
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		form, _ := url.ParseQuery(string(body))
		s.Params = map[string]string{}
		for k := range form {
			s.Params[k] = form.Get(k)
			switch k {
			case "refresh_token", "client_secret", "code", "code_verifier", "token":
				s.Params[k] = "[redacted]"
			}
		}
		p.record(s)
		target := oauthtest.TokenPath
		if r.URL.Path == p.revPath {
			target = oauthtest.RevocationPath
		}
		p.forward(w, r, target, body, form)
	default:
		p.record(s)
		http.NotFound(w, r) // no discovery documents: presets need none
	}
}

func (p *Server) record(s Seen) {
	p.mu.Lock()
	p.seen = append(p.seen, s)
	p.mu.Unlock()
}

// authorize forwards to the fake issuer's authorization endpoint and
// passes its redirect on, without the iss parameter (none of these
// providers promises it without discovery metadata).
func (p *Server) authorize(w http.ResponseWriter, r *http.Request) {
	u := p.Issuer.AuthorizeURL() + "?" + r.URL.RawQuery
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(u)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if loc := resp.Header.Get("Location"); loc != "" {
		lu, err := url.Parse(loc)
		if err == nil {
			q := lu.Query()
			q.Del("iss")
			if code := q.Get("code"); code != "" {
				p.mu.Lock()
				p.codes[code] = r.URL.Query()
				p.mu.Unlock()
			}
			lu.RawQuery = q.Encode()
			w.Header().Set("Location", lu.String())
		}
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
}

func (p *Server) forward(w http.ResponseWriter, r *http.Request, target string, body []byte, form url.Values) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, p.Issuer.URL()+target, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for _, h := range []string{"Content-Type", "Accept", "Authorization", "User-Agent"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if target == oauthtest.TokenPath && resp.StatusCode == http.StatusOK {
		data = p.quirks(data, form)
	}
	if p.Behavior.FormUnlessAcceptJSON && !strings.Contains(r.Header.Get("Accept"), "application/json") {
		if f, err := jsonToForm(data); err == nil {
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			w.WriteHeader(resp.StatusCode)
			w.Write(f)
			return
		}
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	w.Write(data)
}

// quirks rewrites a successful token response the way the provider would
// have answered.
func (p *Server) quirks(data []byte, form url.Values) []byte {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return data
	}
	b := p.Behavior
	if form.Get("grant_type") == "authorization_code" {
		p.mu.Lock()
		q := p.codes[form.Get("code")]
		p.mu.Unlock()
		for k, v := range b.RequireAuthParams {
			if q.Get(k) != v {
				delete(m, "refresh_token")
			}
		}
		if b.OfflineScope != "" {
			scope, _ := m["scope"].(string)
			if !slices.Contains(strings.Fields(scope), b.OfflineScope) {
				delete(m, "refresh_token")
			}
		}
	}
	if b.CreatedAtNoExpiresIn {
		delete(m, "expires_in")
		m["created_at"] = p.now().Unix()
	}
	out, err := json.Marshal(m)
	if err != nil {
		return data
	}
	return out
}

func jsonToForm(data []byte) ([]byte, error) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not an object")
	}
	v := url.Values{}
	for k, x := range m {
		switch x := x.(type) {
		case string:
			v.Set(k, x)
		default:
			b, _ := json.Marshal(x)
			v.Set(k, string(b))
		}
	}
	return []byte(v.Encode()), nil
}
