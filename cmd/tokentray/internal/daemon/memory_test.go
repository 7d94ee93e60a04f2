package daemon

import (
	"context"
	"math"
	"runtime/debug"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive"
)

// fakeEngine publishes what the test sends and settles when told.
type fakeEngine struct {
	snaps   chan keepalive.Snapshot
	settled chan struct{} // one receive per Settled call
	calls   chan string
}

func (f *fakeEngine) Subscribe() (<-chan keepalive.Snapshot, func()) {
	return f.snaps, func() { f.calls <- "unsubscribed" }
}

func (f *fakeEngine) Settled(ctx context.Context) {
	f.calls <- "settling"
	select {
	case <-f.settled:
	case <-ctx.Done():
	}
}

// recordGC records the regime's calls in order.
type recordGC struct{ calls chan string }

func (r recordGC) collect() { r.calls <- "collect" }
func (r recordGC) idle()    { r.calls <- "idle" }
func (r recordGC) busy()    { r.calls <- "busy" }

// startIdleMemory runs idleMemory on a fakeEngine with a 1 ms quiet time
// until cancel; done is closed when it has returned.
func startIdleMemory() (e *fakeEngine, calls chan string, cancel func(), done chan struct{}) {
	calls = make(chan string, 64)
	e = &fakeEngine{snaps: make(chan keepalive.Snapshot, 1), settled: make(chan struct{}), calls: calls}
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() {
		idleMemory(ctx, e, recordGC{calls}, time.Millisecond, func() { calls <- "first" })
		close(done)
	}()
	return e, calls, cancel, done
}

func TestIdleMemory(t *testing.T) {
	e, calls, cancel, done := startIdleMemory()
	expect := func(want ...string) {
		t.Helper()
		for _, w := range want {
			if got := <-calls; got != w {
				t.Fatalf("got %q, want %q", got, w)
			}
		}
	}
	nothingYet := func() {
		t.Helper()
		select {
		case c := <-calls:
			t.Fatalf("unexpected %q", c)
		default:
		}
	}

	// Start-up: nothing is collected before the engine has settled.
	expect("settling")
	nothingYet()
	e.settled <- struct{}{}
	// Then once: collect, the idle collector, and the start-up hook.
	expect("collect", "idle", "first")
	nothingYet()

	// Work: the first snapshot brings the usual collector back, and
	// nothing more happens until the engine has been quiet and settled.
	e.snaps <- keepalive.Snapshot{}
	expect("busy", "settling")
	nothingYet()
	e.settled <- struct{}{}
	expect("collect", "idle") // the start-up hook ran once only
	nothingYet()

	// The end while idle: the usual collector is back.
	cancel()
	<-done
	expect("busy", "unsubscribed")
}

func TestIdleMemoryEndsWhileSettling(t *testing.T) {
	_, calls, cancel, done := startIdleMemory()
	if got := <-calls; got != "settling" {
		t.Fatalf("got %q", got)
	}
	cancel()
	<-done
	close(calls)
	var rest []string
	for c := range calls {
		rest = append(rest, c)
	}
	// Nothing collected, nothing run; busy restores nothing it did not set.
	if len(rest) != 2 || rest[0] != "busy" || rest[1] != "unsubscribed" {
		t.Errorf("after the end: %q", rest)
	}
}

func TestIdleMemoryLimit(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		inUse, live uint64
		want        int64
	}{
		{inUse: 6 * mib, live: 2 * mib, want: 10 * mib}, // small heap: the 4 MiB minimum
		{inUse: 30 * mib, live: 20 * mib, want: 50 * mib},
		{inUse: 0, live: 0, want: 4 * mib},
		{inUse: math.MaxUint64 - 1, live: 2 * mib, want: math.MaxInt64}, // overflow: no limit
		{inUse: math.MaxInt64, live: 8 * mib, want: math.MaxInt64},
	} {
		if got := idleMemoryLimit(c.inUse, c.live); got != c.want {
			t.Errorf("idleMemoryLimit(%d, %d) = %d, want %d", c.inUse, c.live, got, c.want)
		}
	}
}

// gcSettings reads the collector's settings without changing them.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

func TestRuntimeGC(t *testing.T) {
	percent, limit := gcSettings()
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })

	g := &runtimeGC{tune: true}
	g.collect()
	g.idle()
	p, l := gcSettings()
	inUse, _, ok := memoryInUse()
	if !ok {
		t.Fatal("the runtime's memory figures are unknown")
	}
	if p != -1 || l == math.MaxInt64 || l < int64(inUse) {
		t.Errorf("idle: GC percent %d, limit %d (in use %d)", p, l, inUse)
	}
	g.idle() // twice is once: busy restores the settings of work
	g.busy()
	if p, l := gcSettings(); p != percent || l != limit {
		t.Errorf("busy: GC percent %d, limit %d; want %d, %d", p, l, percent, limit)
	}
	g.busy()
	if p, l := gcSettings(); p != percent || l != limit {
		t.Errorf("busy twice: GC percent %d, limit %d; want %d, %d", p, l, percent, limit)
	}
}

func TestRuntimeGCLeavesTheUsersSettings(t *testing.T) {
	percent, limit := gcSettings()
	for _, c := range []struct {
		gogc, limit string
		tune        bool
	}{
		{"", "", true},
		{"150", "", false},
		{"off", "", false},
		{"", "1GiB", false},
	} {
		t.Setenv("GOGC", c.gogc)
		t.Setenv("GOMEMLIMIT", c.limit)
		g := newRuntimeGC()
		if g.tune != c.tune {
			t.Errorf("GOGC=%q GOMEMLIMIT=%q: tune %v, want %v", c.gogc, c.limit, g.tune, c.tune)
		}
		if g.tune {
			continue
		}
		g.idle()
		if p, l := gcSettings(); p != percent || l != limit {
			t.Errorf("GOGC=%q GOMEMLIMIT=%q: idle changed the collector: GC percent %d, limit %d", c.gogc, c.limit, p, l)
		}
		g.busy()
	}
}
