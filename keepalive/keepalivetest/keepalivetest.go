// Package keepalivetest holds the helpers that the tests of every package
// share: waiting for a condition that another goroutine or process brings
// about, and a buffer that goroutines may write while a test reads it.
package keepalivetest

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// Timeout is how long Eventually waits: long, because the tests run on
// machines under heavy load; a passing test never waits that long.
const Timeout = 10 * time.Second

// Eventually waits until cond holds and fails the test after Timeout. Use
// it for conditions that no event announces (another process, a file, the
// desktop bus); await an event instead where there is one.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Buffer is a bytes.Buffer that is safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
