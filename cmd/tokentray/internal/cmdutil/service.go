package cmdutil

import (
	"context"
	"errors"
	"time"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/agent"
	"github.com/tokentray/tokentray/oauthflow"
)

// AgentAddress is the running instance's agent endpoint.
func (f *Factory) AgentAddress() string { return agent.Address(f.Paths.Runtime) }

// Agent returns a client of the running instance's agent, or nil when no
// instance answers. Paths must be loaded.
func (f *Factory) Agent(ctx context.Context) *agent.Client {
	c, err := agent.Connect(ctx, f.AgentAddress())
	if err != nil {
		return nil
	}
	return c
}

// Service is what token, exec, git-credential and refresh use: the
// running instance when there is one (the refresh token then stays in
// that process and the token files are not touched), else an engine on the
// token files. Setup must have run.
func (f *Factory) Service(ctx context.Context) agent.Service {
	local := func() agent.Service { return agent.Local{Engine: f.Engine(OwnedOnly)} }
	if c := f.Agent(ctx); c != nil {
		return &viaAgent{agent: c, local: local}
	}
	return local()
}

// NotifyAgent tells a running instance that the configuration changed
// (add, remove), so the tray shows it at once. It reports whether an
// instance took the change.
func (f *Factory) NotifyAgent(ctx context.Context) (bool, error) {
	c := f.Agent(ctx)
	if c == nil {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.Reload(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// viaAgent asks the running instance; an account it does not know yet (the
// config changed and it did not reload) is served from the files.
type viaAgent struct {
	agent *agent.Client
	local func() agent.Service
	l     agent.Service
}

func (v *viaAgent) fallback(err error) bool {
	if !errors.Is(err, keepalive.ErrUnknownAccount) {
		return false
	}
	if v.l == nil {
		v.l = v.local()
	}
	return true
}

func (v *viaAgent) Token(ctx context.Context, name string, minValid time.Duration) (keepalive.Token, error) {
	t, err := v.agent.Token(ctx, name, minValid)
	if v.fallback(err) {
		return v.l.Token(ctx, name, minValid)
	}
	return t, err
}

func (v *viaAgent) Reject(ctx context.Context, name string, access oauthflow.Secret) (bool, error) {
	ok, err := v.agent.Reject(ctx, name, access)
	if v.fallback(err) {
		return v.l.Reject(ctx, name, access)
	}
	return ok, err
}

func (v *viaAgent) Refresh(ctx context.Context, name string, force bool) (keepalive.Account, bool, error) {
	st, ok, err := v.agent.Refresh(ctx, name, force)
	if v.fallback(err) {
		return v.l.Refresh(ctx, name, force)
	}
	return st, ok, err
}

func (v *viaAgent) Status(ctx context.Context) (keepalive.Snapshot, error) {
	return v.agent.Status(ctx)
}
