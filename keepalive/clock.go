package keepalive

import (
	"time"

	"github.com/tokentray/tokentray/keepalive/internal/walltimer"
)

// Clock is the engine's view of time, injected so tests control it.
//
// Now must return the wall clock. Timers normally run on the monotonic
// clock, which stops while a laptop sleeps; the engine then never sleeps
// longer than maxStep and re-reads Now after every step. A Timer that is
// a wallTimer (SystemClock's on Linux) needs no such bound.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the engine uses. After Reset or Stop,
// C delivers nothing from an earlier arming.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// wallTimer is a Timer that fires when the wall clock reaches the
// deadline, also across a suspend, and early when the wall clock is set
// (a resume counts as that): the engine sleeps until the next deadline
// instead of looking at the clock every maxStep.
type wallTimer interface {
	Timer
	followsWallClock()
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the wall-clock time without a monotonic reading, so that
// comparisons with deadlines use the wall clock.
func (SystemClock) Now() time.Time { return time.Now().Round(0) }

// NewTimer returns a wall-clock timer where the system has one (Linux),
// else time.NewTimer's.
func (SystemClock) NewTimer(d time.Duration) Timer {
	if t, err := walltimer.New(); err == nil {
		w := sysWallTimer{t}
		w.Reset(d)
		return w
	}
	return sysTimer{time.NewTimer(d)}
}

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time        { return s.t.C }
func (s sysTimer) Stop() bool                 { return s.t.Stop() }
func (s sysTimer) Reset(d time.Duration) bool { return s.t.Reset(d) }

type sysWallTimer struct{ t *walltimer.Timer }

func (s sysWallTimer) C() <-chan time.Time { return s.t.C() }
func (s sysWallTimer) Stop() bool          { return s.t.Stop() }
func (s sysWallTimer) Close() error        { return s.t.Close() }
func (s sysWallTimer) followsWallClock()   {}

// Reset arms the timer for the wall-clock instant d from now (should the
// system refuse, it fires at once: the engine looks again).
func (s sysWallTimer) Reset(d time.Duration) bool {
	armed := s.t.Stop()
	_ = s.t.Reset(time.Now().Add(d))
	return armed
}
