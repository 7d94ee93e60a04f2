package oauthflow

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// IDTokenEmail returns the "email" claim of an OpenID Connect ID token, or
// "" when there is none. The token's signature is NOT verified: use the
// result for display ("Signed in as …") only, never for a decision.
func IDTokenEmail(idToken Secret) string {
	parts := strings.Split(idToken.Reveal(), ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		Email string `json:"email"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Email
}
