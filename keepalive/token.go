package keepalive

import (
	"context"
	"fmt"
	"time"

	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
)

// Token is an access token as handed to a consumer (a script, git,
// kubectl). It never holds the refresh token.
type Token struct {
	AccessToken oauthflow.Secret
	// TokenType is the server's token_type, "Bearer" when it said none.
	TokenType string
	// Expiry is when the access token expires; zero when unknown.
	Expiry time.Time
}

// Token returns a valid access token of an owned account that stays valid
// for at least minValid (and at least a minute): it refreshes first only
// when less than that remains (a token without a known expiry counts as
// valid until its check interval has passed). It fails like AccessToken,
// and also when even a fresh token lives shorter than minValid.
func (e *Engine) Token(ctx context.Context, name string, minValid time.Duration) (Token, error) {
	if _, ok := e.config(name); !ok {
		return Token{}, fmt.Errorf("%w %q", ErrUnknownAccount, name)
	}
	rec, rerr, err := e.usable(ctx, name, max(minValid, tokenMinValidity))
	if err != nil {
		return Token{}, err
	}
	t := Token{AccessToken: rec.AccessToken, TokenType: rec.TokenType, Expiry: rec.Expiry}
	if t.TokenType == "" {
		t.TokenType = "Bearer"
	}
	if left := t.Expiry.Sub(e.clock.Now()); minValid > 0 && !t.Expiry.IsZero() && left < minValid {
		if rerr != nil {
			return Token{}, fmt.Errorf("%s: less than %s remains and the refresh failed: %w", name, HumanDuration(minValid), rerr)
		}
		return Token{}, fmt.Errorf("%s: the server's access tokens live %s, less than the %s asked for", name, HumanDuration(left), HumanDuration(minValid))
	}
	return t, nil
}

// Reject records that a consumer found access rejected (git's "erase"):
// when it is still the stored access token, it is marked expired, so the
// next Token refreshes (and a running engine refreshes at once). A token
// that was already replaced is left alone. It reports whether the stored
// token was marked.
func (e *Engine) Reject(ctx context.Context, name string, access oauthflow.Secret) (bool, error) {
	if _, ok := e.config(name); !ok {
		return false, fmt.Errorf("%w %q", ErrUnknownAccount, name)
	}
	marked := false
	now := e.clock.Now().Round(0)
	_, err := e.store.Update(ctx, name, func(cur *store.Record) (*store.Record, error) {
		if cur == nil || access.IsZero() || cur.AccessToken != access {
			return nil, nil
		}
		if !cur.Expiry.IsZero() && !cur.Expiry.After(now) {
			return nil, nil // expired already
		}
		cur.Expiry = now
		marked = true
		return cur, nil
	})
	if err != nil {
		return false, err
	}
	if marked {
		e.log.Info("access token rejected by a consumer; refreshing", "account", name)
	}
	// The engine reads the file again: an expired token is due at once.
	e.deliver(evFileChanged{name: name})
	return marked, nil
}
