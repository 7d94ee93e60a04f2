//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// TestIdleFigures prints, side by side in one run, the idle resident
// memory and wakeups per hour of `tokentray run --headless` with 10 and
// 1,000 owned accounts against a bare Go program that only sleeps, as
// ratios with the targets (make bench). Wakeups are the voluntary context
// switches of all the process's threads over one window
// (TOKENTRAY_BENCH_WINDOW, default 10m) that the three programs share, in
// steady state: from the moment each has not woken for 5 s. An idle Go
// program wakes about twice a minute (the runtime's monitor thread), so
// a window of n minutes counts 2n, give or take 2 for where the window
// starts: the default keeps that under 10%. Nothing is asserted.
func TestIdleFigures(t *testing.T) {
	if os.Getenv("TOKENTRAY_BENCH") == "" {
		t.Skip("set TOKENTRAY_BENCH=1 (make bench)")
	}
	window := 10 * time.Minute
	if d, err := time.ParseDuration(os.Getenv("TOKENTRAY_BENCH_WINDOW")); err == nil {
		window = d
	}
	// The floor: a Go program asleep.
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	os.WriteFile(src, []byte("package main\n\nimport \"time\"\n\nfunc main() { time.Sleep(24 * time.Hour) }\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module sleeper\n\ngo 1.26\n"), 0o600)
	bare := filepath.Join(dir, "sleeper")
	build := exec.Command("go", "build", "-o", bare, ".")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the sleeper: %v\n%s", err, out)
	}
	start := func(cmd *exec.Cmd, ready func() bool) int {
		var out bytes.Buffer
		cmd.Stderr = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		for deadline := time.Now().Add(60 * time.Second); !ready(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("never started:\n%s", out.String())
			}
		}
		return cmd.Process.Pid
	}
	engine := func(n int) int {
		h := newHome(t, oauthtest.Options{AccessTTL: 24 * time.Hour})
		var cfg strings.Builder
		for i := range n {
			name := "acct" + strconv.Itoa(i)
			cfg.WriteString(h.ownedAccount(name))
			h.signIn(name)
		}
		h.writeConfig(cfg.String())
		cmd := exec.Command(binary, "run", "--headless")
		cmd.Env = h.env
		status := filepath.Join(h.root, "state", "tokentray", "status.json")
		return start(cmd, func() bool { _, err := os.Stat(status); return err == nil })
	}
	pids := []int{start(exec.Command(bare), func() bool { return true }), engine(10), engine(1000)}
	// Settle: start-up is over (the first checks, the status file, the
	// memory given back) once a process has not woken for 5 s, however
	// long a loaded machine takes to get there.
	for _, pid := range pids {
		settle(t, pid)
	}
	type figure struct{ rssKiB, pssKiB, anonKiB, wakeups float64 }
	before := make([]int, len(pids))
	for i, pid := range pids {
		before[i] = switches(t, pid)
	}
	time.Sleep(window)
	figs := make([]figure, len(pids))
	for i, pid := range pids {
		n := switches(t, pid)
		roll := "/proc/" + strconv.Itoa(pid) + "/smaps_rollup"
		figs[i] = figure{rssKiB: float64(procField(t, roll, "Rss:")), pssKiB: float64(procField(t, roll, "Pss:")),
			anonKiB: float64(procField(t, roll, "Anonymous:")),
			wakeups: float64(n-before[i]) * float64(time.Hour) / float64(window)}
	}
	floor, ten, thousand := figs[0], figs[1], figs[2]

	fmt.Printf("\nidle figures of run --headless (one window of %v for all; floor: a Go program asleep)\n", window)
	fmt.Printf("%-30s %12s %12s %8s  %s\n", "figure", "tokentray", "floor", "ratio", "target")
	for _, r := range []struct {
		name string
		f    figure
	}{{"10 accounts", ten}, {"1,000 accounts", thousand}} {
		wr := r.f.wakeups / max(floor.wakeups, 1)
		fmt.Printf("%-30s %12.0f %12.0f %7.2fx  <= 1.2x %s\n", "wakeups/hour, "+r.name, r.f.wakeups, floor.wakeups, wr, verdict(wr <= 1.2))
		limit := 1.5*floor.rssKiB + 6*1024
		fmt.Printf("%-30s %9.1f MiB %8.1f MiB %7.2fx  <= 1.5x + 6 MiB (%.1f MiB) %s\n", "idle RSS, "+r.name, r.f.rssKiB/1024, floor.rssKiB/1024,
			r.f.rssKiB/floor.rssKiB, limit/1024, verdict(r.f.rssKiB <= limit))
		fmt.Printf("%-30s %9.1f MiB %8.1f MiB %7.2fx  (of the RSS: heap, stacks, runtime data)\n",
			"  anonymous", r.f.anonKiB/1024, floor.anonKiB/1024, r.f.anonKiB/floor.anonKiB)
		fmt.Printf("%-30s %9.1f MiB %8.1f MiB %7.2fx  (of the RSS: the binary's pages, shared with the page cache)\n",
			"  file-backed", (r.f.rssKiB-r.f.anonKiB)/1024, (floor.rssKiB-floor.anonKiB)/1024, (r.f.rssKiB-r.f.anonKiB)/(floor.rssKiB-floor.anonKiB))
		fmt.Printf("%-30s %9.1f MiB %8.1f MiB %7.2fx\n", "  proportional (Pss)", r.f.pssKiB/1024, floor.pssKiB/1024, r.f.pssKiB/floor.pssKiB)
	}
}

func verdict(ok bool) string {
	if ok {
		return "(met)"
	}
	return "(NOT met)"
}

// settle returns once the process pid has not woken for 5 s (start-up is
// over), or after 2 minutes.
func settle(t testing.TB, pid int) {
	before := switches(t, pid)
	for quiet, deadline := 0, time.Now().Add(2*time.Minute); quiet < 5 && time.Now().Before(deadline); {
		time.Sleep(time.Second)
		if n := switches(t, pid); n != before {
			before, quiet = n, 0
		} else {
			quiet++
		}
	}
}

// switches sums the voluntary context switches of every thread of pid.
func switches(t testing.TB, pid int) int {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("no tasks of %d: %v", pid, err)
	}
	n := 0
	for _, task := range tasks {
		data, err := os.ReadFile(task)
		if err != nil {
			continue // a thread that ended
		}
		for _, l := range strings.Split(string(data), "\n") {
			// A wakeup is a voluntary switch (the thread slept); the
			// involuntary ones count the machine's load, not the program.
			if v, ok := strings.CutPrefix(l, "voluntary_ctxt_switches:"); ok {
				x, _ := strconv.Atoi(strings.TrimSpace(v))
				n += x
			}
		}
	}
	return n
}

// procField reads a "Key: N kB" figure of a /proc file.
func procField(t testing.TB, file string, key string) int {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, key); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Fatalf("no %s", key)
	return 0
}
