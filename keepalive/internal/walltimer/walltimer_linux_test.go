package walltimer

import (
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// These tests wait for real time: a firing is awaited (with a bound far
// above what a loaded machine needs), and only "does not fire" waits a
// fixed, short while.

func newTimer(t *testing.T) *Timer {
	t.Helper()
	tm, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tm.Close() })
	return tm
}

func await(t *testing.T, tm *Timer, at time.Time) {
	t.Helper()
	select {
	case got := <-tm.C():
		if got.Before(at) {
			t.Fatalf("fired at %v, before its deadline %v", got, at)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the timer did not fire")
	}
}

func quiet(t *testing.T, tm *Timer, d time.Duration) {
	t.Helper()
	select {
	case <-tm.C():
		t.Fatal("the timer fired")
	case <-time.After(d):
	}
}

func TestFiresAtDeadline(t *testing.T) {
	tm := newTimer(t)
	at := time.Now().Add(50 * time.Millisecond)
	if err := tm.Reset(at); err != nil {
		t.Fatal(err)
	}
	await(t, tm, at)
	// It fires once per arming.
	quiet(t, tm, 200*time.Millisecond)
}

func TestPassedDeadlineFiresAtOnce(t *testing.T) {
	tm := newTimer(t)
	at := time.Now().Add(-time.Hour)
	if err := tm.Reset(at); err != nil {
		t.Fatal(err)
	}
	await(t, tm, at)
}

// awaitFiring returns a channel that receives once per firing delivered
// to tm's C (by the goroutine reading the descriptor).
func awaitFiring(tm *Timer) <-chan struct{} {
	fired := make(chan struct{}, 1)
	tm.mu.Lock()
	tm.testHookFired = func() {
		select {
		case fired <- struct{}{}:
		default: // one not yet received stands for this one too
		}
	}
	tm.mu.Unlock()
	return fired
}

func TestStop(t *testing.T) {
	tm := newTimer(t)
	if tm.Stop() {
		t.Error("Stop of a disarmed timer reported an arming")
	}
	if err := tm.Reset(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if !tm.Stop() {
		t.Error("Stop of an armed timer reported none")
	}
	quiet(t, tm, 400*time.Millisecond)

	// A firing not yet received is dropped by Stop.
	fired := awaitFiring(tm)
	tm.Reset(time.Now().Add(-time.Second))
	<-fired
	if tm.Stop() {
		t.Error("Stop after the firing reported an arming")
	}
	quiet(t, tm, 100*time.Millisecond)
}

func TestResetReplacesTheArming(t *testing.T) {
	tm := newTimer(t)
	// Later: the earlier instant no longer fires.
	tm.Reset(time.Now().Add(100 * time.Millisecond))
	tm.Reset(time.Now().Add(time.Hour))
	quiet(t, tm, 400*time.Millisecond)
	// Earlier: fires at the new instant.
	at := time.Now().Add(50 * time.Millisecond)
	tm.Reset(at)
	await(t, tm, at)
	// Reset after a firing that was not received drops it.
	fired := awaitFiring(tm)
	tm.Reset(time.Now().Add(-time.Second))
	<-fired
	tm.Reset(time.Now().Add(time.Hour))
	quiet(t, tm, 100*time.Millisecond)
}

func TestClose(t *testing.T) {
	tm, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tm.Reset(time.Now().Add(time.Hour))
	if err := tm.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tm.Reset(time.Now()); err == nil {
		t.Error("Reset after Close succeeded")
	}
	if tm.Stop() {
		t.Error("Stop after Close reported an arming")
	}
	tm.Close() // a second Close is harmless
}

// TestClockSetFiresEarly sets the wall clock to what it is (a jump of a
// few microseconds): an armed timer fires at once, long before its
// deadline. Setting the clock needs CAP_SYS_TIME and touches the whole
// machine, so it runs only when asked for.
func TestClockSetFiresEarly(t *testing.T) {
	if os.Getenv("TOKENTRAY_TEST_SET_CLOCK") == "" {
		t.Skip("set TOKENTRAY_TEST_SET_CLOCK=1 to let this test set the system clock (to its own value)")
	}
	tm := newTimer(t)
	tm.Reset(time.Now().Add(time.Hour))
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME, &ts); err != nil {
		t.Fatal(err)
	}
	if err := unix.ClockSettime(unix.CLOCK_REALTIME, &ts); err != nil {
		t.Skipf("cannot set the clock: %v", err)
	}
	select {
	case <-tm.C():
	case <-time.After(30 * time.Second):
		t.Fatal("setting the clock did not fire the timer")
	}
}
