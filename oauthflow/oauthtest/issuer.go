package oauthtest

import (
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
)

// DefaultClientID is registered as a public client (no secret) when
// Options.Clients is empty.
const DefaultClientID = "tokentray-demo"

// DefaultRedirectURIs are registered for the DefaultClientID client: the
// loopback redirect URIs with path /callback. Any port matches (RFC 8252
// §7.3).
var DefaultRedirectURIs = []string{"http://127.0.0.1/callback", "http://[::1]/callback", "http://localhost/callback"}

// DefaultScopes are the scopes the issuer knows when Options.Scopes is
// empty.
var DefaultScopes = []string{"openid", "offline_access", "profile", "email"}

// Paths served by an Issuer, relative to its URL.
const (
	AuthorizePath  = "/authorize"
	RevocationPath = "/revoke"
	TokenPath      = "/token"
	DiscoveryPath  = "/.well-known/openid-configuration"
	// MetadataPath serves the same document as DiscoveryPath (RFC 8414).
	MetadataPath = "/.well-known/oauth-authorization-server"
	// DeviceAuthorizationPath is the device authorization endpoint
	// (RFC 8628 §3.1) and VerificationPath the page where the user enters
	// the user code (§3.3).
	DeviceAuthorizationPath = "/device/code"
	VerificationPath        = "/device"
)

// maxRequestLog bounds the request log kept for Requests.
const maxRequestLog = 1000

// Options configure an Issuer. The zero value is usable.
type Options struct {
	// Addr is the listen address; "" means "127.0.0.1:0" (a free port).
	Addr string
	// AccessTTL is the access token lifetime sent as expires_in; 0 means one
	// hour, a negative value omits expires_in.
	AccessTTL time.Duration
	// RefreshTTL is the lifetime of a login (a token family), counted from
	// Mint, like the hard login lifetime of some providers. Refreshing does
	// not extend it; every response reports the remaining time as
	// refresh_token_expires_in. 0 means logins never expire and the field
	// is not sent.
	RefreshTTL time.Duration
	// NoRotation makes refreshes return no refresh_token and keep the old
	// one valid. By default every refresh rotates the refresh token.
	NoRotation bool
	// StringNumbers sends expires_in and refresh_token_expires_in as JSON
	// strings ("3600"), as some servers do.
	StringNumbers bool
	// NanosecondExpiresIn sends expires_in in nanoseconds (120000000000
	// for two minutes), as oauth2-proxy's mockoidc does.
	NanosecondExpiresIn bool
	// JWTAccessTokens issues access tokens that are unsigned JWTs (alg
	// "none") carrying iss, sub, aud, iat, jti and, when they expire,
	// exp, as mockoidc and many real servers do, instead of opaque strings.
	JWTAccessTokens bool
	// NoRefreshToken issues no refresh token, as a server does when
	// offline_access is not granted: code exchanges and device grants
	// answer without refresh_token (Mint too).
	NoRefreshToken bool
	// Clients are the registered clients; empty means one public client
	// with ID DefaultClientID and DefaultRedirectURIs.
	Clients []ClientReg
	// Scopes are the scopes the authorization endpoint grants; an
	// authorization request asking for another one fails with
	// invalid_scope. Empty means DefaultScopes.
	Scopes []string
	// User is who signs in at the authorization endpoint; it appears in ID
	// tokens.
	User User
	// CodeTTL is how long an authorization code stays valid, on the
	// issuer's clock; 0 means 60 s.
	CodeTTL time.Duration
	// Consent is the initial answer of the authorization endpoint (see
	// Issuer.SetConsent); the zero value grants every valid request.
	Consent Consent
	// DeviceTTL is the lifetime of a device code (RFC 8628 §3.2
	// expires_in); 0 means DefaultDeviceTTL.
	DeviceTTL time.Duration
	// DeviceInterval is the polling interval the device authorization
	// endpoint sends; 0 means DefaultDeviceInterval, a negative value
	// sends none (the client then uses 5 s) and enforces none. A poll
	// sooner than the interval after the previous one (on the issuer's
	// clock) answers slow_down (§3.5).
	DeviceInterval time.Duration
	// TokenAuthMethods is the token_endpoint_auth_methods_supported list
	// of the metadata; nil means none, client_secret_post and
	// client_secret_basic.
	TokenAuthMethods []string
	// Now is the issuer's clock; nil means time.Now. Device sign-in tests
	// share it with the client, whose polls it times.
	Now func() time.Time
	// EchoSecrets makes the issuer as careless as a real one can be: every
	// error answer of the token, device authorization and revocation
	// endpoints, and every error redirect of the authorization endpoint,
	// repeats in its error_description each credential of the request
	// (refresh token, code, code verifier, device code, token, client
	// secret, state, code challenge), as sent, form-encoded and shortened,
	// and every token and code the issuer has issued. See [EchoMarker].
	EchoSecrets bool
}

