package keepalive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"syscall"
	"time"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
)

// step applies event ev at wall-clock instant now to state s and returns
// the new state and the effects to carry out. rnd is a uniform value in
// [0, 1) for the jitters. step holds every rule of the engine: when a
// token is due (lead, its cap, jitter), backoff, Retry-After, offline,
// three failures, terminal errors, a token rotated elsewhere, remembered
// health, sign-in and sign-out, and the episodes the tray shows. It does
// no I/O; the engine carries out the effects and feeds their outcome back
// as events.
func step(s state, ev event, now time.Time, rnd float64) (state, []effect) {
	var out []effect
	emit := func(e ...effect) { out = append(out, e...) }
	touched := map[*acct]cause{}
	touch := func(a *acct, c cause) {
		if old, ok := touched[a]; !ok || c > old {
			touched[a] = c
		}
	}

	switch ev := ev.(type) {
	case evTick:
		// The wall clock is compared with every deadline: after a
		// suspend, whatever came due meanwhile is done now.
		for _, name := range s.order {
			a := s.owned[name]
			touch(a, causeNone) // time passing changes OK into Due, etc.
			if at, ok := a.nextAttempt(); ok && !a.refreshing && !now.Before(at) {
				emit(a.startRefresh(false))
			}
		}
		if !now.Before(s.stepDue) {
			s.stepDue = now.Add(s.checkPeriod())
			for _, name := range s.order {
				a := s.owned[name]
				if _, ok := a.nextAttempt(); !ok && !a.refreshing {
					// Nothing scheduled until the file changes: look at it
					// once a step, in case a change notification was
					// missed (a symlinked file, no inotify watches left).
					emit(effLoad{name: name})
				}
			}
			if len(s.watchedOrder) > 0 {
				emit(effProbeWatched{})
			}
		}
	case evResume:
		for _, name := range s.order {
			emit(effLoad{name: name})
		}
		if len(s.watchedOrder) > 0 {
			emit(effProbeWatched{})
		}
	case evFileChanged:
		if s.owned[ev.name] != nil {
			emit(effLoad{name: ev.name})
		}
	case evLoaded:
		if a := s.owned[ev.name]; a != nil && !a.signingIn {
			emit(a.adopt(ev.rec, ev.err, ev.health, now, rnd)...)
			touch(a, causeNone)
		}
	case evRefreshNow:
		for _, name := range s.order {
			if ev.name != "" && name != ev.name {
				continue
			}
			a := s.owned[name]
			if a.refreshing {
				a.forceNext = true
				continue
			}
			emit(a.startRefresh(true))
			touch(a, causeNone)
		}
	case evRefreshDone:
		if a := s.owned[ev.res.name]; a != nil {
			refreshing := a.refreshing && ev.external
			emit(a.finish(ev.res, s.policy, now, rnd)...)
			a.refreshing = refreshing
			touch(a, causeNone)
			if a.forceNext && !a.refreshing {
				a.forceNext = false
				emit(a.startRefresh(true))
			}
		}
	case evSigningIn:
		if a := s.owned[ev.name]; a != nil {
			a.signingIn = true
		}
	case evSigningOut:
		if a := s.owned[ev.name]; a != nil {
			a.health = store.Health{SignedOut: true, At: now}
			emit(effSaveHealth{name: a.cfg.Name, health: a.health})
		}
	case evSignedIn:
		a := s.owned[ev.name]
		if a != nil {
			a.signingIn = false
		}
		if a != nil && ev.err != nil {
			emit(effLoad{name: a.cfg.Name}) // see what is stored now
		}
		if a != nil && ev.err == nil {
			emit(a.adopt(ev.rec, nil, store.Health{}, now, rnd)...)
			a.writable()
			a.endEpisode()
			a.signedIn, a.signedOut = now, false
			a.signInErr = ""
			// A new login clears what was remembered about the old one
			// (by any process).
			a.health = store.Health{}
			emit(effSaveHealth{name: a.cfg.Name})
			touch(a, causeSignIn)
		}
	case evSignInError:
		if a := s.owned[ev.name]; a != nil && a.signInErr != ev.msg {
			a.signInErr = ev.msg
			touch(a, causeNone)
		}
	case evSignedOut:
		if a := s.owned[ev.name]; a != nil {
			a.rec, a.loadErr, a.loaded = recInfo{}, fs.ErrNotExist, true
			a.writable()
			a.endEpisode()
			a.signedOut = true
			touch(a, causeSignOut)
		}
	case evConfig:
		next := map[string]*acct{}
		var order []string
		for _, cfg := range ev.accounts {
			cfg = normalize(cfg)
			a := s.owned[cfg.Name]
			if a == nil {
				a = &acct{cfg: cfg}
				emit(effLoad{name: cfg.Name})
			} else {
				if a.dead && clientChanged(a.cfg, cfg) {
					// The settings were fixed: try the login again.
					a.endEpisode()
				}
				a.cfg = cfg
			}
			next[cfg.Name] = a
			order = append(order, cfg.Name)
			touch(a, causeNone)
		}
		if len(order) != len(s.order) {
			emit(effPublish{}) // an account went away
		}
		s.owned, s.order = next, order
	case evWatchedChanged:
		emit(effProbeWatched{names: []string{ev.name}, fresh: true})
	case evWatchedSources:
		s.watchedSet = map[string]bool{}
		for _, name := range ev.names {
			s.watchedSet[name] = true
		}
		var order []string
		for _, name := range s.watchedOrder {
			if s.watchedSet[name] {
				order = append(order, name)
			} else {
				delete(s.watched, name)
			}
		}
		if len(order) != len(s.watchedOrder) {
			emit(effPublish{})
		}
		s.watchedOrder = order
	case evWatched:
		name := ev.acc.Name
		if s.watchedSet != nil && !s.watchedSet[name] {
			break // it went away while it was probed
		}
		old, known := s.watched[name]
		if !known {
			s.watchedOrder = append(s.watchedOrder, name)
		}
		acc := watchedEpisode(old, ev.acc, now)
		if acc != old {
			s.watched[name] = acc
			emit(effPublish{})
		}
	}

	changed := false
	for a, c := range touched {
		if a.republish(now, c) {
			changed = true
		}
	}
	if changed {
		emit(effPublish{})
	}
	return s, out
}

