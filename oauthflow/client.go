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
	ClientSecret Secret // optional; sent in the request body when set
	Scopes       []string
	Endpoint     Endpoint
	TokenBody    BodyEncoding // "" means BodyForm

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
}