// ClientReg is a client registration.
type ClientReg struct {
	ID string
	// Secret, when not empty, makes the client confidential: token requests
	// must carry it (client_secret in the body or HTTP Basic, RFC 6749
	// §2.3.1). Requests from a public client may omit it.
	Secret string
	// AuthMethod, when set, is the only client authentication method
	// accepted from a confidential client: "client_secret_basic" (HTTP
	// Basic, ID and secret form-urlencoded first) or "client_secret_post"
	// (in the body). Another method answers 401 invalid_client naming the
	// expected one, as Hydra does. "" accepts both.
	AuthMethod string
	// RedirectURIs are the registered redirect URIs. The authorization
	// endpoint accepts a redirect_uri equal to one of them, except that
	// for an http URI on a loopback host (127.0.0.1, [::1], localhost) any
	// port matches (RFC 8252 §7.3). A client without any cannot use the
	// authorization endpoint.
	RedirectURIs []string
}

// User is the identity that signs in at the authorization endpoint.
type User struct {
	// Subject is the ID token's "sub"; "" means "user-N", N being the
	// login's number.
	Subject string
	// Email and Name, when set, are the "email" and "name" claims.
	Email, Name string
}

// Stats counts what the issuer has done.
type Stats struct {
	// Requests counts every request to the token endpoint.
	Requests int
	// FaultsServed counts requests answered by an injected Fault.
	FaultsServed int
	// Refreshes counts refresh_token grants examined (faulted requests and
	// requests failing client authentication are not counted).
	Refreshes int
	// Succeeded counts token responses issued by the token endpoint.
	Succeeded int
	// Rejected counts OAuth error responses (RFC 6749 §5.2) that were not
	// injected faults.
	Rejected int
	// ReuseDetected counts replays of refresh tokens that had already been
	// rotated.
	ReuseDetected int
	// FamiliesRevoked counts token families revoked, by refresh token reuse
	// detection, authorization code replay, revocation requests or
	// RevokeAll.
	FamiliesRevoked int
	// Minted counts token families created by Mint.
	Minted int
	// AuthorizeRequests counts requests to the authorization endpoint.
	AuthorizeRequests int
	// Authorizations counts authorization codes issued.
	Authorizations int
	// CodeExchanges counts authorization codes exchanged for tokens (each
	// creates a token family).
	CodeExchanges int
	// CodeReplays counts attempts to use an authorization code again.
	CodeReplays int
	// Revocations counts revocation requests that revoked a login
	// (RFC 7009).
	Revocations int
	// Discoveries counts requests for the metadata documents.
	Discoveries int
	// DeviceAuthorizations counts device codes issued (RFC 8628 §3.2),
	// DevicePolls the device_code grants examined, DeviceSlowDowns the
	// slow_down answers and DeviceGrants the tokens issued to devices.
	DeviceAuthorizations, DevicePolls, DeviceSlowDowns, DeviceGrants int
	// Abandoned counts requests dropped unanswered and unprocessed
	// because the client went away while they were held by
	// Consent.Delay or a Slow fault. The count is updated before the
	// handler returns, so once it has grown, the abandoned request can
	// no longer issue or rotate anything.
	Abandoned int
}

// Request is one request to the token endpoint, as the issuer saw it.
type Request struct {
	ContentType string
	UserAgent   string
	Accept      string
	// Params are the body parameters (form or JSON). The values of
	// refresh_token, client_secret, code and code_verifier are replaced by
	// "[redacted]"; whether they were present is kept.
	Params map[string]string
	// BasicAuth reports whether HTTP Basic client authentication was used.
	BasicAuth bool
	// Fault is the injected fault that answered the request, 0 if none.
	Fault FaultKind
}

