package keepalive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/keepalive/watched"
	"github.com/tokentray/tokentray/oauthflow"
)

// OwnedAccount configures one account whose tokens tokentray refreshes.
type OwnedAccount struct {
	Name   string
	Client *oauthflow.Client
	// RefreshLead is how long before expiry the access token is refreshed;
	// it is capped at half the token's lifetime, so short-lived tokens are
	// not refreshed in a loop. 0 refreshes at expiry (minus jitter).
	RefreshLead time.Duration
	// CheckInterval is the refresh period for tokens without a known
	// expiry.
	CheckInterval time.Duration
	// SignIn configures the browser sign-in (redirect, extra parameters).
	SignIn oauthflow.SignInOptions
	// Device makes the device authorization grant (RFC 8628) the default
	// sign-in (config sign_in = "device").
	Device bool
}

// Options configure an Engine. Store is required; the rest have defaults.
type Options struct {
	Store *store.Dir
	Clock Clock          // default SystemClock
	Log   *slog.Logger   // default: discard
	Rand  func() float64 // uniform in [0,1) for jitter; default math/rand
	// WatchStore makes Run follow changes other processes make to the token
	// files (fsnotify), so health updates at once.
	WatchStore bool
	// Watched are other tools' credential stores, shown read-only.
	Watched []watched.Source
	// OpenURL opens a URL in the user's browser (sign-in). Default: an
	// error saying no browser is available.
	OpenURL func(url string) error
	// Policy is the retry policy; the zero value means DefaultPolicy.
	Policy Policy
}

// Errors reported in account health.
var (
	ErrNotSignedIn    = errors.New("not signed in")
	ErrNoRefreshToken = errors.New("the stored login has no refresh token")
	ErrUnknownAccount = errors.New("unknown account")
)

// Engine keeps owned accounts fresh and publishes snapshots.
type Engine struct {
	store  *store.Dir
	clock  Clock
	log    *slog.Logger
	rand   func() float64
	watch  bool
	policy Policy

	owned       []*owned
	byName      map[string]*owned
	watchedAccs []*watchedAcc
	signIns     signIns
	wakeWatched chan struct{}
	openURL     func(string) error
	logWriter   io.Writer

	mu       sync.Mutex // guards the fields below
	statuses map[string]Account
	order    []string
	snap     Snapshot
	subs     map[chan Snapshot]struct{}
}

// owned is the engine's private state for one owned account. Fields below
// mu are touched only while holding mu, which also serialises refreshes of
// the account inside this process (one in-flight refresh per account).
type owned struct {
	cfg   OwnedAccount
	poke  chan struct{} // wakes the loop: reload the store, then maybe refresh
	force atomic.Bool   // the wake-up asks for a forced refresh

	mu         sync.Mutex
	rec        *store.Record // last record read from the store; nil if none
	loadErr    error         // fs.ErrNotExist or *store.MalformedError
	user       string        // e-mail from the ID token, for display
	signedIn   time.Time     // when SignIn last completed
	jitter     time.Duration // refresh this much before expiry-lead
	refreshing bool
	offline    bool
	failures   int              // consecutive counted failures
	failedWith oauthflow.Secret // refresh token of the failing attempts
	dead       bool             // terminal error: wait for a new sign-in
	deadReason string
	nextTry    time.Time
	lastErr    string
	signInErr  string // why the last sign-in did not complete (signin.go)
	// unsaved is a refreshed record that could not be written (disk full,
	// read-only file system): the server has already rotated the refresh
	// token, so it is written before anything else is tried.
	unsaved     *store.Record
	unsavedFrom oauthflow.Secret // the refresh token it replaced
}