// cause is why an episode may end: a sign-in and a sign-out end it in
// their own way.
type cause int

const (
	causeNone cause = iota
	causeSignIn
	causeSignOut
)

func normalize(cfg OwnedAccount) OwnedAccount {
	cfg.RefreshLead = max(cfg.RefreshLead, 0)
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = 30 * time.Minute
	}
	return cfg
}

func clientChanged(a, b OwnedAccount) bool {
	if a.Client == nil || b.Client == nil {
		return a.Client != b.Client
	}
	x, y := a.Client, b.Client
	return x.ClientID != y.ClientID || x.ClientSecret != y.ClientSecret ||
		x.Endpoint.TokenURL != y.Endpoint.TokenURL || x.Endpoint.Issuer != y.Endpoint.Issuer
}

// startRefresh marks the account refreshing and returns the effect.
func (a *acct) startRefresh(force bool) effect {
	a.refreshing = true
	return effRefresh{name: a.cfg.Name, force: force, decide: a.schedule()}
}

func (a *acct) schedule() schedule {
	return schedule{lead: a.cfg.RefreshLead, checkInterval: a.cfg.CheckInterval, jitter: a.jitter, checkWrite: a.writeErr != ""}
}

// nextAttempt returns when the next refresh is due, or false when nothing
// can be done until the user signs in or the file changes.
func (a *acct) nextAttempt() (time.Time, bool) {
	switch {
	case !a.loaded, a.loadErr != nil, !a.rec.present, a.dead, a.rec.refreshToken.IsZero():
		return time.Time{}, false
	case !a.nextTry.IsZero():
		return a.nextTry, true
	}
	return a.schedule().dueAt(a.rec.expiry, a.rec.obtainedAt), true
}