// Issuer is a fake OAuth 2.0 / OpenID Connect authorization server on a
// loopback HTTP listener. It is safe for concurrent use.
type Issuer struct {
	opts    Options
	url     string
	srv     *http.Server
	done    chan struct{}
	closing sync.Once
	clients map[string]ClientReg
	scopes  []string

	mu       sync.Mutex
	families []*family
	refresh  map[string]*refreshState
	access   map[string]accessState
	issued   []string
	stats    Stats
	requests []Request
	queue    []Fault
	failAll  *Fault
	codes    map[string]*authCode
	consent  Consent

	devices      map[string]*deviceAuth // by device code
	deviceByUser map[string]string      // normalised user code -> device code
}

// Start listens on opts.Addr and serves the issuer until Close.
func Start(opts Options) (*Issuer, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.AccessTTL == 0 {
		opts.AccessTTL = time.Hour
	}
	if len(opts.Clients) == 0 {
		opts.Clients = []ClientReg{{ID: DefaultClientID, RedirectURIs: DefaultRedirectURIs}}
	}
	if len(opts.Scopes) == 0 {
		opts.Scopes = DefaultScopes
	}
	if opts.CodeTTL <= 0 {
		opts.CodeTTL = time.Minute
	}
	clients := make(map[string]ClientReg, len(opts.Clients))
	for _, c := range opts.Clients {
		if c.ID == "" {
			return nil, errors.New("oauthtest: client with empty ID")
		}
		switch c.AuthMethod {
		case "", "client_secret_basic", "client_secret_post":
		default:
			return nil, errors.New("oauthtest: unknown AuthMethod " + c.AuthMethod)
		}
		if _, dup := clients[c.ID]; dup {
			return nil, errors.New("oauthtest: duplicate client " + c.ID)
		}
		c.RedirectURIs = slices.Clone(c.RedirectURIs)
		clients[c.ID] = c
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, err
	}
	i := &Issuer{
		opts:         opts,
		url:          "http://" + ln.Addr().String(),
		done:         make(chan struct{}),
		clients:      clients,
		refresh:      make(map[string]*refreshState),
		access:       make(map[string]accessState),
		codes:        make(map[string]*authCode),
		devices:      make(map[string]*deviceAuth),
		deviceByUser: make(map[string]string),
		scopes:       slices.Clone(opts.Scopes),
		consent:      opts.Consent,
	}
	mux := http.NewServeMux()
	mux.HandleFunc(TokenPath, i.handleToken)
	mux.HandleFunc(AuthorizePath, i.handleAuthorize)
	mux.HandleFunc(RevocationPath, i.handleRevoke)
	mux.HandleFunc(DiscoveryPath, i.handleDiscovery)
	mux.HandleFunc(MetadataPath, i.handleDiscovery)
	mux.HandleFunc(DeviceAuthorizationPath, i.handleDeviceAuthorization)
	mux.HandleFunc(VerificationPath, i.handleVerification)
	var h http.Handler = mux
	if opts.EchoSecrets {
		h = i.echoSecrets(mux)
	}
	i.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go i.srv.Serve(ln)
	return i, nil
}

// Close stops the server and drops open connections. It is safe to call
// more than once.
func (i *Issuer) Close() error {
	var err error
	i.closing.Do(func() {
		close(i.done)
		err = i.srv.Close()
	})
	return err
}

// URL returns the issuer identifier, e.g. "http://127.0.0.1:41234".
func (i *Issuer) URL() string { return i.url }

// TokenURL returns the token endpoint URL.
func (i *Issuer) TokenURL() string { return i.url + TokenPath }

// AuthorizeURL returns the authorization endpoint URL.
func (i *Issuer) AuthorizeURL() string { return i.url + AuthorizePath }

// RevocationURL returns the revocation endpoint URL (RFC 7009).
func (i *Issuer) RevocationURL() string { return i.url + RevocationPath }

// Endpoint returns the issuer's endpoints in oauthflow form, as discovery
// would find them.
func (i *Issuer) Endpoint() oauthflow.Endpoint {
	return oauthflow.Endpoint{
		AuthURL:               i.AuthorizeURL(),
		TokenURL:              i.TokenURL(),
		RevocationURL:         i.RevocationURL(),
		DeviceAuthURL:         i.DeviceAuthorizationURL(),
		Issuer:                i.url,
		IssParameterSupported: true,
	}
}

