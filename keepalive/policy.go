package keepalive

import (
	"errors"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
)

// Policy is the retry policy for failed refreshes.
//
// Transient failures back off exponentially (with DefaultPolicy: about
// 30 s, 2 min, 8 min, then 30 min), each delay jittered by ±20 % so that
// many clients do not retry in lockstep. The failuresToAlert-th consecutive
// failure puts the account in NeedsSignIn, but retries continue in the
// background: a later success ends the episode. A Retry-After header
// (RFC 9110 §10.2.3) lengthens the delay, capped at MaxRetryAfter.
type Policy struct {
	Base, Max     time.Duration
	MaxRetryAfter time.Duration
	// Offline is how often an offline account probes the network again.
	Offline time.Duration
}

// DefaultPolicy is tokentray's policy. The demo runs a faster one.
var DefaultPolicy = Policy{
	Base:          30 * time.Second,
	Max:           30 * time.Minute,
	MaxRetryAfter: 30 * time.Minute,
	Offline:       30 * time.Second,
}

const (
	// failuresToAlert consecutive failed refreshes mean the user is needed.
	failuresToAlert = 3
	// maxStep bounds every sleep so that a suspend/resume, which stops the
	// monotonic clock but not the wall clock, is noticed within a minute.
	maxStep = 60 * time.Second
	// slowCheck is the period of the check with wall-clock timers, which
	// notice a suspend or a clock change themselves: files without a
	// schedule are re-read in case a change notification was missed (a
	// symlinked file, no inotify watches left, a network file system),
	// and watched stores are probed (their tools' health rules change
	// with time, and their check commands run every checkEvery).
	slowCheck = 5 * time.Minute
	// maxWallSleep bounds a sleep on wall-clock timers: a look once a day
	// even when nothing is due.
	maxWallSleep = 24 * time.Hour
	// refreshJitter spreads scheduled refreshes up to this much earlier.
	refreshJitter = 30 * time.Second
)

// Backoff returns the delay before retry number attempt (1-based: the delay
// after the first failure is Backoff(1, ...)). rnd is a uniform value in
// [0, 1) for the jitter.
func (p Policy) Backoff(attempt int, rnd float64) time.Duration {
	d := p.Base
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 4
	}
	return jitter(min(d, p.Max), rnd)
}

func jitter(d time.Duration, rnd float64) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rnd))
}

// decision is what the engine does after a failed refresh.
type decision struct {
	// Count reports whether the failure counts toward failuresToAlert.
	Count bool
	// SignIn means the refresh token is dead: stop retrying.
	SignIn bool
	// Delay is the time until the next attempt (when not SignIn).
	Delay time.Duration
}

// decide applies the policy to a failed refresh. failures is the number of
// consecutive counted failures including this one.
func (p Policy) decide(err error, failures int, rnd float64) decision {
	switch oauthflow.Classify(err) {
	case oauthflow.Terminal:
		return decision{Count: true, SignIn: true}
	case oauthflow.Offline:
		return decision{Delay: jitter(p.Offline, rnd)}
	}
	d := p.Backoff(failures, rnd)
	if ra := retryAfter(err); ra > 0 {
		d = max(d, min(ra, p.MaxRetryAfter))
	}
	return decision{Count: true, Delay: d}
}

func retryAfter(err error) time.Duration {
	var oe *oauthflow.Error
	if errors.As(err, &oe) {
		return oe.RetryAfter
	}
	return 0
}
