package keepalive

import (
	"log/slog"
	"time"

	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
)

// The engine's state and the events and effects of its one loop.
//
// Everything the engine knows lives in a state value that one goroutine
// owns (Run's loop; without a running loop, the caller of a synchronous
// method, one at a time). Everything that happens arrives as an event.
// step applies an event to the state and says what to do next as effects;
// it is pure (no I/O, no clock, no randomness of its own), so every rule
// is table-tested in step_test.go without goroutines, sleeps or files.

// state is the engine state: one entry per account, in display order.
type state struct {
	policy Policy
	order  []string // owned accounts, in configuration order
	owned  map[string]*acct
	// watched accounts' latest status, in discovery order.
	watchedOrder []string
	watched      map[string]Account
	// watchedSet holds the configured watched stores (nil: not told yet);
	// the result of a probe of a store that went away meanwhile is dropped.
	watchedSet map[string]bool
	// stepDue is the next wall-clock check: unscheduled accounts re-read
	// their files (in case a change notification was missed) and watched
	// stores are probed.
	stepDue time.Time
	// wallTimers: the engine's timer fires at wall-clock instants, across
	// a suspend, and at once when the wall clock is set, so nothing needs
	// the clock looked at every maxStep; the check then runs every
	// slowCheck, and only while it has something to look at.
	wallTimers bool
}

func newState(p Policy) state {
	return state{policy: p, owned: map[string]*acct{}, watched: map[string]Account{}}
}

// acct is the engine's state of one owned account.
type acct struct {
	cfg OwnedAccount

	loaded  bool         // the store was read at least once
	rec     recInfo      // what the token file holds (valid when loadErr == nil)
	loadErr error        // fs.ErrNotExist, *atomicfile.MalformedError or an I/O error
	health  store.Health // the remembered health read beside the token file
	jitter  time.Duration

	refreshing bool // a refresh effect is out
	forceNext  bool // a forced refresh was asked for while one was out

	offline    bool
	failures   int              // consecutive counted failures
	failedWith oauthflow.Secret // refresh token of the failing attempts
	dead       bool             // terminal error: wait for a new login
	deadReason string
	nextTry    time.Time
	lastErr    string
	signInErr  string // why the last sign-in did not complete (signin.go)

	// The token file could not be written (a full disk): a local
	// problem, not a failed login. Retried with backoff (nextTry), never
	// counted toward failuresToAlert.
	writeErr   string // the reason shown ("cannot write the token file: disk full")
	writeFails int    // consecutive write failures, for the backoff

	signingIn bool      // a completed sign-in is storing its login
	signedIn  time.Time // when this process last completed a sign-in
	signedOut bool      // the user signed out on purpose (logout)

	episode Episode
	pub     Account // the last published status
}

// recInfo is what the engine keeps of a token file: no access token, so
// an idle account costs little memory.
type recInfo struct {
	present       bool
	refreshToken  oauthflow.Secret
	expiry        time.Time
	refreshExpiry time.Time
	obtainedAt    time.Time
	expirySource  oauthflow.ExpirySource
	user          string
	modeWarning   string // looser modes found by the store
}

func infoOf(r *store.Record) recInfo {
	if r == nil {
		return recInfo{}
	}
	return recInfo{
		present: true, refreshToken: r.RefreshToken, expiry: r.Expiry, refreshExpiry: r.RefreshExpiry,
		obtainedAt: r.ObtainedAt, expirySource: r.ExpirySource, user: (&oauthflow.Token{IDToken: r.IDToken, AccessToken: r.AccessToken}).Identity().String(),
		modeWarning: r.ModeWarning,
	}
}

// event is something that happened; see the ev* types.
type event interface{ isEvent() }