// New creates an engine for the given owned accounts.
func New(opts Options, accounts []OwnedAccount) *Engine {
	e := &Engine{
		store: opts.Store, clock: opts.Clock, log: opts.Log, rand: opts.Rand, watch: opts.WatchStore,
		byName:      map[string]*owned{},
		statuses:    map[string]Account{},
		subs:        map[chan Snapshot]struct{}{},
		openURL:     opts.OpenURL,
		policy:      opts.Policy,
		signIns:     signIns{flows: map[string]*openSignIn{}},
		wakeWatched: make(chan struct{}, 1),
	}
	if e.policy == (Policy{}) {
		e.policy = DefaultPolicy
	}
	if e.openURL == nil {
		e.openURL = func(string) error { return errors.New("no browser available") }
	}
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.rand == nil {
		e.rand = rand.Float64
	}
	for _, cfg := range accounts {
		cfg.RefreshLead = max(cfg.RefreshLead, 0)
		if cfg.CheckInterval <= 0 {
			cfg.CheckInterval = 30 * time.Minute
		}
		a := &owned{cfg: cfg, poke: make(chan struct{}, 1)}
		e.owned = append(e.owned, a)
		e.byName[cfg.Name] = a
		e.order = append(e.order, cfg.Name)
	}
	e.logWriter = &slogWriter{log: e.log}
	now := e.clock.Now()
	for _, src := range opts.Watched {
		w := &watchedAcc{src: src, checkOK: true}
		e.watchedAccs = append(e.watchedAccs, w)
		m, st := watched.Probe(src, now)
		a := watchedStatus(src, m, st)
		e.statuses[a.Name] = a
		e.order = append(e.order, a.Name)
	}
	for _, a := range e.owned {
		a.mu.Lock()
		e.reloadLocked(a)
		e.statuses[a.cfg.Name] = a.statusLocked(now)
		a.mu.Unlock()
	}
	e.snap = e.buildLocked(now)
	return e
}

// Snapshot returns the current snapshot.
func (e *Engine) Snapshot() Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.snap
}

// Subscribe returns a channel that always holds the latest snapshot (older
// undelivered ones are dropped, so a slow subscriber never blocks the
// engine) and a function to unsubscribe. The current snapshot is delivered
// at once.
func (e *Engine) Subscribe() (<-chan Snapshot, func()) {
	ch := make(chan Snapshot, 1)
	e.mu.Lock()
	e.subs[ch] = struct{}{}
	ch <- e.snap
	e.mu.Unlock()
	return ch, func() {
		e.mu.Lock()
		delete(e.subs, ch)
		e.mu.Unlock()
	}
}

// Run keeps the accounts fresh until ctx is cancelled.
func (e *Engine) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	if e.watch && len(e.owned) > 0 {
		stop, err := e.watchStore(ctx)
		if err != nil {
			e.log.Warn("keepalive: cannot watch the token directory; changes by other processes are noticed at the next check", "err", err)
		} else {
			defer stop()
		}
	}
	for _, a := range e.owned {
		wg.Go(func() { e.loop(ctx, a) })
	}
	if len(e.watchedAccs) > 0 {
		wg.Go(func() { e.runWatched(ctx) })
	}
	wg.Wait()
	<-ctx.Done() // with no owned accounts there is nothing to wait for
	return ctx.Err()
}

// RefreshNow asks the running engine to refresh one account now, or every
// owned account when name is "". It does not wait.
func (e *Engine) RefreshNow(name string) error {
	for _, a := range e.owned {
		if name == "" || a.cfg.Name == name {
			a.force.Store(true)
			a.wake()
			if name != "" {
				return nil
			}
		}
	}
	if name != "" {
		return fmt.Errorf("%w %q", ErrUnknownAccount, name)
	}
	return nil
}

// Wake makes every account re-read its store and re-check its schedule at
// once, e.g. when the machine resumes from suspend: an overdue refresh then
// happens now instead of at the end of the current sleep step.
func (e *Engine) Wake() {
	for _, a := range e.owned {
		e.Reload(a.cfg.Name)
	}
	select {
	case e.wakeWatched <- struct{}{}:
	default:
	}
}

// Reload makes the engine re-read an account's token file (after a sign-in
// or a change by another process).
func (e *Engine) Reload(name string) {
	if a := e.byName[name]; a != nil {
		a.wake()
	}
}

// wake makes the account's loop reload its store and re-check its
// schedule (and refresh, when force is set). Wake-ups never get lost: a
// pending one covers any number of later ones.
func (a *owned) wake() {
	select {
	case a.poke <- struct{}{}:
	default: // one is pending already
	}
}

