package oauthflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrBadMetadata is wrapped by discovery errors that retrying cannot fix:
// server metadata naming another issuer (RFC 8414 §3.3), lacking the
// token_endpoint, or not supporting PKCE with S256. [Classify] treats them
// as [Terminal].
var ErrBadMetadata = errors.New("unusable authorization server metadata")

// Well-known metadata locations.
const (
	// OpenID Connect Discovery 1.0 §4: appended to the issuer.
	wellKnownOIDC = "/.well-known/openid-configuration"
	// RFC 8414 §3.1: inserted between the host and the issuer's path.
	wellKnownOAuth = "/.well-known/oauth-authorization-server"
)

// metadata is the part of the server metadata (RFC 8414 §2, OpenID Connect
// Discovery 1.0 §3) that tokentray uses.
type metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
	// DeviceAuthorizationEndpoint is RFC 8628 §4.
	DeviceAuthorizationEndpoint string   `json:"device_authorization_endpoint"`
	IssParameterSupported       bool     `json:"authorization_response_iss_parameter_supported"`
	CodeChallengeMethods        []string `json:"code_challenge_methods_supported"`
	// TokenAuthMethods is token_endpoint_auth_methods_supported.
	TokenAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
}

// discovered caches metadata per configured issuer URL for discoveryTTL
// (timed with the client's Now), so a long-running instance notices a
// provider that moved its endpoints. Failures are not cached.
var discovered struct {
	mu sync.Mutex
	m  map[string]cachedMetadata
}

type cachedMetadata struct {
	md      *metadata
	fetched time.Time
}

// discoveryTTL is how long discovered metadata is used before it is
// fetched again (OpenID Connect Discovery 1.0 gives no lifetime; a day is
// what other clients use).
const discoveryTTL = 24 * time.Hour

// needsDiscovery reports whether e names an issuer but lacks an endpoint
// that discovery would supply.
func (e Endpoint) needsDiscovery() bool {
	return e.Issuer != "" && (e.AuthURL == "" || e.TokenURL == "")
}

// Discover fills the empty endpoints of c.Endpoint from the metadata of
// c.Endpoint.Issuer when the issuer is set and AuthURL or TokenURL is empty;
// otherwise it does nothing. Explicit endpoints are kept: they override
// discovered ones.
//
// It fetches {issuer}/.well-known/openid-configuration (OpenID Connect
// Discovery 1.0 §4) and, when that answers 404, the RFC 8414 §3.1 location
// /.well-known/oauth-authorization-server{issuer path}. The document's
// "issuer" must equal the configured one (RFC 8414 §3.3; a single trailing
// slash is ignored), it must name a token_endpoint, and when it lists
// code_challenge_methods_supported the list must include S256. Every
// endpoint must pass [CheckURL]. Successful results are cached per issuer
// URL for the life of the process.
//
// A client with a secret and ClientAuth AuthAuto authenticates with
// client_secret_basic when token_endpoint_auth_methods_supported lists it,
// else with client_secret_post.
//
// From the metadata it takes authorization_endpoint, token_endpoint,
// revocation_endpoint, device_authorization_endpoint (RFC 8628 §4), the
// issuer identifier as published, and
// authorization_response_iss_parameter_supported (RFC 9207).
//
// Discover modifies c, so it must not run concurrently with other uses of
// the same Client. [Client.StartSignIn], [Client.Refresh] and
// [Client.Revoke] discover by themselves when needed and never modify c.
//
// Failures are *Error with Op "discovery"; those that retrying cannot fix
// wrap [ErrBadMetadata].
func (c *Client) Discover(ctx context.Context) error {
	r, err := c.resolve(ctx)
	if err != nil {
		return err
	}
	c.Endpoint, c.discoveredAuth = r.Endpoint, r.discoveredAuth
	return nil
}

// resolve returns c itself when it needs no discovery, or else a shallow
// copy whose Endpoint is completed from the (cached) metadata.
func (c *Client) resolve(ctx context.Context) (*Client, error) {
	return c.resolveIf(ctx, c.Endpoint.needsDiscovery())
}

// resolveIf is resolve, discovering only when need is set (and an issuer
// is configured).
func (c *Client) resolveIf(ctx context.Context, need bool) (*Client, error) {
	if !need || c.Endpoint.Issuer == "" {
		return c, nil
	}
	md, err := c.metadata(ctx, c.Endpoint.Issuer)
	if err != nil {
		return nil, err
	}
	r := *c
	e := &r.Endpoint
	if e.AuthURL == "" {
		e.AuthURL = md.AuthorizationEndpoint
	}
	if e.TokenURL == "" {
		e.TokenURL = md.TokenEndpoint
	}
	if e.RevocationURL == "" {
		e.RevocationURL = md.RevocationEndpoint
	}
	if e.DeviceAuthURL == "" {
		e.DeviceAuthURL = md.DeviceAuthorizationEndpoint
	}
	if slices.Contains(md.TokenAuthMethods, "client_secret_basic") {
		r.discoveredAuth = AuthBasic
	} else {
		r.discoveredAuth = AuthPost
	}
	e.Issuer = md.Issuer
	e.IssParameterSupported = e.IssParameterSupported || md.IssParameterSupported
	return &r, nil
}

