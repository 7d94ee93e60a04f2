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
// for at least minValid: it refreshes first when the token is due, or when
// less than minValid remains (a token without a known expiry counts as
// valid). It fails like AccessToken, and also when even a fresh token
// lives shorter than minValid.
func (e *Engine) Token(ctx context.Context, name string, minValid time.Duration) (Token, error) {
	if e.byName[name] == nil {
		return Token{}, fmt.Errorf("%w %q", ErrUnknownAccount, name)
	}
	if _, err := e.AccessToken(ctx, name); err != nil {
		return Token{}, err
	}
	t := e.current(name)
	if minValid <= 0 || t.Expiry.IsZero() || t.Expiry.Sub(e.clock.Now()) >= minValid {
		return t, nil
	}
	// Refresh under the lock; Refresh re-reads the file first, so a
	// token another process refreshed meanwhile is used as it is.
	if _, _, err := e.Refresh(ctx, name, true); err != nil {
		return Token{}, fmt.Errorf("%s: less than %s remains and the refresh failed: %w", name, HumanDuration(minValid), err)
	}
	t = e.current(name)
	if left := t.Expiry.Sub(e.clock.Now()); !t.Expiry.IsZero() && left < minValid {
		return Token{}, fmt.Errorf("%s: the server's access tokens live %s, less than the %s asked for", name, HumanDuration(left), HumanDuration(minValid))
	}
	return t, nil
}

// current returns the access token of the record the engine holds.
func (e *Engine) current(name string) Token {
	a := e.byName[name]
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rec == nil {
		return Token{}
	}
	t := Token{AccessToken: a.rec.AccessToken, TokenType: a.rec.TokenType, Expiry: a.rec.Expiry}
	if t.TokenType == "" {
		t.TokenType = "Bearer"
	}
	return t
}

// Reject records that a consumer found access rejected (git's "erase"):
// when it is still the stored access token, it is marked expired, so the
// next Token refreshes (and a running engine refreshes at once). A token
// that was already replaced is left alone. It reports whether the stored
// token was marked.
func (e *Engine) Reject(ctx context.Context, name string, access oauthflow.Secret) (bool, error) {
	a := e.byName[name]
	if a == nil {
		return false, fmt.Errorf("%w %q", ErrUnknownAccount, name)
	}
	marked := false
	a.mu.Lock()
	defer a.mu.Unlock()
	now := e.clock.Now().Round(0)
	rec, err := e.store.Update(ctx, name, func(cur *store.Record) (*store.Record, error) {
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
	if rec != nil {
		e.adoptLocked(a, rec, nil)
		e.publishLocked(a, now)
	}
	if marked {
		e.log.Info("keepalive: access token rejected by a consumer; refreshing", "account", name)
		a.wake()
	}
	return marked, nil
}
