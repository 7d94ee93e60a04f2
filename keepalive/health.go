// Package keepalive is tokentray's engine: it keeps every owned account's
// tokens fresh by refreshing them before they expire, watches the logins of
// other tools read-only, and publishes the health of all accounts as
// immutable snapshots to subscribers (the tray, the log, the CLI).
//
// The engine decides policy: when to refresh, how to back off, when a
// login needs the user. Subscribers only render what it publishes.
package keepalive

import (
	"time"
)

// State is the health of one account. Larger values are worse; the tray
// shows the worst state of all accounts.
type State int

const (
	// OK: signed in, the next refresh is scheduled.
	OK State = iota
	// Due: the refresh time has come (or passed, e.g. after a suspend).
	Due
	// Refreshing: a refresh request is in flight.
	Refreshing
	// Warning: a watched login's hard deadline is near.
	Warning
	// Offline: the network is unavailable; attempts are not counted.
	Offline
	// Retrying: transient failures; Attempt and NextTry say more.
	Retrying
	// NeedsSignIn: the user must sign in again (Reason says why).
	NeedsSignIn
	// Broken: the credential file is unreadable or malformed. It is left
	// untouched for the user to inspect.
	Broken
)

var stateNames = [...]string{"ok", "due", "refreshing", "warning", "offline", "retrying", "needs sign-in", "broken"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// MarshalText implements encoding.TextMarshaler for JSON status output.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	*s = Broken
	return nil
}

// Kind says who owns an account's credentials.
type Kind string

const (
	// Owned accounts are refreshed and signed in by tokentray itself.
	Owned Kind = "owned"
)

// Watched returns the kind of a credential store owned by another tool,
// e.g. Watched("claude-code") = "watched (claude-code)".
func Watched(tool string) Kind { return Kind("watched (" + tool + ")") }

// IsWatched reports whether the account belongs to another tool.
func (k Kind) IsWatched() bool { return k != Owned }

// Account is the published, immutable status of one account. It never holds
// a token.
type Account struct {
	Name  string `json:"account"`
	Kind  Kind   `json:"kind"`
	State State  `json:"health"`
	// User is the signed-in identity (e-mail) when known.
	User string `json:"user,omitempty"`
	// Reason explains NeedsSignIn, Broken and Warning states in words.
	Reason string `json:"reason,omitempty"`
	// Expiry is when the access token expires (zero when unknown).
	Expiry time.Time `json:"expires_at,omitzero"`
	// Deadline is when the login itself ends (refresh-token expiry).
	Deadline time.Time `json:"login_deadline,omitzero"`
	// NextRefresh is when the engine will refresh next (owned accounts).
	NextRefresh time.Time `json:"next_refresh,omitzero"`
	// SignedIn is when this process last completed a sign-in of the
	// account (owned accounts; zero if it has not).
	SignedIn time.Time `json:"signed_in_at,omitzero"`
	// LastRefresh is when the tokens were last obtained.
	LastRefresh time.Time `json:"last_refresh,omitzero"`
	// Attempt counts consecutive failed refreshes in the current episode.
	Attempt int `json:"failed_attempts,omitempty"`
	// NextTry is when a failed refresh is retried.
	NextTry time.Time `json:"next_try,omitzero"`
	// LastError describes the last failure (never contains a token).
	LastError string `json:"last_error,omitempty"`
	// SignInError describes why the last sign-in did not complete, or
	// why the open one cannot proceed by itself (no browser could be
	// opened); empty once a sign-in succeeds.
	SignInError string `json:"sign_in_error,omitempty"`
}

// Snapshot is the state of every account at one instant. Subscribers may
// keep it: the engine never modifies a published snapshot.
type Snapshot struct {
	At       time.Time `json:"at"`
	Accounts []Account `json:"accounts"`
}

// Overall is the aggregate the tray shows: the worst account state, or
// NoAccounts.
type Overall int

const (
	NoAccounts Overall = iota
	AllOK
	AnyRefreshing
	AnyWarning
	AnySignIn
)

func (o Overall) String() string {
	return [...]string{"no accounts", "ok", "refreshing", "warning", "needs sign-in"}[o]
}

// Overall returns the aggregate health: the worst state wins.
func (s Snapshot) Overall() Overall {
	if len(s.Accounts) == 0 {
		return NoAccounts
	}
	worst := OK
	for _, a := range s.Accounts {
		worst = max(worst, a.State)
	}
	switch worst {
	case OK, Due:
		return AllOK
	case Refreshing:
		return AnyRefreshing
	case Warning, Offline, Retrying:
		return AnyWarning
	default:
		return AnySignIn
	}
}

// Find returns the named account.
func (s Snapshot) Find(name string) (Account, bool) {
	for _, a := range s.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return Account{}, false
}
