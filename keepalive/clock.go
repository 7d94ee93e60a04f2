package keepalive

import "time"

// Clock is the engine's view of time, injected so tests control it.
//
// Now must return the wall clock. Timers run on the monotonic clock, which
// stops while a laptop sleeps; the engine therefore never sleeps longer
// than maxStep and re-reads Now after every step.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the engine uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the wall-clock time without a monotonic reading, so that
// comparisons with deadlines use the wall clock.
func (SystemClock) Now() time.Time { return time.Now().Round(0) }

// NewTimer is time.NewTimer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time { return s.t.C }
func (s sysTimer) Stop() bool          { return s.t.Stop() }