// minRefreshGap is the least time between two scheduled refreshes of one
// account, whatever the server says about lifetimes.
const minRefreshGap = 30 * time.Second

// dueAt is when a token with this expiry, obtained at obtained, should be
// refreshed: expiry minus lead (and jitter), or obtained plus the check
// interval when the expiry is unknown. The lead is capped at half the
// token's lifetime, and a refresh is never due sooner than minRefreshGap
// after the last one, so a server whose tokens live shorter than the lead
// (or that answers with the same token and its remaining lifetime) is not
// refreshed in a loop.
func (p schedule) dueAt(expiry, obtained time.Time) time.Time {
	if expiry.IsZero() {
		return obtained.Add(p.checkInterval)
	}
	lead := p.lead
	if !obtained.IsZero() && expiry.After(obtained) {
		lead = min(lead, expiry.Sub(obtained)/2)
	}
	due := expiry.Add(-lead - min(p.jitter, lead))
	if !obtained.IsZero() && expiry.After(obtained.Add(minRefreshGap)) && due.Before(obtained.Add(minRefreshGap)) {
		due = obtained.Add(minRefreshGap)
	}
	return due
}

// needed reports whether a refresh of rec is needed at now: when it is
// due, or (minValid > 0, for `tokentray token`) only when less than
// minValid of validity remains; a server whose tokens live no longer
// than the least validity token asks for (tokenMinValidity) gets a refresh
// at half their lifetime, not at every call. (A longer --min-valid is
// tried: the server may give longer tokens.)
func (p schedule) needed(rec *store.Record, now time.Time, minValid time.Duration) bool {
	if minValid > 0 {
		if rec.Expiry.IsZero() {
			return !now.Before(rec.ObtainedAt.Add(p.checkInterval))
		}
		if life := rec.Expiry.Sub(rec.ObtainedAt); !rec.ObtainedAt.IsZero() && life > 0 && life <= minValid && minValid <= tokenMinValidity {
			minValid = life / 2
		}
		return rec.Expiry.Sub(now) < minValid
	}
	return !now.Before(p.dueAt(rec.Expiry, rec.ObtainedAt))
}

// adopt takes in what the store holds. A new refresh token (a sign-in, or
// another process that refreshed) ends a failure episode; remembered
// health about the current login is taken over.
func (a *acct) adopt(rec *store.Record, err error, h store.Health, now time.Time, rnd float64) []effect {
	var out []effect
	a.loaded = true
	a.health = h
	if err != nil {
		var me *atomicfile.MalformedError
		if errors.As(err, &me) && !errors.As(a.loadErr, &me) {
			out = append(out, effLog{slog.LevelError, "token file is malformed; left untouched", []any{"account", a.cfg.Name, "err", err}})
		}
		a.rec, a.loadErr = recInfo{}, err
		a.signedOut = errors.Is(err, fs.ErrNotExist) && h.SignedOut
		return out
	}
	info := infoOf(rec)
	if !a.rec.present || a.rec.refreshToken != info.refreshToken || !a.rec.expiry.Equal(info.expiry) {
		a.jitter = time.Duration(rnd * float64(refreshJitter))
	}
	if info.modeWarning != "" && info.modeWarning != a.rec.modeWarning {
		out = append(out, effLog{slog.LevelWarn, info.modeWarning, []any{"account", a.cfg.Name}})
	}
	// Someone else obtained new tokens (a rotated refresh token, or a
	// later obtained_at where the server does not rotate).
	newer := info.refreshToken != a.failedWith || (a.rec.present && info.obtainedAt.After(a.rec.obtainedAt))
	a.rec, a.loadErr, a.signedOut = info, nil, false
	if (a.failures > 0 || a.dead || a.offline) && newer {
		out = append(out, effLog{slog.LevelInfo, "a new login was stored; failure episode over", []any{"account", a.cfg.Name}})
		a.endEpisode()
	}
	if h.About(info.refreshToken) && (h.At.IsZero() || !info.obtainedAt.After(h.At)) { // not about older tokens of this login
		switch {
		case h.Rejected != "" && !a.dead:
			a.dead, a.deadReason = true, h.Rejected
			a.offline, a.nextTry = false, time.Time{}
			a.failedWith, a.failures, a.lastErr = info.refreshToken, max(a.failures, h.Failures, 1), h.LastError
		case h.Rejected == "" && h.Failures > a.failures && !a.dead:
			a.failedWith, a.failures, a.lastErr = info.refreshToken, h.Failures, h.LastError
		}
	}
	return out
}

