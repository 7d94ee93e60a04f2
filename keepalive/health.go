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

	"github.com/tokentray/tokentray/keepalive/health"
	"github.com/tokentray/tokentray/oauthflow"
)

// State is the health of one account, owned or watched (package health
// holds it so that package watched shares it). Larger values are worse; the
// tray shows the worst state of all accounts.
type State = health.State

// The states, from best to worst; see package health.
const (
	OK          = health.OK
	Due         = health.Due
	SignedOut   = health.SignedOut
	Refreshing  = health.Refreshing
	Warning     = health.Warning
	Offline     = health.Offline
	Retrying    = health.Retrying
	NeedsSignIn = health.NeedsSignIn
	Broken      = health.Broken
)

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
	// ExpirySource says where Expiry comes from: "server" (expires_in),
	// "jwt" (the access token's exp claim) or "none" (no expiry known: the
	// token is refreshed every check_interval).
	ExpirySource oauthflow.ExpirySource `json:"expiry_source,omitempty"`
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
	// FileWarning is a problem with the account's files that does not
	// change its health: a token file or directory other users can read
	// (tokentray tightens the modes when it next writes them).
	FileWarning string `json:"file_warning,omitempty"`
	// SignInError describes why the last sign-in did not complete, or
	// why the open one cannot proceed by itself (no browser could be
	// opened); empty once a sign-in succeeds.
	SignInError string `json:"sign_in_error,omitempty"`
	// Episode is the account's current trouble, or the last one (Ended
	// set), as the engine tracks it. The tray turns it into bubbles.
	Episode Episode `json:"episode,omitzero"`
}

// normalized returns a with its times on the wall clock in UTC, so that
// statuses compare with == (Account is comparable: a new field that is not
// breaks the build, not the publishing).
func (a Account) normalized() Account {
	for _, t := range []*time.Time{&a.Expiry, &a.Deadline, &a.NextRefresh, &a.SignedIn, &a.LastRefresh, &a.NextTry} {
		*t = wall(*t)
	}
	a.Episode = a.Episode.normalized()
	return a
}

func wall(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Round(0)
}

// Episode is one stretch of trouble of an account, from the first failure
// (or the state that needs the user) to the recovery.
type Episode struct {
	// ID numbers the account's episodes in this process (1, 2, ...).
	ID int `json:"id"`
	// State is where the episode is now: Retrying or Offline (the engine
	// is handling it), Warning, NeedsSignIn (escalated: the user is
	// needed) or Broken.
	State State `json:"state"`
	// Reason says why it opened or, after an escalation, why the user is
	// needed.
	Reason string `json:"reason,omitempty"`
	// SignIn reports whether a sign-in resolves the episode.
	SignIn bool `json:"sign_in,omitempty"`
	// Opened is when it began; Ended when it ended (zero while open).
	Opened time.Time `json:"opened_at"`
	Ended  time.Time `json:"ended_at,omitzero"`
	// End says how it ended: EndRecovered, EndSignedIn or EndSignedOut.
	End EpisodeEnd `json:"end,omitempty"`
}

// EpisodeEnd is how an episode ended.
type EpisodeEnd string

const (
	// EndRecovered: a later refresh (or the owner's refresh) succeeded.
	EndRecovered EpisodeEnd = "recovered"
	// EndSignedIn: a sign-in recovered the account.
	EndSignedIn EpisodeEnd = "signed in"
	// EndSignedOut: the user signed out.
	EndSignedOut EpisodeEnd = "signed out"
)

// Open reports whether the episode is going on.
func (e Episode) Open() bool { return e.ID > 0 && e.End == "" }

func (e Episode) normalized() Episode {
	e.Opened, e.Ended = wall(e.Opened), wall(e.Ended)
	return e
}

// Snapshot is the state of every account at one instant. Subscribers may
// keep it: the engine never modifies a published snapshot.
type Snapshot struct {
	At       time.Time `json:"at"`
	Accounts []Account `json:"accounts"`
	// SignInTarget is the account the top-level Sign In serves ("" when no
	// account needs one): the first that needs a sign-in, else the first
	// whose login is about to end, else the first signed out.
	SignInTarget string `json:"sign_in_target,omitempty"`
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
	case OK, Due, SignedOut:
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
