package oauthflow

import "time"

// Token is the result of a token request (RFC 6749 §5.1).
//
// Times are wall-clock instants with the monotonic reading stripped, so they
// compare correctly after a suspend and survive a JSON round trip.
type Token struct {
	AccessToken  Secret
	RefreshToken Secret
	IDToken      Secret
	TokenType    string
	Scope        string
	// Expiry is when the access token expires; zero when unknown.
	Expiry time.Time
	// ExpirySource says where Expiry comes from: the server's expires_in,
	// the access token's own JWT "exp" claim (when expires_in was missing
	// or implausible), or nowhere (Expiry is zero).
	ExpirySource ExpirySource
	// RefreshExpiry is when the refresh token (the login) expires; zero when
	// the server did not send refresh_token_expires_in.
	RefreshExpiry time.Time
	// ObtainedAt is when the response was received.
	ObtainedAt time.Time
}

// ExpirySource tells where a token's expiry comes from.
type ExpirySource string

const (
	// ExpiryFromServer: the token response's expires_in (RFC 6749 §5.1).
	ExpiryFromServer ExpirySource = "server"
	// ExpiryFromJWT: the "exp" claim of the access token, a JWT (RFC 7519
	// §4.1.4, read unverified), because expires_in was missing,
	// non-positive or longer than [MaxExpiresIn].
	ExpiryFromJWT ExpirySource = "jwt"
	// ExpiryUnknown: neither gave a usable expiry; callers refresh on
	// their own schedule.
	ExpiryUnknown ExpirySource = "none"
	// ExpiryAssumed: the response had no usable expiry and the client's
	// AssumedLifetime was applied (from created_at when sent).
	ExpiryAssumed ExpirySource = "assumed"
)

// MaxExpiresIn is the longest expires_in taken at its word. Anything longer
// is implausible for an access token (mockoidc, for one, sends
// nanoseconds: 120000000000 for two minutes).
const MaxExpiresIn = 366 * 24 * time.Hour