// endEpisode ends a failure episode. A failed write is not part of one
// (see cannotWrite): its retry stays scheduled.
func (a *acct) endEpisode() {
	a.failures, a.dead, a.offline = 0, false, false
	a.failedWith, a.lastErr, a.deadReason = "", "", ""
	if a.writeErr == "" {
		a.nextTry = time.Time{}
	}
}

// writable forgets a failed write: the file was written (a sign-in), or
// there is nothing left to write (a sign-out).
func (a *acct) writable() {
	a.writeErr, a.writeFails, a.nextTry = "", 0, time.Time{}
}

// finish applies the outcome of a refresh effect.
func (a *acct) finish(res refreshResult, p Policy, now time.Time, rnd float64) []effect {
	a.refreshing = false
	err := res.err
	var me *atomicfile.MalformedError
	switch {
	case err == nil && !res.refreshed:
		// Nothing was sent (the access token is still valid, or another
		// process refreshed): new tokens in the store end an episode
		// (adopt), a valid token alone does not.
		return a.adopt(res.rec, nil, a.health, now, rnd)
	case err == nil:
		out := a.adopt(res.rec, nil, a.health, now, rnd)
		a.writable()
		a.endEpisode()
		if !a.health.IsZero() {
			a.health = store.Health{}
			out = append(out, effSaveHealth{name: a.cfg.Name})
		}
		if res.refreshed {
			out = append(out, effLog{slog.LevelInfo, "refreshed", []any{"account", a.cfg.Name, "expires_in", HumanDuration(res.rec.Expiry.Sub(now))}})
		}
		return out
	case res.used.IsZero() && errors.Is(err, context.Canceled), res.used.IsZero() && errors.Is(err, context.DeadlineExceeded):
		return nil // gave up waiting for the lock
	case errors.Is(err, ErrNotSignedIn):
		return a.adopt(nil, fs.ErrNotExist, a.health, now, rnd)
	case errors.Is(err, oauthflow.ErrNoRefreshToken) && res.used.IsZero():
		return a.adopt(res.rec, nil, a.health, now, rnd)
	case errors.As(err, &me):
		return a.adopt(nil, err, a.health, now, rnd)
	case isWriteError(err):
		return a.cannotWrite(res, p, now, rnd)
	}
	return a.fail(res, p, now, rnd)
}

// isWriteError reports whether err says the token file could not be
// written: no space could be reserved before the request (nothing was
// sent), or the answer could not be saved (the new tokens were rescued).
func isWriteError(err error) bool {
	_, reserve := errors.AsType[*store.ReserveError](err)
	_, save := errors.AsType[*store.SaveError](err)
	return reserve || save
}

// cannotWrite applies a failed write: a local problem (a full disk), not a
// failed login. It is retried with backoff, never counted toward
// failuresToAlert and never terminal; a sign-in does not help, so the
// episode offers none.
func (a *acct) cannotWrite(res refreshResult, p Policy, now time.Time, rnd float64) []effect {
	var out []effect
	if _, ok := errors.AsType[*store.SaveError](res.err); ok {
		// The server answered: the login works, and the new tokens are in
		// a rescued copy (or in memory) that Load finds.
		a.endEpisode()
		out = append(out, effLoad{name: a.cfg.Name})
	}
	a.writeFails++
	a.writeErr = writeReason(res.err)
	a.lastErr = res.err.Error()
	d := p.Backoff(a.writeFails, rnd)
	a.nextTry = now.Add(d)
	return append(out, effLog{slog.LevelWarn, "cannot write the token file; will retry", []any{"account", a.cfg.Name, "retry_in", HumanDuration(d), "err", res.err}})
}

