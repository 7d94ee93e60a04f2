// Package walltimer is a timer for a wall-clock instant that also fires
// across a suspend and when the wall clock is set.
//
// A Go timer runs on the monotonic clock, which stops while a Linux
// machine sleeps, and it ignores the clock being set: a program waiting
// for a wall-clock deadline with it has to look at the wall clock now and
// then. On Linux this timer is a timerfd on CLOCK_REALTIME, armed for an
// absolute instant with TFD_TIMER_CANCEL_ON_SET (timerfd_create(2)): it
// expires at the instant even if the machine slept meanwhile, and it
// fires early, at once, whenever the wall clock is set (which a resume
// from suspend also counts as), so its owner can re-read the clock. The
// descriptor is read through an *os.File, so while it waits the Go
// runtime's poller holds it and no thread is woken.
//
// Elsewhere New returns ErrUnsupported.
package walltimer

import (
	"errors"
	"sync"
	"time"
)

// ErrUnsupported is returned by New where no such timer exists.
var ErrUnsupported = errors.New("not supported on this system")

// Timer fires on its channel at a wall-clock instant, or early when the
// wall clock is set. It is disarmed until Reset. Its methods may be called
// from several goroutines.
type Timer struct {
	c chan time.Time

	mu     sync.Mutex
	at     time.Time // the armed instant; zero: disarmed
	closed bool
	sys    sysTimer
	// testHookFired, when set, is called (under mu) each time a firing
	// has been delivered to c.
	testHookFired func()
}

// C is the channel the timer fires on: the wall-clock time of the firing.
// After Reset or Stop no value from an earlier arming is received.
func (t *Timer) C() <-chan time.Time { return t.c }

// Reset arms the timer for the wall-clock instant at (at once if at has
// passed), replacing any earlier arming. Should the system refuse to arm
// it, the timer fires at once, so its owner looks at the clock and tries
// again, and the error is returned.
func (t *Timer) Reset(at time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errClosed
	}
	t.drain()
	if err := t.sys.arm(at); err != nil {
		t.at = time.Time{}
		t.c <- time.Now().Round(0)
		return err
	}
	t.at = at
	return nil
}

// Stop disarms the timer. It reports whether that stopped an arming that
// had not fired yet.
func (t *Timer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	armed := !t.at.IsZero()
	t.at = time.Time{}
	t.drain()
	t.sys.disarm()
	return armed
}

// Close stops the timer and releases it.
func (t *Timer) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed, t.at = true, time.Time{}
	t.mu.Unlock()
	return t.sys.close()
}

var errClosed = errors.New("timer closed")

func (t *Timer) drain() {
	select {
	case <-t.c:
	default:
	}
}

// fire is called by the waiting goroutine when the descriptor said the
// timer expired (clockSet false) or the wall clock was set (true).
func (t *Timer) fire(clockSet bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.at.IsZero() {
		return // stopped, or an expiry of an arming that was replaced
	}
	now := time.Now()
	if !clockSet && now.Before(t.at) {
		return // the expiry of an earlier arming, read after a Reset
	}
	t.at = time.Time{}
	select {
	case t.c <- now.Round(0):
	default:
	}
	if t.testHookFired != nil {
		t.testHookFired()
	}
}