// Refresh refreshes one owned account synchronously. Without force it only
// refreshes when the token is due, so several processes calling it at once
// refresh once. It returns the account's status afterwards, whether this
// call obtained new tokens, and the refresh error, if any.
func (e *Engine) Refresh(ctx context.Context, name string, force bool) (Account, bool, error) {
	a := e.byName[name]
	if a == nil {
		return Account{}, false, fmt.Errorf("%w %q", ErrUnknownAccount, name)
	}
	a.mu.Lock()
	e.reloadLocked(a)
	a.mu.Unlock()
	refreshed, err := e.attempt(ctx, a, force)
	return e.status(name), refreshed, err
}

// AccessToken returns a valid access token for an owned account,
// refreshing first when it is due. While the current access token is still
// valid it is returned even if the refresh failed (check Snapshot for the
// account's health). Without a usable token the error wraps ErrNotSignedIn
// when the user has to sign in.
func (e *Engine) AccessToken(ctx context.Context, name string) (oauthflow.Secret, error) {
	st, _, rerr := e.Refresh(ctx, name, false)
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	a := e.byName[name]
	a.mu.Lock()
	defer a.mu.Unlock()
	now := e.clock.Now()
	switch {
	case a.loadErr != nil && !errors.Is(a.loadErr, fs.ErrNotExist):
		return "", a.loadErr
	case a.rec == nil || a.rec.AccessToken.IsZero():
		return "", fmt.Errorf("%s: %w", name, ErrNotSignedIn)
	case a.rec.Expiry.IsZero() || now.Before(a.rec.Expiry):
		return a.rec.AccessToken, nil
	case st.State == NeedsSignIn:
		return "", fmt.Errorf("%s: %w: %s", name, ErrNotSignedIn, st.Reason)
	}
	return "", fmt.Errorf("%s: the access token has expired and could not be refreshed: %v", name, rerr)
}

func (e *Engine) status(name string) Account {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.statuses[name]
}

// loop is the scheduler of one account. It sleeps in steps of at most
// MaxStep and compares wall-clock deadlines after every step, so an
// overdue refresh after a suspend/resume happens at once.
func (e *Engine) loop(ctx context.Context, a *owned) {
	for {
		now := e.clock.Now()
		a.mu.Lock()
		due, scheduled := a.nextAttemptLocked()
		e.publishLocked(a, now)
		a.mu.Unlock()

		if scheduled && !now.Before(due) {
			if _, err := e.attempt(ctx, a, false); err != nil && ctx.Err() != nil {
				return
			}
			continue
		}
		step := MaxStep
		if scheduled {
			step = min(step, due.Sub(now))
		}
		t := e.clock.NewTimer(step)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
			if !scheduled {
				// Nothing to do until the file changes: look at it once a
				// step, in case fsnotify missed the change (a symlinked
				// file, exhausted inotify watches).
				a.mu.Lock()
				e.reloadLocked(a)
				a.mu.Unlock()
			}
		case <-a.poke:
			t.Stop()
			if a.force.Swap(false) {
				e.attempt(ctx, a, true)
			} else {
				a.mu.Lock()
				e.reloadLocked(a)
				a.mu.Unlock()
			}
		}
	}
}

// nextAttemptLocked returns when the next refresh is due, or false when
// nothing can be done until the user signs in or the file changes.
func (a *owned) nextAttemptLocked() (time.Time, bool) {
	switch {
	case a.loadErr != nil, a.rec == nil, a.dead, a.rec.RefreshToken.IsZero():
		return time.Time{}, false
	case !a.nextTry.IsZero():
		return a.nextTry, true
	}
	return a.dueAt(a.rec), true
}

// minRefreshGap is the least time between two scheduled refreshes of one
// account, whatever the server says about lifetimes.
const minRefreshGap = 30 * time.Second

