package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/oauthflow"
)

// ErrNotRunning: no agent answers at the address.
var ErrNotRunning = errors.New("tokentray is not running")

// callTimeout bounds one call when ctx does not bound it sooner.
const callTimeout = 2 * time.Minute

// Client talks to a running agent. It implements Service.
type Client struct {
	addr string
}

// Connect returns a client for the agent at addr (see Address) when one
// answers there, or an error wrapping ErrNotRunning.
func Connect(ctx context.Context, addr string) (*Client, error) {
	conn, err := dial(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotRunning, err)
	}
	conn.Close() // the agent sees an empty request and drops it
	return &Client{addr: addr}, nil
}

func (c *Client) call(ctx context.Context, req request) (response, error) {
	conn, err := dial(ctx, c.addr)
	if err != nil {
		return response{}, fmt.Errorf("the running tokentray does not answer: %w", err)
	}
	defer conn.Close()
	// A refresh behind the answer is bounded by oauthflow.DefaultTimeout
	// and the store's lock; an agent that takes longer is stuck.
	deadline := time.Now().Add(callTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return response{}, fmt.Errorf("the running tokentray does not answer: %w", err)
	}
	var resp response
	err = json.NewDecoder(io.LimitReader(conn, maxMessage)).Decode(&resp)
	if ctx.Err() != nil {
		return response{}, ctx.Err()
	}
	if errors.Is(err, io.EOF) {
		return response{}, errors.New("the running tokentray closed the connection without an answer")
	}
	if err != nil {
		return response{}, fmt.Errorf("the running tokentray did not answer: %w", err)
	}
	return resp, nil
}

// Token asks the agent for an access token.
func (c *Client) Token(ctx context.Context, name string, minValid time.Duration) (keepalive.Token, error) {
	secs := int64((minValid + time.Second - 1) / time.Second)
	r, err := c.call(ctx, request{Op: opToken, Account: name, MinValid: secs})
	if err == nil {
		err = r.err()
	}
	if err != nil {
		return keepalive.Token{}, err
	}
	return keepalive.Token{AccessToken: oauthflow.Secret(r.AccessToken), TokenType: r.TokenType, Expiry: r.Expiry}, nil
}

// Reject tells the agent that access was rejected.
func (c *Client) Reject(ctx context.Context, name string, access oauthflow.Secret) (bool, error) {
	r, err := c.call(ctx, request{Op: opReject, Account: name, AccessToken: access.Reveal()})
	if err == nil {
		err = r.err()
	}
	return r.Marked, err
}

// Refresh asks the agent to refresh an account.
func (c *Client) Refresh(ctx context.Context, name string, force bool) (keepalive.Account, bool, error) {
	r, err := c.call(ctx, request{Op: opRefresh, Account: name, Force: force})
	if err != nil {
		return keepalive.Account{}, false, err
	}
	var st keepalive.Account
	if r.Account != nil {
		st = *r.Account
	}
	return st, r.Refreshed, r.err()
}

// Status asks the agent for the health of every account.
func (c *Client) Status(ctx context.Context) (keepalive.Snapshot, error) {
	r, err := c.call(ctx, request{Op: opStatus})
	if err == nil {
		err = r.err()
	}
	if err != nil {
		return keepalive.Snapshot{}, err
	}
	if r.Snapshot == nil {
		return keepalive.Snapshot{}, errors.New("the running tokentray sent no status")
	}
	return *r.Snapshot, nil
}

// Reload asks the agent to re-read its configuration.
func (c *Client) Reload(ctx context.Context) error {
	r, err := c.call(ctx, request{Op: opReload})
	if err == nil {
		err = r.err()
	}
	return err
}