// writeReason says in the words of status why the token file cannot be
// written.
func writeReason(err error) string {
	const what = "cannot write the token file"
	if errors.Is(err, syscall.ENOSPC) {
		return what + ": disk full"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return what + ": " + pe.Err.Error()
	}
	return what
}

// fail applies the retry policy to a failed refresh.
func (a *acct) fail(res refreshResult, p Policy, now time.Time, rnd float64) []effect {
	used, err := res.used, res.err
	failures := a.failures
	if used != a.failedWith {
		failures = 0
	}
	d := p.decide(err, failures+1, rnd)
	if d.SignIn && res.latest != nil && res.latest.RefreshToken != used {
		// Another process rotated the token without our lock (RFC 6749
		// §6): use the new one instead of declaring the login dead.
		out := a.adopt(res.latest, nil, a.health, now, rnd)
		a.endEpisode()
		a.nextTry = now
		return append(out, effLog{slog.LevelInfo, "refresh token was rotated elsewhere; using the new one", []any{"account", a.cfg.Name}})
	}
	a.failedWith = used
	a.lastErr = err.Error()
	name := a.cfg.Name
	remember := func() effect {
		if used.IsZero() {
			return nil
		}
		a.health = store.Health{Login: store.Fingerprint(used), Failures: a.failures, LastError: a.lastErr, At: now}
		if a.dead {
			a.health.Rejected = a.deadReason
		}
		return effSaveHealth{name: name, health: a.health}
	}
	var out []effect
	switch {
	case d.SignIn:
		a.failures = failures + 1
		a.dead, a.offline, a.nextTry = true, false, time.Time{}
		a.deadReason = terminalReason(err)
		out = append(out, effLog{slog.LevelWarn, "refresh rejected; sign-in needed", []any{"account", name, "err", err}})
		out = append(out, remember())
	case !d.Count:
		a.offline = true
		a.nextTry = now.Add(d.Delay)
		out = append(out, effLog{slog.LevelInfo, "offline; will retry", []any{"account", name, "retry_in", HumanDuration(d.Delay), "err", err}})
	default:
		a.failures = failures + 1
		a.offline = false
		a.nextTry = now.Add(d.Delay)
		lvl := slog.LevelInfo
		if a.failures >= failuresToAlert {
			lvl = slog.LevelWarn
		}
		out = append(out, effLog{lvl, "refresh failed; will retry", []any{"account", name, "attempt", a.failures, "retry_in", HumanDuration(d.Delay), "err", err}})
		out = append(out, remember())
	}
	kept := out[:0]
	for _, e := range out {
		if e != nil {
			kept = append(kept, e)
		}
	}
	return kept
}

// noRefreshReason is the state reason of a login without a refresh token;
// noRefreshNoExpiryReason the one of a token that does not expire either
// (a GitHub OAuth App's): it works until it is revoked.
const (
	noRefreshReason = "cannot keep this login alive: the server issued no refresh token " +
		"(ask for the offline_access scope; for Google set auth_params access_type = \"offline\" and prompt = \"consent\"), then sign in again"
	noRefreshNoExpiryReason = "the server issued no refresh token and no expiry: the token is used until the server " +
		"refuses it; then sign in again"
)