// dueAt is when rec should be refreshed: expiry minus lead (and jitter),
// or obtained-at plus the check interval when the expiry is unknown. The
// lead is capped at half the token's lifetime, and a refresh is never due
// sooner than minRefreshGap after the last one, so a server whose tokens
// live shorter than the lead (or that answers with the same token and its
// remaining lifetime) is not refreshed in a loop.
func (a *owned) dueAt(rec *store.Record) time.Time {
	if rec.Expiry.IsZero() {
		return rec.ObtainedAt.Add(a.cfg.CheckInterval)
	}
	lead := a.cfg.RefreshLead
	if !rec.ObtainedAt.IsZero() && rec.Expiry.After(rec.ObtainedAt) {
		lead = min(lead, rec.Expiry.Sub(rec.ObtainedAt)/2)
	}
	due := rec.Expiry.Add(-lead - min(a.jitter, lead))
	if !rec.ObtainedAt.IsZero() && rec.Expiry.After(rec.ObtainedAt.Add(minRefreshGap)) {
		due = maxTime(due, rec.ObtainedAt.Add(minRefreshGap))
	}
	return due
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// reloadLocked re-reads the token file. A new refresh token (a sign-in, or
// another process that refreshed) ends a failure episode.
func (e *Engine) reloadLocked(a *owned) {
	rec, err := e.store.Load(a.cfg.Name)
	e.adoptLocked(a, rec, err)
}

func (e *Engine) adoptLocked(a *owned, rec *store.Record, err error) {
	if err != nil {
		var me *store.MalformedError
		if errors.As(err, &me) && !errors.As(a.loadErr, &me) {
			e.log.Error("keepalive: token file is malformed; left untouched", "account", a.cfg.Name, "err", err)
		}
		a.rec, a.loadErr = nil, err
		return
	}
	changed := a.rec == nil || a.rec.RefreshToken != rec.RefreshToken || !a.rec.Expiry.Equal(rec.Expiry)
	a.rec, a.loadErr = rec, nil
	if changed {
		a.jitter = time.Duration(e.rand() * float64(refreshJitter))
		a.user = (&oauthflow.Token{IDToken: rec.IDToken, AccessToken: rec.AccessToken}).Identity().String()
		if rec.ModeWarning != "" {
			e.log.Warn("keepalive: "+rec.ModeWarning, "account", a.cfg.Name)
		}
	}
	if (a.failures > 0 || a.dead || a.offline) && rec.RefreshToken != a.failedWith {
		e.log.Info("keepalive: a new login was stored; failure episode over", "account", a.cfg.Name)
		a.endEpisodeLocked()
	}
}

func (a *owned) endEpisodeLocked() {
	a.failures, a.dead, a.offline = 0, false, false
	a.failedWith, a.nextTry, a.lastErr = "", time.Time{}, ""
}

// attempt performs one refresh under the store's cross-process lock:
// lock -> re-read -> decide -> refresh -> write -> unlock. It reports
// whether new tokens were obtained and stored.
//
// ctx bounds the wait for the lock only. Once the request is sent, the
// server may rotate the refresh token at any moment, so the request and the
// write run to completion (bounded by oauthflow.DefaultTimeout) even when
// ctx is cancelled: dropping the response would leave the store holding a
// refresh token the server has already invalidated.
func (e *Engine) attempt(ctx context.Context, a *owned, force bool) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := e.clock.Now()
	a.refreshing = true
	e.publishLocked(a, now)
	defer func() {
		a.refreshing = false
		e.publishLocked(a, e.clock.Now())
	}()

	var used oauthflow.Secret
	var latest, next *store.Record
	rec, err := e.store.Update(ctx, a.cfg.Name, func(cur *store.Record) (*store.Record, error) {
		latest = cur
		if a.unsaved != nil {
			if cur != nil && cur.RefreshToken == a.unsavedFrom {
				next = a.unsaved // first write what the server already gave us
				return next, nil
			}
			a.unsaved = nil // somebody stored a newer login meanwhile
		}
		if cur == nil {
			return nil, ErrNotSignedIn
		}
		if !force && now.Before(a.dueAt(cur)) {
			return nil, nil // another process refreshed already
		}
		if cur.RefreshToken.IsZero() {
			return nil, ErrNoRefreshToken
		}
		if err := cur.Writable(); err != nil {
			return nil, err // a rotated token would have nowhere to go
		}
		used = cur.RefreshToken
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), oauthflow.DefaultTimeout)
		defer cancel()
		tok, err := a.cfg.Client.Refresh(rctx, cur.RefreshToken)
		if err != nil {
			return nil, err
		}
		cur.Apply(tok)
		next = cur
		return next, nil
	})
	if err != nil && next != nil {
		// The write failed after the server answered: keep the new tokens
		// and write them first next time.
		if a.unsaved == nil {
			a.unsaved, a.unsavedFrom = next, used
		}
		e.log.Error("keepalive: cannot store refreshed tokens; will retry the write", "account", a.cfg.Name, "err", err)
	}
	if rec == nil {
		rec = latest
	}
	switch {
	case err == nil:
		e.adoptLocked(a, rec, nil)
		a.endEpisodeLocked()
		if next != nil {
			a.unsaved = nil
			e.log.Info("keepalive: refreshed", "account", a.cfg.Name, "expires_in", HumanDuration(rec.Expiry.Sub(e.clock.Now())))
		}
		return next != nil, nil
	case ctx.Err() != nil && next == nil:
		return false, err
	case errors.Is(err, ErrNotSignedIn):
		e.adoptLocked(a, nil, fs.ErrNotExist)
		return false, err
	case errors.Is(err, ErrNoRefreshToken):
		e.adoptLocked(a, rec, nil)
		return false, err
	}
	var me *store.MalformedError
	if errors.As(err, &me) {
		e.adoptLocked(a, nil, err)
		return false, err
	}
	if e.failLocked(a, used, err) {
		return false, nil // someone else rotated the token meanwhile
	}
	return false, err
}

