package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// A Go program that prints and then never ends, with its runtime's
	// threads running: a hang of the program's own.
	if os.Getenv("SMOKE_TEST_HANG") == "1" {
		fmt.Println("hanging")
		time.Sleep(time.Hour)
	}
	os.Exit(m.Run())
}

// The classes run gives to commands that went wrong, checked on real
// processes.
func TestRunClassifies(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SMOKE_TEST_HANG", "1")
	for _, tc := range []struct {
		name     string
		limit    time.Duration
		cmd      []string
		wineExit bool
		timedOut bool
		says     string
	}{
		// sleep has one thread, as a Windows program has once Wine has
		// ended its other threads.
		{"one live thread", time.Second, []string{"sh", "-c", "echo done; exec sleep 60"}, true, false, "one live thread"},
		// Wine's server ends a process that outlived its last thread with SIGKILL.
		{"killed", time.Minute, []string{"sh", "-c", "echo done; kill -9 $$"}, true, false, "SIGKILL"},
		// The Go runtime runs several threads: the program itself hangs.
		{"program hangs", 5 * time.Second, []string{self, "-test.run=^$"}, false, true, "threads running"},
		{"fails", time.Minute, []string{"sh", "-c", "echo bad >&2; exit 3"}, false, false, "exit status 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(tc.limit, tc.cmd[0], tc.cmd[1:]...)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, errWineExit); got != tc.wineExit {
				t.Errorf("errors.Is(%v, errWineExit) = %v, want %v", err, got, tc.wineExit)
			}
			if got := errors.Is(err, errTimedOut); got != tc.timedOut {
				t.Errorf("errors.Is(%v, errTimedOut) = %v, want %v", err, got, tc.timedOut)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
		})
	}
}

// Threads as /proc shows them: a main thread that ended while the
// thread in ExitProcess lives on is a zombie, and does not count.
func TestLiveThreads(t *testing.T) {
	proc := t.TempDir()
	task := func(pid, tid int, comm string, state byte) {
		dir := filepath.Join(proc, strconv.Itoa(pid), "task", strconv.Itoa(tid))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		stat := fmt.Sprintf("%d (%s) %c 1 2 3 4 5\n", tid, comm, state)
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	task(10, 10, "tokentray.exe", 'S')
	task(20, 20, "tokentray.exe", 'Z')
	task(20, 21, "tokentray.exe", 'S')
	task(30, 30, "a) Z (b", 'R') // comm with a space and parentheses
	task(30, 31, "a) Z (b", 'S')
	task(30, 32, "a) Z (b", 'D')
	for _, tc := range []struct{ pid, want int }{{10, 1}, {20, 1}, {30, 3}, {40, -1}} {
		if got := liveThreadsIn(proc, tc.pid); got != tc.want {
			t.Errorf("liveThreadsIn(pid %d) = %d, want %d", tc.pid, got, tc.want)
		}
	}
	if got := liveThreads(os.Getpid()); got < 2 {
		t.Errorf("liveThreads(this test) = %d, want at least 2 (the Go runtime's)", got)
	}
}

func TestOnlyWineExits(t *testing.T) {
	stuck := fmt.Errorf("wine x: %w: did not end within 30s, one live thread", errWineExit)
	hang := fmt.Errorf("wine x: %w after 30s with 9 threads running", errTimedOut)
	other := errors.New("wine x: exit status 1")
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{stuck, true},
		{errors.Join(fmt.Errorf("round 1: %w", stuck), fmt.Errorf("round 2: %w", stuck)), true},
		{errors.Join(fmt.Errorf("round 1: %w", stuck), other), false},
		{errors.Join(fmt.Errorf("round 1: %w", stuck), hang), false},
		{hang, false},
		{other, false},
		{errors.New("issuer after 18 refreshes: reuse"), false},
	} {
		if got := onlyWineExits(tc.err); got != tc.want {
			t.Errorf("onlyWineExits(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
