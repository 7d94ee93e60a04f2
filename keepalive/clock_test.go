package keepalive

import (
	"sort"
	"sync"
	"time"
)

// fakeClock is a Clock whose wall and monotonic readings tests move by
// hand. Advance moves both (timers fire); Jump moves only the wall clock,
// as a suspend/resume does.
type fakeClock struct {
	// wallTimers makes its timers wallTimers: a Jump fires every armed
	// timer, as a resume or a set clock fires a timerfd with
	// TFD_TIMER_CANCEL_ON_SET.
	wallTimers bool

	mu     sync.Mutex
	wall   time.Time
	mono   time.Duration
	timers []*fakeTimer
}

type fakeTimer struct {
	c     *fakeClock
	at    time.Duration
	ch    chan time.Time
	fired bool
}

func newFakeClock(start time.Time) *fakeClock { return &fakeClock{wall: start.Round(0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wall
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	if c.wallTimers {
		return fakeWallTimer{t}
	}
	return t
}

type fakeWallTimer struct{ *fakeTimer }

func (fakeWallTimer) followsWallClock() {}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.stopLocked()
}

func (t *fakeTimer) stopLocked() bool {
	select {
	case <-t.ch: // like *time.Timer: nothing stale after Stop or Reset
	default:
	}
	for i, x := range t.c.timers {
		if x == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			return true
		}
	}
	return false
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	armed := t.stopLocked()
	t.at, t.fired = c.mono+d, false
	if d <= 0 {
		t.fired = true
		t.ch <- c.wall
		return armed
	}
	c.timers = append(c.timers, t)
	return armed
}

// Pending is the number of armed timers (sleeping scheduler loops).
func (c *fakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Next is the delay until the earliest armed timer.
func (c *fakeClock) Next() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return 0, false
	}
	sort.Slice(c.timers, func(i, j int) bool { return c.timers[i].at < c.timers[j].at })
	return c.timers[0].at - c.mono, true
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mono += d
	c.wall = c.wall.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at <= c.mono {
			t.fired = true
			t.ch <- c.wall
			continue
		}
		kept = append(kept, t)
	}
	c.timers = kept
}

func (c *fakeClock) Jump(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wall = c.wall.Add(d)
	if c.wallTimers {
		for _, t := range c.timers {
			t.fired = true
			t.ch <- c.wall
		}
		c.timers = nil
	}
}