// failLocked applies the retry policy to a failed refresh. It reports true
// when the failure turned out to be harmless (the store holds a newer
// refresh token).
func (e *Engine) failLocked(a *owned, used oauthflow.Secret, err error) bool {
	now := e.clock.Now()
	failures := a.failures
	if used != a.failedWith {
		failures = 0
	}
	d := e.policy.Decide(err, failures+1, e.rand())
	if d.SignIn {
		// Another process may have rotated the token without our lock
		// (RFC 6749 §6): re-read before declaring the login dead.
		if rec, lerr := e.store.Load(a.cfg.Name); lerr == nil && rec.RefreshToken != used {
			e.log.Info("keepalive: refresh token was rotated elsewhere; using the new one", "account", a.cfg.Name)
			e.adoptLocked(a, rec, nil)
			a.endEpisodeLocked()
			a.nextTry = now
			return true
		}
	}
	a.failedWith = used
	a.lastErr = err.Error()
	switch {
	case d.SignIn:
		a.failures = failures + 1
		a.dead, a.offline, a.nextTry = true, false, time.Time{}
		a.deadReason = terminalReason(err)
		e.log.Warn("keepalive: refresh rejected; sign-in needed", "account", a.cfg.Name, "err", err)
	case !d.Count:
		a.offline = true
		a.nextTry = now.Add(d.Delay)
		e.log.Info("keepalive: offline; will retry", "account", a.cfg.Name, "retry_in", HumanDuration(d.Delay), "err", err)
	default:
		a.failures = failures + 1
		a.offline = false
		a.nextTry = now.Add(d.Delay)
		lvl := slog.LevelInfo
		if a.failures >= FailuresToAlert {
			lvl = slog.LevelWarn
		}
		e.log.Log(context.Background(), lvl, "keepalive: refresh failed; will retry", "account", a.cfg.Name,
			"attempt", a.failures, "retry_in", HumanDuration(d.Delay), "err", err)
	}
	return false
}