// metadata returns the cached metadata of issuer or fetches it.
func (c *Client) metadata(ctx context.Context, issuer string) (*metadata, error) {
	fresh := func(e cachedMetadata) bool {
		now := c.now()
		return e.md != nil && !now.Before(e.fetched) && now.Sub(e.fetched) < discoveryTTL
	}
	discovered.mu.Lock()
	cached := discovered.m[issuer]
	discovered.mu.Unlock()
	if fresh(cached) {
		return cached.md, nil
	}
	md, err := c.fetchMetadata(ctx, issuer)
	if err != nil {
		return nil, err
	}
	discovered.mu.Lock()
	defer discovered.mu.Unlock()
	if discovered.m == nil {
		discovered.m = make(map[string]cachedMetadata)
	}
	if prev := discovered.m[issuer]; prev.md != cached.md && fresh(prev) {
		return prev.md, nil // a concurrent caller was first
	}
	discovered.m[issuer] = cachedMetadata{md: md, fetched: c.now()}
	return md, nil
}

func (c *Client) fetchMetadata(ctx context.Context, issuer string) (*metadata, error) {
	fail := func(status int, format string, args ...any) (*metadata, error) {
		return nil, &Error{Op: "discovery", StatusCode: status, Err: fmt.Errorf(format, args...)}
	}
	if err := CheckURL(issuer); err != nil {
		return fail(0, "issuer: %w", err)
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return fail(0, "issuer: %w", err)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fail(0, "issuer %q must not have a query or fragment", redactURL(u))
	}
	oidc := strings.TrimSuffix(issuer, "/") + wellKnownOIDC
	rfc := *u
	rfc.Path = wellKnownOAuth + strings.TrimSuffix(u.Path, "/")
	rfc.RawPath = ""

	var data []byte
	for n, loc := range []string{oidc, rfc.String()} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
		if err != nil {
			return fail(0, "%w", err)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "tokentray/"+Version)
		resp, body, err := c.do(req)
		if err != nil {
			return fail(statusOf(resp), "%w", err)
		}
		if resp.StatusCode == http.StatusNotFound && n == 0 {
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return nil, &Error{Op: "discovery", StatusCode: resp.StatusCode,
				Err: fmt.Errorf("GET %s: unexpected status", loc)}
		}
		data = body
		break
	}

	return parseMetadata(issuer, data)
}

// parseMetadata decodes and checks a metadata document of issuer.
func parseMetadata(issuer string, data []byte) (*metadata, error) {
	fail := func(status int, format string, args ...any) (*metadata, error) {
		return nil, &Error{Op: "discovery", StatusCode: status, Err: fmt.Errorf(format, args...)}
	}
	var md metadata
	if err := json.Unmarshal(data, &md); err != nil {
		return fail(0, "decoding metadata of %s: %w", issuer, err)
	}
	if md.Issuer == "" && md.TokenEndpoint == "" {
		return fail(0, "decoding metadata of %s: not a metadata document", issuer)
	}
	if !sameIssuer(md.Issuer, issuer) {
		return fail(0, "metadata issuer %q does not match the configured issuer %q: %w",
			scrub(md.Issuer, nil, maxDescription), issuer, ErrBadMetadata)
	}
	if md.TokenEndpoint == "" {
		return fail(0, "metadata of %s has no token_endpoint: %w", issuer, ErrBadMetadata)
	}
	if md.CodeChallengeMethods != nil && !slices.Contains(md.CodeChallengeMethods, "S256") {
		return fail(0, "%s does not support PKCE with S256 (RFC 7636): %w", issuer, ErrBadMetadata)
	}
	for _, ep := range []struct{ name, url string }{
		{"authorization_endpoint", md.AuthorizationEndpoint},
		{"token_endpoint", md.TokenEndpoint},
		{"revocation_endpoint", md.RevocationEndpoint},
		{"device_authorization_endpoint", md.DeviceAuthorizationEndpoint},
	} {
		if ep.url == "" {
			continue
		}
		if err := CheckURL(ep.url); err != nil {
			return fail(0, "metadata of %s: %s: %w (%w)", issuer, ep.name, err, ErrBadMetadata)
		}
	}
	return &md, nil
}
