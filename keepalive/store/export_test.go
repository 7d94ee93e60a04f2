package store

import "github.com/tokentray/tokentray/oauthflow"

// Token returns the record's tokens as an oauthflow.Token (tests only:
// the engine keeps records).
func (r *Record) Token() *oauthflow.Token {
	return &oauthflow.Token{
		AccessToken:   r.AccessToken,
		RefreshToken:  r.RefreshToken,
		IDToken:       r.IDToken,
		TokenType:     r.TokenType,
		Scope:         r.Scope,
		Expiry:        r.Expiry,
		ExpirySource:  r.ExpirySource,
		RefreshExpiry: r.RefreshExpiry,
		ObtainedAt:    r.ObtainedAt,
	}
}