// status derives the published status from the account's state.
func (a *acct) status(now time.Time) Account {
	st := Account{Name: a.cfg.Name, Kind: Owned, Attempt: a.failures, LastError: a.lastErr, User: a.rec.user, SignedIn: a.signedIn,
		SignInError: a.signInErr}
	if a.rec.present {
		st.Expiry = a.rec.expiry
		st.ExpirySource = a.rec.expirySource
		if st.Expiry.IsZero() {
			// Without an expiry the token is refreshed every check
			// interval; say so instead of showing nothing.
			st.ExpirySource = oauthflow.ExpiryUnknown
		}
		st.Deadline = a.rec.refreshExpiry
		st.LastRefresh = a.rec.obtainedAt
		st.FileWarning = a.rec.modeWarning
	}
	if a.failures > 0 || a.offline {
		st.NextTry = a.nextTry
	}
	var me *atomicfile.MalformedError
	switch {
	case !a.loaded:
		st.State = Due // not read yet (only before the first load)
	case errors.As(a.loadErr, &me):
		st.State, st.Reason = Broken, me.Error()
	case a.loadErr != nil && errors.Is(a.loadErr, fs.ErrNotExist) && a.signedOut:
		st.State, st.Reason = SignedOut, "signed out"
	case a.loadErr != nil && errors.Is(a.loadErr, fs.ErrNotExist):
		st.State, st.Reason = NeedsSignIn, "not signed in"
	case a.loadErr != nil:
		st.State, st.Reason = Broken, a.loadErr.Error()
	case a.dead:
		st.State, st.Reason = NeedsSignIn, a.deadReason
	case a.rec.refreshToken.IsZero() && !a.rec.expiry.IsZero() && !now.Before(a.rec.expiry):
		st.State, st.Reason = NeedsSignIn, "the access token has expired and there is no refresh token: sign in again"
	case a.rec.refreshToken.IsZero() && a.rec.expiry.IsZero():
		st.State, st.Reason = Warning, noRefreshNoExpiryReason
	case a.rec.refreshToken.IsZero():
		st.State, st.Reason = Warning, noRefreshReason
	case !a.rec.refreshExpiry.IsZero() && !now.Before(a.rec.refreshExpiry):
		st.State, st.Reason = NeedsSignIn, "the login has expired"
	case a.refreshing:
		st.State = Refreshing
	case a.failures >= failuresToAlert:
		st.State, st.Reason = NeedsSignIn, fmt.Sprintf("%d refreshes failed in a row", a.failures)
	case a.writeErr != "":
		st.State, st.Reason, st.NextTry = Warning, a.writeErr, a.nextTry
	case a.failures > 0:
		st.State = Retrying
	case a.offline:
		st.State = Offline
	default:
		st.NextRefresh, _ = a.nextAttempt()
		st.State = OK
		if !now.Before(st.NextRefresh) {
			st.State = Due
		}
	}
	return st.normalized()
}

// republish recomputes the account's status and episode; it reports
// whether the status changed.
func (a *acct) republish(now time.Time, c cause) bool {
	st := a.status(now)
	a.episode = nextEpisode(a.episode, st, c, false, a.writeErr == "" || st.State != Warning, now)
	st.Episode = a.episode.normalized()
	if st == a.pub {
		return false
	}
	a.pub = st
	return true
}

// watchedEpisode gives a watched account's new status acc the episode that
// follows the one of its previous status old.
func watchedEpisode(old, acc Account, now time.Time) Account {
	acc.Episode = nextEpisode(old.Episode, acc, causeNone, true, true, now).normalized()
	return acc.normalized()
}

// level groups states into episodes: 0 none; 1 trouble the engine handles
// (retrying, offline); 2 a login that will end (Warning); 3 sign-in
// needed; 4 broken credentials. Refreshing and Due are transitional
// (settled false): an account that needs a sign-in passes through
// Refreshing on every background retry, and that must neither end nor
// restart its episode.
func level(s State) (lvl int, settled bool) {
	switch s {
	case Refreshing, Due:
		return 0, false
	case Offline, Retrying:
		return 1, true
	case Warning:
		return 2, true
	case NeedsSignIn:
		return 3, true
	case Broken:
		return 4, true
	default: // OK, SignedOut
		return 0, true
	}
}