type (
	// evTick: the timer fired (the earliest deadline, or the wall-clock
	// check that bounds every sleep to maxStep).
	evTick struct{}
	// evResume: the machine resumed from suspend; re-read and re-check.
	evResume struct{}
	// evLoaded: a token file (and its remembered health) was read.
	evLoaded struct {
		name   string
		rec    *store.Record
		err    error
		health store.Health
	}
	// evFileChanged: the token file changed on disk (fsnotify).
	evFileChanged struct{ name string }
	// evRefreshDone: a refresh finished. external: it was not started by
	// an effRefresh (a synchronous Refresh call).
	evRefreshDone struct {
		res      refreshResult
		external bool
	}
	// evRefreshNow: the user asked for a refresh ("" = every account).
	evRefreshNow struct{ name string }
	// evSigningIn: a sign-in completed and is about to store the new
	// login (the file changing is then no plain recovery).
	evSigningIn struct{ name string }
	// evSignedIn: the sign-in stored the new login rec (nil: storing
	// failed; err says why).
	evSignedIn struct {
		name string
		rec  *store.Record
		err  error
	}
	// evSignInError: why a sign-in did not complete, or why the open one
	// waits for the user ("" once that no longer holds).
	evSignInError struct{ name, msg string }
	// evSigningOut: the user signs out (logout): remembered before the
	// login is deleted, so no process takes the deletion for a lost login.
	evSigningOut struct{ name string }
	// evSignedOut: the login was deleted (logout).
	evSignedOut struct{ name string }
	// evConfig: the configuration changed (accounts added, removed or
	// changed).
	evConfig struct{ accounts []OwnedAccount }
	// evWatchedChanged: a watched store changed on disk.
	evWatchedChanged struct{ name string }
	// evWatched: a watched store was probed.
	evWatched struct{ acc Account }
	// evWatchedSources: the watched stores are now these (configuration).
	evWatchedSources struct{ names []string }
)

func (evTick) isEvent()           {}
func (evResume) isEvent()         {}
func (evLoaded) isEvent()         {}
func (evFileChanged) isEvent()    {}
func (evRefreshDone) isEvent()    {}
func (evRefreshNow) isEvent()     {}
func (evSignedIn) isEvent()       {}
func (evSignedOut) isEvent()      {}
func (evSigningIn) isEvent()      {}
func (evSignInError) isEvent()    {}
func (evSigningOut) isEvent()     {}
func (evConfig) isEvent()         {}
func (evWatched) isEvent()        {}
func (evWatchedChanged) isEvent() {}
func (evWatchedSources) isEvent() {}

// refreshResult is what a refresh effect reports.
type refreshResult struct {
	name string
	// used is the refresh token sent; empty when no request was sent.
	used oauthflow.Secret
	// rec is the record on disk afterwards (nil when there is none).
	rec *store.Record
	// refreshed: new tokens were obtained and stored.
	refreshed bool
	// err is the failure (a store error, ErrNotSignedIn, oauthflow.ErrNoRefreshToken,
	// *atomicfile.MalformedError or the refresh error).
	err error
	// latest is the token file re-read after a terminal refresh error
	// (another process may have rotated the token without our lock).
	latest *store.Record
	// dead: afterwards the login is known to be rejected (filled in by
	// the synchronous callers from the state).
	dead bool
}

// effect is something step asks the engine to do; see the eff* types.
type effect interface{ isEffect() }

type (
	// effRefresh: refresh the account (lock, re-read, decide, refresh,
	// write). force refreshes even when the token is not due.
	effRefresh struct {
		name  string
		force bool
		// decide is the schedule the refresh decides with, on the file
		// it reads under the lock.
		decide schedule
	}
	// effLoad: re-read the account's token file and health.
	effLoad struct{ name string }
	// effSaveHealth: remember the account's health beside its token file
	// (a zero Health removes it).
	effSaveHealth struct {
		name   string
		health store.Health
	}
	// effProbeWatched: re-read watched stores (all when names is nil).
	effProbeWatched struct {
		names []string
		fresh bool // the owner changed the store: run its check command now
	}
	// effLog: a line for the log.
	effLog struct {
		level slog.Level
		msg   string
		attrs []any
	}
	// effPublish: the visible status changed; publish a snapshot (the
	// loop coalesces these).
	effPublish struct{}
)

func (effRefresh) isEffect()      {}
func (effLoad) isEffect()         {}
func (effSaveHealth) isEffect()   {}
func (effProbeWatched) isEffect() {}
func (effLog) isEffect()          {}
func (effPublish) isEffect()      {}

// schedule is the part of an account's configuration and state that says
// when its token is due.
type schedule struct {
	lead, checkInterval, jitter time.Duration
	// checkWrite: the last write failed, so a refresh that is not due
	// still fails (with the store's *store.ReserveError) while the file
	// cannot be written, instead of reporting success.
	checkWrite bool
}
