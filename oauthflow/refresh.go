package oauthflow

import "context"

// Refresh exchanges refreshToken for a new token with the refresh_token
// grant (RFC 6749 §6) at c.Endpoint.TokenURL.
//
// The request carries grant_type, refresh_token, client_id and, when set,
// client_secret, encoded as c.TokenBody says. No scope is sent, which asks
// for the scope originally granted (§6).
//
// When the response has no refresh_token the server did not rotate it, and
// the returned Token keeps refreshToken (§6). RefreshExpiry is zero when the
// response has no refresh_token_expires_in; callers that know an earlier
// login expiry should keep it then. Expiry, RefreshExpiry and ObtainedAt are
// computed from c.Now.
//
// Servers that rotate refresh tokens invalidate refreshToken once they have
// answered, so the caller must store the returned token before anything
// else, and must never send the same refresh token twice (RFC 9700 §4.14.2).
//
// When TokenURL is empty and Endpoint.Issuer is set, the token endpoint is
// discovered first (see [Client.Discover]); c is not modified.
//
// Failures are *Error; see [Classify]. A cancelled ctx yields an error for
// which errors.Is(err, context.Canceled) holds.
func (c *Client) Refresh(ctx context.Context, refreshToken Secret) (*Token, error) {
	if refreshToken.IsZero() {
		return nil, &Error{Op: "refresh", Err: ErrNoRefreshToken}
	}
	if c.Endpoint.TokenURL == "" && c.Endpoint.Issuer != "" {
		r, err := c.resolve(ctx)
		if err != nil {
			return nil, err
		}
		c = r
	}
	tok, err := c.tokenRequest(ctx, "refresh", map[string]string{
		"grant_type":    "refresh_token",
		"refresh_token": refreshToken.Reveal(),
	})
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken.IsZero() {
		tok.RefreshToken = refreshToken
	}
	return tok, nil
}
