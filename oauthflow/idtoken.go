package oauthflow

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxClaim bounds a displayed claim (runes).
const maxClaim = 256

// Identity is who signed in, as an OpenID Connect ID token names them. It
// is read WITHOUT verifying the token's signature: use it for display
// ("signed in as …") only, never for a decision.
type Identity struct {
	Subject string // "sub"
	Email   string // "email", may be empty
	Name    string // "name", may be empty
}

// String returns the e-mail address, else the name, else the subject; ""
// when the token named nobody.
func (id Identity) String() string {
	switch {
	case id.Email != "":
		return id.Email
	case id.Name != "":
		return id.Name
	}
	return id.Subject
}

// IDTokenIdentity returns the sub, email and name claims of an ID token,
// sanitized for display (control characters removed, at most 256
// characters each). The signature is NOT verified. A malformed token
// yields the zero Identity.
func IDTokenIdentity(idToken Secret) Identity {
	claims, ok := jwtClaims(idToken.Reveal())
	if !ok {
		return Identity{}
	}
	return Identity{
		Subject: sanitize(stringField(claims, "sub"), maxClaim),
		Email:   sanitize(stringField(claims, "email"), maxClaim),
		Name:    sanitize(stringField(claims, "name"), maxClaim),
	}
}

// IDTokenEmail returns the "email" claim of an OpenID Connect ID token, or
// "" when there is none. The token's signature is NOT verified: use the
// result for display ("Signed in as …") only, never for a decision.
func IDTokenEmail(idToken Secret) string {
	return IDTokenIdentity(idToken).Email
}

// jwtClaims decodes the claims of a JWS compact serialization (RFC 7515
// §7.1: three base64url parts) without verifying it. It reports false for
// anything else, including opaque tokens and JWE (five parts).
func jwtClaims(tok string) (map[string]json.RawMessage, bool) {
	if len(tok) > MaxResponseSize {
		return nil, false
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, false
	}
	var claims map[string]json.RawMessage
	if json.Unmarshal(payload, &claims) != nil || claims == nil {
		return nil, false
	}
	return claims, true
}

// jwtExpiry returns the "exp" claim (RFC 7519 §4.1.4, a NumericDate:
// seconds since the epoch, possibly fractional) of a JWT, unverified.
func jwtExpiry(tok string) (time.Time, bool) {
	claims, ok := jwtClaims(tok)
	if !ok {
		return time.Time{}, false
	}
	raw, ok := claims["exp"]
	if !ok {
		return time.Time{}, false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	// Beyond the year 9999 (or before 1970) is no expiry anyone meant.
	if err != nil || math.IsNaN(f) || f <= 0 || f > 253402300799 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// Identity returns who signed in, for display ("signed in as …"): the ID
// token's claims, or, without an ID token, those of the access token when
// it is a JWT (sub, email, name). Nothing is verified; the zero Identity
// means the tokens name nobody.
func (t *Token) Identity() Identity {
	if t == nil {
		return Identity{}
	}
	if id := IDTokenIdentity(t.IDToken); id != (Identity{}) {
		return id
	}
	return IDTokenIdentity(t.AccessToken)
}
