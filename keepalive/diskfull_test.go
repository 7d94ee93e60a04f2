package keepalive

import (
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/internal/storefault"
)

// TestDiskFullIsAWarningNotADeadLogin: while the token file cannot be
// written (no space can be reserved for the new record), the engine sends
// nothing, says why, retries with backoff and never counts it as a failed
// refresh: after many attempts the account is a warning, not
// "needs sign-in". Once there is space the next retry refreshes.
func TestDiskFullIsAWarningNotADeadLogin(t *testing.T) {
	r := newRig(t)
	var full atomic.Bool
	full.Store(true)
	storefault.SetWriteAt(r.store, func(f *os.File, b []byte, off int64) (int, error) {
		if full.Load() {
			return 0, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
		}
		return f.WriteAt(b, off)
	})
	var attempts []time.Time
	r.start()
	r.until("a full disk noticed", 2*time.Hour, func() bool { return r.account().State == Warning })
	for len(attempts) < 5 {
		at := r.account().NextTry
		if at.IsZero() {
			t.Fatalf("no retry scheduled: %+v", r.account())
		}
		attempts = append(attempts, at)
		r.until("the retry", time.Hour, func() bool { return r.account().NextTry.After(at) })
		a := r.account()
		if a.State != Warning || a.Reason != "cannot write the token file: disk full" || a.Attempt != 0 || a.Episode.SignIn {
			t.Fatalf("after %d retries on a full disk: %+v", len(attempts), a)
		}
	}
	for i, want := range []time.Duration{2 * time.Minute, 8 * time.Minute, 30 * time.Minute, 30 * time.Minute} {
		if got := attempts[i+1].Sub(attempts[i]); got != want {
			t.Errorf("backoff %d: %v, want %v", i+1, got, want)
		}
	}
	if n := r.iss.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent with nowhere to store the answer", n)
	}
	if h, err := r.store.LoadHealth("work"); err != nil || !h.IsZero() {
		t.Errorf("a full disk was remembered as the login's health: %+v %v", h, err)
	}

	full.Store(false)
	r.until("recovery", time.Hour, func() bool { return r.account().State == OK })
	if a := r.account(); a.Reason != "" || !a.NextTry.IsZero() || a.Episode.End != EndRecovered || r.refreshes() != 1 {
		t.Errorf("after space was freed: %+v, %d refreshes", a, r.refreshes())
	}
}
