// Package agent lets the running instance (`tokentray run`) serve access
// tokens to the other commands, so that the refresh token stays inside one
// process and a killed CLI can never lose a rotation: `token`, `exec`,
// `git-credential`, `refresh` and `status` ask the agent when it runs and
// work on the token files themselves only when it does not.
//
// The agent listens on a per-user endpoint: a Unix socket of mode 0600 in
// the runtime directory (0700), whose peer's user ID is checked where the
// OS tells it, or on Windows a named pipe whose ACL admits only the user.
// Each connection carries one JSON request and one JSON response.
package agent

import (
	"context"
	"errors"
	"time"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/oauthflow"
)

// Service is what the commands need from whoever holds the tokens: the
// agent (a *Client) or, without one, an engine on the token files
// (Local).
type Service interface {
	// Token returns a valid access token with at least minValid left.
	Token(ctx context.Context, name string, minValid time.Duration) (keepalive.Token, error)
	// Reject marks an access token a consumer found rejected.
	Reject(ctx context.Context, name string, access oauthflow.Secret) (bool, error)
	// Refresh refreshes when due (or always with force).
	Refresh(ctx context.Context, name string, force bool) (keepalive.Account, bool, error)
	// Status returns the health of every account.
	Status(ctx context.Context) (keepalive.Snapshot, error)
}

// Local is the Service of an engine working on the token files directly.
type Local struct{ Engine *keepalive.Engine }

func (l Local) Token(ctx context.Context, name string, minValid time.Duration) (keepalive.Token, error) {
	return l.Engine.Token(ctx, name, minValid)
}

func (l Local) Reject(ctx context.Context, name string, access oauthflow.Secret) (bool, error) {
	return l.Engine.Reject(ctx, name, access)
}

func (l Local) Refresh(ctx context.Context, name string, force bool) (keepalive.Account, bool, error) {
	return l.Engine.Refresh(ctx, name, force)
}

func (l Local) Status(context.Context) (keepalive.Snapshot, error) { return l.Engine.Snapshot(), nil }

// Operations of the protocol.
const (
	opToken   = "token"
	opReject  = "reject"
	opRefresh = "refresh"
	opStatus  = "status"
	opReload  = "reload"
)

// request is one call. MinValid is in whole seconds.
type request struct {
	Op          string `json:"op"`
	Account     string `json:"account,omitempty"`
	MinValid    int64  `json:"min_valid,omitempty"`
	Force       bool   `json:"force,omitempty"`
	AccessToken string `json:"access_token,omitempty"`
}

// response is its answer.
type response struct {
	Error string `json:"error,omitempty"`
	// Code classifies Error: codeNotSignedIn, codeUnknownAccount, or "".
	Code string `json:"code,omitempty"`

	AccessToken string              `json:"access_token,omitempty"`
	TokenType   string              `json:"token_type,omitempty"`
	Expiry      time.Time           `json:"expiry,omitzero"`
	Marked      bool                `json:"marked,omitempty"`
	Account     *keepalive.Account  `json:"status,omitempty"`
	Refreshed   bool                `json:"refreshed,omitempty"`
	Snapshot    *keepalive.Snapshot `json:"snapshot,omitempty"`
}

const (
	codeNotSignedIn    = "not_signed_in"
	codeUnknownAccount = "unknown_account"
)

// remoteError is an error the agent reported.
type remoteError struct {
	msg  string
	kind error // keepalive.ErrNotSignedIn, keepalive.ErrUnknownAccount or nil
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.kind }

func errorResponse(err error) response {
	r := response{Error: err.Error()}
	switch {
	case errors.Is(err, keepalive.ErrNotSignedIn):
		r.Code = codeNotSignedIn
	case errors.Is(err, keepalive.ErrUnknownAccount):
		r.Code = codeUnknownAccount
	}
	return r
}

func (r response) err() error {
	if r.Error == "" {
		return nil
	}
	e := &remoteError{msg: r.Error}
	switch r.Code {
	case codeNotSignedIn:
		e.kind = keepalive.ErrNotSignedIn
	case codeUnknownAccount:
		e.kind = keepalive.ErrUnknownAccount
	}
	return e
}

// maxMessage bounds a request or response.
const maxMessage = 4 << 20
