package main

import (
	"errors"
	"fmt"
	"os"
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
		{"one thread left", time.Second, []string{"sh", "-c", "echo done; exec sleep 60"}, true, false, "one thread left"},
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

func TestOnlyWineExits(t *testing.T) {
	stuck := fmt.Errorf("wine x: %w: did not end within 30s, one thread left", errWineExit)
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
