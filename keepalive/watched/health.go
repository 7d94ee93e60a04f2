package watched

import (
	"errors"
	"fmt"
	"time"

	"github.com/tokentray/tokentray/keepalive/health"
	"github.com/tokentray/tokentray/keepalive/internal/human"
)

// Status is the result of [Evaluate].
type Status struct {
	// State is the login's health: [health.OK] (the owner can keep it
	// alive on its own), [health.Warning] (its hard deadline is within the
	// warning window: sign in again soon), [health.NeedsSignIn] (the
	// deadline has passed, no refresh token is stored or the store is
	// gone: only a new sign-in with the owner helps) or [health.Broken]
	// (the store exists but cannot be read or understood; tokentray
	// reports it and leaves it untouched).
	State health.State
	// Note adds information to an OK login; it is zero otherwise.
	Note Note
	// Reason is a short human explanation, free of token values.
	Reason string
	// Deadline is the login's hard deadline when the store has one
	// (Meta.LoginDeadline), else zero.
	Deadline time.Time
}

// Note is information about a login that is OK: not a failure, nothing for
// the user to do. Reason says the same in words.
type Note int

const (
	// AccessExpired: the access token has expired and the owner refreshes
	// it the next time it is used.
	AccessExpired Note = iota + 1
	// NotOAuth: the owner is signed in with an API key, an agent identity
	// or the like, which has nothing to keep alive.
	NotOAuth
	// ExpiryUnknown: the owner keeps the login in the OS keyring (its own
	// setting says so), where tokentray cannot read the expiry; the
	// owner's status command can be turned on as the check.
	ExpiryUnknown
)

func (n Note) String() string {
	switch n {
	case 0:
		return ""
	case AccessExpired:
		return "access expired"
	case NotOAuth:
		return "not OAuth"
	case ExpiryUnknown:
		return "expiry unknown"
	}
	return fmt.Sprintf("Note(%d)", int(n))
}

// DefaultWarnBefore is how long before its hard deadline a login becomes
// [health.Warning]; Claude Code itself warns 3 days ahead.
const DefaultWarnBefore = 3 * 24 * time.Hour

// ErrNotFound is wrapped by [Read] errors for a store (or opencode entry)
// that does not exist; [Evaluate] maps it to [health.NeedsSignIn].
var ErrNotFound = errors.New("credentials not found")

// Evaluate decides the health of a login from what [Read] returned, at time
// now. warnBefore <= 0 means [DefaultWarnBefore]. It is pure.
//
// Order: a read error wrapping [ErrKeychainPending] is OK with the note
// [ExpiryUnknown], one wrapping [ErrNotFound] is NeedsSignIn and any other
// read error is Broken; then the login's [Mode] (NotOAuthLogin and
// KeyringLogin are OK with a [Note], SignedOut is NeedsSignIn); then a
// missing refresh token or a passed deadline is NeedsSignIn; a deadline
// within warnBefore is Warning; an expired access token is OK with the note
// [AccessExpired]; otherwise OK.
func Evaluate(m Meta, readErr error, now time.Time, warnBefore time.Duration) Status {
	if warnBefore <= 0 {
		warnBefore = DefaultWarnBefore
	}
	if readErr != nil {
		if errors.Is(readErr, ErrKeychainPending) {
			return Status{State: health.OK, Note: ExpiryUnknown, Reason: "waiting for you to allow access to the Keychain item"}
		}
		if errors.Is(readErr, ErrNotFound) {
			return Status{State: health.NeedsSignIn, Reason: "not signed in: " + readErr.Error()}
		}
		return Status{State: health.Broken, Reason: readErr.Error()}
	}
	switch m.Mode {
	case NotOAuthLogin:
		return Status{State: health.OK, Note: NotOAuth, Reason: "not an OAuth login (" + m.Method + "); nothing to keep alive"}
	case KeyringLogin:
		where := m.Method
		if where == "" {
			where = "the OS keyring"
		}
		return Status{State: health.OK, Note: ExpiryUnknown, Reason: "kept in " + where + "; expiry unknown"}
	case SignedOut:
		return Status{State: health.NeedsSignIn, Reason: "not signed in"}
	}
	st := Status{Deadline: m.LoginDeadline}
	switch {
	case !m.HasRefreshToken:
		st.State, st.Reason = health.NeedsSignIn, "no refresh token stored; sign in again"
	case !m.LoginDeadline.IsZero() && !now.Before(m.LoginDeadline):
		st.State, st.Reason = health.NeedsSignIn, "login ended at "+stamp(m.LoginDeadline)+"; sign in again"
	case !m.LoginDeadline.IsZero() && m.LoginDeadline.Sub(now) <= warnBefore:
		st.State = health.Warning
		st.Reason = "login ends in " + human.Duration(m.LoginDeadline.Sub(now)) + " (" + stamp(m.LoginDeadline) + "); sign in again before then"
	case !m.AccessExpiry.IsZero() && !now.Before(m.AccessExpiry):
		st.State, st.Note, st.Reason = health.OK, AccessExpired, "access token expired at "+stamp(m.AccessExpiry)+"; the owning tool refreshes it on next use"
	default:
		st.State, st.Reason = health.OK, "signed in"
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