// Stats returns a snapshot of the counters.
func (i *Issuer) Stats() Stats {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.stats
}

// IssuedSecrets returns every access, refresh and ID token and every
// authorization code the issuer has handed out, in order, so that a test can check that none of them leaked
// into logs or output.
func (i *Issuer) IssuedSecrets() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return slices.Clone(i.issued)
}

// Requests returns the most recent token endpoint requests (up to 1000),
// oldest first.
func (i *Issuer) Requests() []Request {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make([]Request, len(i.requests))
	for n, r := range i.requests {
		r.Params = cloneMap(r.Params)
		out[n] = r
	}
	return out
}

// Mint starts a new login (token family) for clientID as if the user had
// just signed in, and returns its tokens; it seeds a token store without a
// browser. An ID token is included when scope contains "openid". The client
// need not be registered, but tokens of an unregistered client cannot be
// refreshed.
func (i *Issuer) Mint(clientID, scope string) oauthflow.Token {
	i.mu.Lock()
	defer i.mu.Unlock()
	now := i.now()
	f := i.newFamilyLocked(clientID, scope, "", now)
	i.stats.Minted++
	return i.issueLocked(f, scope, true, now).token(now)
}

// Valid reports whether accessToken was issued here, has not expired and
// belongs to a login that has not been revoked.
func (i *Issuer) Valid(accessToken string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	a, ok := i.access[accessToken]
	if !ok || a.fam.revoked {
		return false
	}
	return a.expiry.IsZero() || i.now().Before(a.expiry)
}

// RevokeAll revokes every login, as a server-side sign-out would, and
// returns how many were revoked.
func (i *Issuer) RevokeAll() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	n := 0
	for _, f := range i.families {
		if !f.revoked {
			f.revoked = true
			n++
		}
	}
	i.stats.FamiliesRevoked += n
	return n
}

// newFamilyLocked starts a login. i.mu must be held.
func (i *Issuer) newFamilyLocked(client, scope, nonce string, now time.Time) *family {
	f := &family{id: len(i.families) + 1, client: client, scope: scope, nonce: nonce}
	if i.opts.RefreshTTL > 0 {
		f.loginExpiry = now.Add(i.opts.RefreshTTL)
	}
	i.families = append(i.families, f)
	return f
}

func (i *Issuer) now() time.Time {
	if i.opts.Now != nil {
		return i.opts.Now().Round(0)
	}
	return time.Now().Round(0)
}

// authenticate checks client authentication (RFC 6749 §2.3.1, §3.2.1).
func (i *Issuer) authenticate(r *http.Request, p map[string]string) (ClientReg, *oauthError) {
	id, secret, basic := r.BasicAuth()
	if basic {
		id, secret = formUnescape(id), formUnescape(secret)
		if pid, ok := p["client_id"]; ok && pid != id {
			return ClientReg{}, errInvalidRequest("client_id does not match HTTP Basic credentials")
		}
	} else {
		id, secret = p["client_id"], p["client_secret"]
	}
	fail := func(desc string) (ClientReg, *oauthError) {
		e := &oauthError{status: http.StatusUnauthorized, code: "invalid_client", desc: desc}
		if basic {
			e.header = map[string]string{"WWW-Authenticate": `Basic realm="oauthtest"`}
		}
		return ClientReg{}, e
	}
	if id == "" {
		return fail("missing client_id")
	}
	c, ok := i.clients[id]
	if !ok {
		return fail("unknown client")
	}
	if c.Secret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return fail("client authentication failed")
	}
	used := "client_secret_post"
	if basic {
		used = "client_secret_basic"
	}
	if c.Secret != "" && c.AuthMethod != "" && used != c.AuthMethod {
		return fail("Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method). " +
			"The OAuth 2.0 Client supports client authentication method '" + c.AuthMethod + "', but method '" + used + "' was requested. " +
			"You must configure the OAuth 2.0 client's 'token_endpoint_auth_method' value to accept '" + used + "'.")
	}
	return c, nil
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// hasScopes reports whether every scope in req is in granted (RFC 6749 §3.3).
func hasScopes(granted, req string) bool {
	have := strings.Fields(granted)
	for _, s := range strings.Fields(req) {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}
