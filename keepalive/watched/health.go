package watched

import (
	"github.com/tokentray/tokentray/keepalive/internal/human"

	"errors"
	"fmt"
	"time"
)

// State is the health of a watched login.
type State int

const (
	// Healthy: the owner can keep the login alive on its own.
	Healthy State = iota
	// AccessExpired is informational, not a failure: the access token has
	// expired and the owner refreshes it the next time it is used.
	AccessExpired
	// NotOAuth is informational: the owner is signed in with an API key,
	// an agent identity or the like, which has nothing to keep alive.
	NotOAuth
	// ExpiryUnknown is informational: the owner keeps the login in the OS
	// keyring (its own setting says so), where tokentray cannot read the
	// expiry; the owner's status command can be turned on as the check.
	ExpiryUnknown
	// DeadlineNear: the login's hard deadline is within the warning window;
	// the user should sign in again soon.
	DeadlineNear
	// NeedsSignIn: the deadline has passed, no refresh token is stored or
	// the store is gone; only a new sign-in with the owner helps.
	NeedsSignIn
	// Broken: the store exists but cannot be read or understood. tokentray
	// reports it and leaves it untouched.
	Broken
)

func (s State) String() string {
	switch s {
	case Healthy:
		return "healthy"
	case AccessExpired:
		return "access-expired"
	case NotOAuth:
		return "not-oauth"
	case ExpiryUnknown:
		return "expiry-unknown"
	case DeadlineNear:
		return "deadline-near"
	case NeedsSignIn:
		return "needs-sign-in"
	case Broken:
		return "broken"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// NeedsAttention reports whether the user should act (DeadlineNear,
// NeedsSignIn or Broken).
func (s State) NeedsAttention() bool { return s >= DeadlineNear }

// Status is the result of [Evaluate].
type Status struct {
	State State
	// Reason is a short human explanation, free of token values.
	Reason string
	// Deadline is the login's hard deadline when the store has one
	// (Meta.LoginDeadline), else zero.
	Deadline time.Time
}

// DefaultWarnBefore is how long before a login's hard deadline
// [DeadlineNear] starts; Claude Code itself warns 3 days ahead.
const DefaultWarnBefore = 3 * 24 * time.Hour

// ErrNotFound is wrapped by [Read] errors for a store (or opencode entry)
// that does not exist; [Evaluate] maps it to [NeedsSignIn].
var ErrNotFound = errors.New("credentials not found")

// Evaluate decides the health of a login from what [Read] returned, at time
// now. warnBefore <= 0 means [DefaultWarnBefore]. It is pure.
//
// Order: the login's [Mode] first (NotOAuthLogin and KeyringLogin are
// information, SignedOut is NeedsSignIn); a read error wrapping [ErrNotFound] is NeedsSignIn and any other
// read error is Broken; then a missing refresh token or a passed deadline is
// NeedsSignIn; a deadline within warnBefore is DeadlineNear; an expired
// access token is AccessExpired; otherwise Healthy.
func Evaluate(m Meta, readErr error, now time.Time, warnBefore time.Duration) Status {
	if warnBefore <= 0 {
		warnBefore = DefaultWarnBefore
	}
	if readErr != nil {
		if errors.Is(readErr, ErrKeychainPending) {
			return Status{State: ExpiryUnknown, Reason: "waiting for you to allow access to the Keychain item"}
		}
		if errors.Is(readErr, ErrNotFound) {
			return Status{State: NeedsSignIn, Reason: "not signed in: " + readErr.Error()}
		}
		return Status{State: Broken, Reason: readErr.Error()}
	}
	switch m.Mode {
	case NotOAuthLogin:
		return Status{State: NotOAuth, Reason: "not an OAuth login (" + m.Method + "); nothing to keep alive"}
	case KeyringLogin:
		where := m.Method
		if where == "" {
			where = "the OS keyring"
		}
		return Status{State: ExpiryUnknown, Reason: "kept in " + where + "; expiry unknown"}
	case SignedOut:
		return Status{State: NeedsSignIn, Reason: "not signed in"}
	}
	st := Status{Deadline: m.LoginDeadline}
	switch {
	case !m.HasRefreshToken:
		st.State, st.Reason = NeedsSignIn, "no refresh token stored; sign in again"
	case !m.LoginDeadline.IsZero() && !now.Before(m.LoginDeadline):
		st.State, st.Reason = NeedsSignIn, "login ended at "+stamp(m.LoginDeadline)+"; sign in again"
	case !m.LoginDeadline.IsZero() && m.LoginDeadline.Sub(now) <= warnBefore:
		st.State = DeadlineNear
		st.Reason = "login ends in " + human.Duration(m.LoginDeadline.Sub(now)) + " (" + stamp(m.LoginDeadline) + "); sign in again before then"
	case !m.AccessExpiry.IsZero() && !now.Before(m.AccessExpiry):
		st.State, st.Reason = AccessExpired, "access token expired at "+stamp(m.AccessExpiry)+"; the owning tool refreshes it on next use"
	default:
		st.State, st.Reason = Healthy, "signed in"
		if !m.LoginDeadline.IsZero() {
			st.Reason += "; sign-in valid until " + stamp(m.LoginDeadline)
		}
	}
	return st
}

// EvaluateSource is [Evaluate] with the health rules of src's tool
// ([Tool.Health]) for its OAuth logins.
func EvaluateSource(src Source, m Meta, readErr error, now time.Time) Status {
	if t := ToolFor(src.Kind); t != nil && t.Health != nil && readErr == nil && m.Mode == OAuthLogin {
		return t.Health(m, now, src.WarnBefore)
	}
	return Evaluate(m, readErr, now, src.WarnBefore)
}

// Probe reads src and evaluates it with the source's rules and warning
// window.
func Probe(src Source, now time.Time) (Meta, Status) {
	m, err := Read(src)
	return m, EvaluateSource(src, m, err, now)
}

func stamp(t time.Time) string { return t.Local().Format("2006-01-02 15:04 MST") }