// statusLocked derives the published status from the worker state.
func (a *owned) statusLocked(now time.Time) Account {
	st := Account{Name: a.cfg.Name, Kind: Owned, Attempt: a.failures, LastError: a.lastErr, User: a.user, SignedIn: a.signedIn,
		SignInError: a.signInErr}
	if a.rec != nil {
		st.Expiry = a.rec.Expiry
		st.Deadline = a.rec.RefreshExpiry
		st.LastRefresh = a.rec.ObtainedAt
	}
	if a.failures > 0 || a.offline {
		st.NextTry = a.nextTry
	}
	var me *store.MalformedError
	switch {
	case errors.As(a.loadErr, &me):
		st.State, st.Reason = Broken, me.Error()
	case a.loadErr != nil && errors.Is(a.loadErr, fs.ErrNotExist):
		st.State, st.Reason = NeedsSignIn, "not signed in"
	case a.loadErr != nil:
		st.State, st.Reason = Broken, a.loadErr.Error()
	case a.dead:
		st.State, st.Reason = NeedsSignIn, a.deadReason
	case a.rec.RefreshToken.IsZero():
		st.State, st.Reason = NeedsSignIn, ErrNoRefreshToken.Error()
	case !a.rec.RefreshExpiry.IsZero() && !now.Before(a.rec.RefreshExpiry):
		st.State, st.Reason = NeedsSignIn, "the login has expired"
	case a.refreshing:
		st.State = Refreshing
	case a.failures >= FailuresToAlert:
		st.State, st.Reason = NeedsSignIn, fmt.Sprintf("%d refreshes failed in a row", a.failures)
	case a.failures > 0:
		st.State = Retrying
	case a.offline:
		st.State = Offline
	default:
		st.NextRefresh = a.dueAt(a.rec)
		st.State = OK
		if !now.Before(st.NextRefresh) {
			st.State = Due
		}
	}
	return st
}

// publishLocked recomputes an account's status and, when it changed,
// publishes a new snapshot. Caller holds a.mu.
func (e *Engine) publishLocked(a *owned, now time.Time) {
	st := a.statusLocked(now)
	e.setStatus(st, now)
}

// setStatus stores one account's status and publishes a snapshot if it
// changed.
func (e *Engine) setStatus(st Account, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.statuses[st.Name]; ok && sameStatus(old, st) {
		return
	}
	if _, ok := e.statuses[st.Name]; !ok {
		e.order = append(e.order, st.Name)
	}
	e.statuses[st.Name] = st
	e.snap = e.buildLocked(now)
	for ch := range e.subs {
		select {
		case <-ch: // drop the undelivered older snapshot
		default:
		}
		ch <- e.snap
	}
}

func (e *Engine) buildLocked(now time.Time) Snapshot {
	s := Snapshot{At: now, Accounts: make([]Account, 0, len(e.order))}
	for _, n := range e.order {
		s.Accounts = append(s.Accounts, e.statuses[n])
	}
	slices.SortStableFunc(s.Accounts, func(x, y Account) int {
		if x.Kind.IsWatched() != y.Kind.IsWatched() {
			if x.Kind.IsWatched() {
				return 1
			}
			return -1
		}
		return 0
	})
	return s
}

// terminalReason says in words why a terminal refresh error needs the
// user, and what to do.
func terminalReason(err error) string {
	var oe *oauthflow.Error
	if errors.As(err, &oe) {
		switch oe.Code {
		case "invalid_client", "unauthorized_client", "unsupported_grant_type":
			return "the server rejected tokentray's client registration (" + oe.Code + "): check client_id and client_secret in the config"
		case "invalid_scope":
			return "the server rejected the requested scopes (invalid_scope): check scopes in the config"
		}
	}
	if errors.Is(err, oauthflow.ErrInsecureURL) || errors.Is(err, oauthflow.ErrBadMetadata) {
		return "the provider settings are wrong: check the account's URLs in the config"
	}
	return "the server rejected the refresh token"
}

func sameStatus(a, b Account) bool {
	return a.Name == b.Name && a.Kind == b.Kind && a.State == b.State && a.Reason == b.Reason && a.User == b.User && a.SignedIn.Equal(b.SignedIn) &&
		a.Expiry.Equal(b.Expiry) && a.Deadline.Equal(b.Deadline) && a.NextRefresh.Equal(b.NextRefresh) &&
		a.LastRefresh.Equal(b.LastRefresh) && a.Attempt == b.Attempt && a.NextTry.Equal(b.NextTry) &&
		a.LastError == b.LastError && a.SignInError == b.SignInError
}
