// Package health is the health every account has, owned or watched: one
// [State] from OK to Broken. The engine (package keepalive) decides it for
// the accounts tokentray owns; package watched decides it for other tools'
// logins. keepalive re-exports the type and its constants, and everything
// but package watched (which keepalive imports, so it cannot import
// keepalive) uses them by those names.
//
// The names are part of status.json (schema 1) and of
// `tokentray status -o json`: they and the order never change.
package health

// State is the health of one account. Larger values are worse; the tray
// shows the worst state of all accounts.
type State int

const (
	// OK: signed in; an owned account's next refresh is scheduled, a
	// watched one's owner can keep it alive on its own.
	OK State = iota
	// Due: the refresh time has come (or passed, e.g. after a suspend).
	Due
	// SignedOut: the user signed out on purpose (logout). Nothing is
	// wrong; Sign In signs in again.
	SignedOut
	// Refreshing: a refresh request is in flight.
	Refreshing
	// Warning: a watched login's hard deadline is near; the user should
	// sign in again soon.
	Warning
	// Offline: the network is unavailable; attempts are not counted.
	Offline
	// Retrying: transient failures; the account's attempt count and next
	// try say more.
	Retrying
	// NeedsSignIn: the user must sign in again (the reason says why): the
	// server rejected the login, its deadline passed, no refresh token is
	// stored or a watched store is gone.
	NeedsSignIn
	// Broken: the credential file is unreadable or malformed. It is left
	// untouched for the user to inspect.
	Broken
)

var names = [...]string{"ok", "due", "signed out", "refreshing", "warning", "offline", "retrying", "needs sign-in", "broken"}

func (s State) String() string {
	if s >= 0 && int(s) < len(names) {
		return names[s]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler for JSON status output.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler. A name it does not
// know is Broken: a status from a newer tokentray never reads as OK.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range names {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	*s = Broken
	return nil
}
