//go:build !windows

package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
)

func TestOpenNeverBlocks(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	testfs.Symlink(t, "fifo", link)
	for _, p := range []string{fifo, link, dir, os.DevNull} {
		done := make(chan error, 1)
		go func() {
			_, err := ReadFile(p, 1<<20)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("ReadFile(%s) = %v, want ErrNotRegular", p, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("ReadFile(%s) blocked", p)
		}
	}
	if err := WriteFile(fifo, []byte("x"), 0o600); !errors.Is(err, ErrNotRegular) {
		t.Errorf("WriteFile over a FIFO = %v, want ErrNotRegular", err)
	}
}
