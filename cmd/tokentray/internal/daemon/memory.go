package daemon

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/tokentray/tokentray/keepalive"
)

// An idle instance should cost next to nothing: no wakeups and little
// memory between the refreshes, which come hours apart. Two habits of the
// Go runtime get in the way. Once it has collected garbage, it collects
// again at least every two minutes even when nothing was allocated
// (runtime.forcegcperiod), waking several threads each time; and what a
// burst of work used stays resident until the background scavenger gives
// it back, in many small steps. So the instance manages its own idle
// memory:
//
//   - each time the engine settles after work (start-up, refreshes, a
//     reload), it collects once and gives the free memory back at once;
//   - while idle, the proportional collector is off (GOGC=off, which also
//     ends the forced collections), under a memory limit of what is in use
//     plus the headroom the default collector would allow
//     (idleMemoryLimit), so garbage made without the engine publishing
//     (a token handed out over the agent socket) is still collected;
//   - when work starts (the engine publishes), the usual collector is
//     back, so a burst never runs against the idle limit.
//
// A GOGC or GOMEMLIMIT set by the user is theirs: then only the collection
// after each settling is done.

// settleQuiet is how long the engine must not publish before it counts
// as idle: twice the status file's coalescing interval (at most one write
// a second), so the last status file of a burst is written first.
const settleQuiet = 2 * time.Second

// engineIdle is what idleMemory needs of the engine.
type engineIdle interface {
	Subscribe() (<-chan keepalive.Snapshot, func())
	Settled(ctx context.Context)
}

// gcRegime switches the collector between idle and work.
type gcRegime interface {
	// collect collects garbage and returns free memory to the system.
	collect()
	idle()
	busy()
}

// idleMemory runs until ctx ends: it waits for the engine to settle,
// collects, switches the collector to its idle setting, and back when
// the engine publishes again. first runs once, after the first
// collection (start-up is over).
func idleMemory(ctx context.Context, e engineIdle, gc gcRegime, quiet time.Duration, first func()) {
	snaps, stop := e.Subscribe()
	defer stop()
	defer gc.busy()
	for {
		// Wait until nothing has been published for quiet.
		t := time.NewTimer(quiet)
	wait:
		for {
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-snaps:
				t.Reset(quiet)
			case <-t.C:
				break wait
			}
		}
		e.Settled(ctx)
		if ctx.Err() != nil {
			return
		}
		gc.collect()
		gc.idle()
		if first != nil {
			first()
			first = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-snaps:
		}
		gc.busy()
	}
}

// runtimeGC is the Go runtime's collector as gcRegime.
type runtimeGC struct {
	// tune: the settings are tokentray's to change (GOGC and GOMEMLIMIT
	// are not set).
	tune bool
	// the settings of work, restored by busy; set while idle.
	percent int
	limit   int64
	isIdle  bool
}

func newRuntimeGC() *runtimeGC {
	// As the runtime does, an empty variable counts as not set.
	return &runtimeGC{tune: os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == ""}
}

func (g *runtimeGC) collect() { debug.FreeOSMemory() }

func (g *runtimeGC) idle() {
	if !g.tune || g.isIdle {
		return
	}
	inUse, live, ok := memoryInUse()
	if !ok {
		return
	}
	g.limit = debug.SetMemoryLimit(idleMemoryLimit(inUse, live))
	g.percent = debug.SetGCPercent(-1)
	g.isIdle = true
}

func (g *runtimeGC) busy() {
	if !g.isIdle {
		return
	}
	debug.SetGCPercent(g.percent)
	debug.SetMemoryLimit(g.limit)
	g.isIdle = false
}

// heapMinimum is the smallest heap growth the default collector
// (GOGC=100) allows before it collects.
const heapMinimum = 4 << 20

// idleMemoryLimit is the memory limit while idle: the memory in use
// (inUse, everything the runtime holds but has given back) plus the
// headroom GOGC=100 would give a live heap of live bytes (as much again,
// at least heapMinimum).
func idleMemoryLimit(inUse, live uint64) int64 {
	limit := inUse + max(live, heapMinimum)
	if limit > math.MaxInt64 || limit < inUse {
		return math.MaxInt64
	}
	return int64(limit)
}

// memoryInUse reads the memory the runtime holds from the system, less
// what it has given back, and the live heap after the last collection
// (ok false: this runtime does not know these figures).
func memoryInUse() (inUse, live uint64, ok bool) {
	s := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	metrics.Read(s)
	for _, x := range s {
		if x.Value.Kind() != metrics.KindUint64 {
			return 0, 0, false
		}
	}
	return s[0].Value.Uint64() - s[1].Value.Uint64(), s[2].Value.Uint64(), true
}
