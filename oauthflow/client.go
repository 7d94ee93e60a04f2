package oauthflow

import (
	"context"
	"net/http"
	"time"
)

// Version is reported in the User-Agent header; cmd sets it at link time.
var Version = "dev"

// BodyEncoding selects how token requests are encoded. RFC 6749 §4.1.3 and
// §6 specify application/x-www-form-urlencoded; some providers (Anthropic,
// OpenAI) expect a JSON object with the same field names instead.
type BodyEncoding string

const (
	BodyForm BodyEncoding = "form"
	BodyJSON BodyEncoding = "json"
)

// ClientAuth is how the client authenticates at the token, revocation and
// device authorization endpoints (RFC 6749 §2.3.1).
type ClientAuth string

const (
	// AuthAuto (the zero value) chooses: AuthNone without a secret;
	// with one, AuthBasic when discovery's
	// token_endpoint_auth_methods_supported offers client_secret_basic,
	// else AuthPost.
	AuthAuto ClientAuth = ""
	// AuthBasic sends the client ID and secret in an HTTP Basic
	// Authorization header, each form-urlencoded first (client_secret_basic).
	AuthBasic ClientAuth = "basic"
	// AuthPost sends client_id and client_secret in the request body
	// (client_secret_post).
	AuthPost ClientAuth = "post"
	// AuthNone sends only client_id in the body: a public client (RFC 6749
	// §2.1, "none" in RFC 7591). A secret, if configured, is not sent.
	AuthNone ClientAuth = "none"
)

// Endpoint holds a server's endpoint URLs.
type Endpoint struct {
	AuthURL       string // authorization endpoint (RFC 6749 §3.1)
	TokenURL      string // token endpoint (RFC 6749 §3.2)
	RevocationURL string // optional (RFC 7009)
	// DeviceAuthURL is the device authorization endpoint (RFC 8628 §3.1),
	// optional; discovery fills it from device_authorization_endpoint.
	DeviceAuthURL string
	// Issuer is the issuer identifier, checked against the "iss" callback
	// parameter when IssParameterSupported is set (RFC 9207).
	Issuer                string
	IssParameterSupported bool
}

// Client is one OAuth client registration at one authorization server. The
// user supplies it; tokentray never borrows another vendor's client ID.
type Client struct {
	ClientID     string
	ClientSecret Secret // optional; sent as ClientAuth says
	// ClientAuth is the client authentication method; see [AuthAuto].
	ClientAuth ClientAuth
	Scopes     []string
	Endpoint   Endpoint
	TokenBody  BodyEncoding // "" means BodyForm
	// AssumedLifetime, when set, is the access token lifetime assumed for
	// a token response without expires_in (RFC 6749 §5.1 makes it
	// optional), counted from the response's created_at (seconds since
	// the epoch, as GitLab sends it) or else from receipt. Zero keeps such
	// an expiry unknown.
	AssumedLifetime time.Duration

	// HTTPClient is used for every request; nil means a client with a 30 s
	// timeout.
	HTTPClient *http.Client
	// Now is the clock used to turn expires_in into an instant; nil means
	// time.Now.
	Now func() time.Time
	// Sleep waits d, or until ctx is done (it then returns ctx.Err()),
	// between the polls of a device sign-in ([Client.PollDevice]); nil
	// means a real timer. Tests pass one that advances their clock.
	Sleep func(ctx context.Context, d time.Duration) error

	// discoveredAuth is the method AuthAuto picks for a client with a
	// secret, from the discovered metadata ("" without discovery).
	discoveredAuth ClientAuth
}

// authMethod is the client authentication method requests use.
func (c *Client) authMethod() ClientAuth {
	switch {
	case c.ClientAuth != AuthAuto:
		return c.ClientAuth
	case c.ClientSecret.IsZero():
		return AuthNone
	case c.discoveredAuth != "":
		return c.discoveredAuth
	}
	return AuthPost
}
