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
	// Expiry is when the access token expires; zero when the server did not
	// say (no expires_in).
	Expiry time.Time
	// RefreshExpiry is when the refresh token (the login) expires; zero when
	// the server did not send refresh_token_expires_in.
	RefreshExpiry time.Time
	// ObtainedAt is when the response was received.
	ObtainedAt time.Time
}
