//go:build unix

package watched

import (
	"errors"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/health"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadRefusesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "auth.json")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Read(Source{Kind: Codex, Path: p}); done <- err }()
	select {
	case err := <-done:
		var me *atomicfile.MalformedError
		if !errors.As(err, &me) || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read blocked on a FIFO")
	}
}

func TestReadUnreadableIsBroken(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads anything")
	}
	p := filepath.Join(t.TempDir(), "auth.json")
	copyFixture(t, Codex, "healthy.json", p)
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	_, err := Read(Source{Kind: Codex, Path: p})
	if err == nil || errors.Is(err, ErrNotFound) || verdictOf(Evaluate(Meta{}, err, time.Now(), 0)) != (verdict{state: health.Broken}) {
		t.Fatalf("err = %v", err)
	}
}
