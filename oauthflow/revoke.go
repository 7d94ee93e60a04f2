package oauthflow

import "context"

// Revoke asks the server to revoke token (RFC 7009 §2.1) at
// c.Endpoint.RevocationURL, discovering the endpoint first when only the
// issuer is configured (see [Client.Discover]). hint is the optional
// token_type_hint, "refresh_token" or "access_token"; "" sends none.
// Revoking a refresh token also ends the login it belongs to at most
// servers (§2.1).
//
// It returns nil for an empty token, when the server has no revocation
// endpoint, and when the server answers 200, which it also does for a
// token that is already invalid (§2.2). The request carries client_id and, when set,
// client_secret, and is encoded as c.TokenBody says (RFC 7009 specifies a
// form body, the default). Failures are *Error with Op "revoke"; a 503 may
// carry RetryAfter (§2.2.1). The token never appears in an error.
func (c *Client) Revoke(ctx context.Context, token Secret, hint string) error {
	if token.IsZero() {
		return nil
	}
	r, err := c.resolve(ctx)
	if err != nil {
		return err
	}
	if r.Endpoint.RevocationURL == "" {
		return nil
	}
	resp, data, secrets, err := r.post(ctx, "revoke", r.Endpoint.RevocationURL, map[string]string{
		"token":           token.Reveal(),
		"token_type_hint": hint,
	})
	if err != nil {
		return err
	}
	if resp.StatusCode == 200 {
		return nil
	}
	fields, jsonErr := decodeObject(data)
	return r.statusError("revoke", resp, fields, jsonErr, secrets)
}