// nextEpisode is the episode after an account reached status st: an
// episode opens when the account gets into trouble (with the reason),
// follows it (escalating to needs-sign-in), and ends when it recovers,
// with how: a sign-in (for a watched account: it recovered from needing a
// sign-in, which only its owner's sign-in does), a sign-out, or a plain
// recovery. signIn is false when a sign-in cannot help, whatever the
// state (a token file that cannot be written).
func nextEpisode(ep Episode, st Account, c cause, watched, signIn bool, now time.Time) Episode {
	lvl, settled := level(st.State)
	if !settled {
		return ep
	}
	if lvl == 0 {
		if ep.Open() {
			ep.Ended, ep.End = now, EndRecovered
			switch {
			case c == causeSignOut || st.State == SignedOut:
				ep.End = EndSignedOut
			case c == causeSignIn, watched && ep.State == NeedsSignIn:
				ep.End = EndSignedIn
			}
		}
		return ep
	}
	reason := st.Reason
	if reason == "" {
		reason = st.LastError
	}
	if !ep.Open() {
		return Episode{ID: ep.ID + 1, State: st.State, Reason: reason, Opened: now, SignIn: signIn && signInHelps(st.State)}
	}
	if st.State != ep.State || ep.SignIn != (signIn && signInHelps(st.State)) {
		ep.State, ep.Reason, ep.SignIn = st.State, reason, signIn && signInHelps(st.State)
	}
	return ep
}

// signInHelps reports whether a sign-in resolves an episode in state s
// (a broken file needs the user's hands, not a sign-in).
func signInHelps(s State) bool { return s == NeedsSignIn || s == Warning }

// nextWake is the instant of the earliest deadline after now: a due
// refresh, a status that changes with time, or the next wall-clock check.
// Zero means none (only with wall-clock timers: otherwise the check
// bounds every sleep).
func nextWake(s state, now time.Time) time.Time {
	var wake time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (wake.IsZero() || t.Before(wake)) {
			wake = t
		}
	}
	check := !s.wallTimers || len(s.watchedOrder) > 0
	for _, name := range s.order {
		a := s.owned[name]
		if a.refreshing {
			continue
		}
		at, ok := a.nextAttempt()
		if ok {
			earlier(at)
		} else {
			check = true // its file is looked at by the check
		}
		// A status that changes with time alone: OK becomes Due; a login
		// without a refresh token ends when its access token expires, and
		// any login when its refresh token does.
		if a.pub.State == OK && !a.pub.NextRefresh.IsZero() {
			earlier(a.pub.NextRefresh)
		}
		if a.rec.present && a.rec.refreshToken.IsZero() && a.rec.expiry.After(now) {
			earlier(a.rec.expiry)
		}
		if a.rec.present && a.rec.refreshExpiry.After(now) {
			earlier(a.rec.refreshExpiry)
		}
	}
	if s.wallTimers {
		// A watched login's state changes when its access token expires
		// and when its deadline passes.
		for _, name := range s.watchedOrder {
			w := s.watched[name]
			for _, t := range []time.Time{w.Expiry, w.Deadline} {
				if t.After(now) {
					earlier(t)
				}
			}
		}
	}
	if check && s.stepDue.IsZero() {
		return now // never checked yet
	}
	if check {
		earlier(s.stepDue)
	}
	return wake
}

// checkPeriod is the period of the wall-clock check.
func (s state) checkPeriod() time.Duration {
	if s.wallTimers {
		return slowCheck
	}
	return maxStep
}

// snapshot builds the published snapshot: owned accounts in configuration
// order, then the watched ones, and the account the top-level Sign In
// serves.
func (s state) snapshot(now time.Time) Snapshot {
	snap := Snapshot{At: now.UTC().Round(0), Accounts: make([]Account, 0, len(s.order)+len(s.watchedOrder))}
	for _, name := range s.order {
		snap.Accounts = append(snap.Accounts, s.owned[name].pub)
	}
	for _, name := range s.watchedOrder {
		snap.Accounts = append(snap.Accounts, s.watched[name])
	}
	snap.SignInTarget = signInTarget(snap.Accounts)
	return snap
}

// signInTarget chooses the account the top-level Sign In serves: the first
// that needs a sign-in, else the first whose login is about to end, else
// the first signed out. Others are served by their own submenus.
func signInTarget(accs []Account) string {
	for _, want := range []State{NeedsSignIn, Warning, SignedOut} {
		for _, a := range accs {
			if a.State == want && (a.Episode.SignIn || !a.Episode.Open()) {
				return a.Name
			}
		}
	}
	return ""
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
