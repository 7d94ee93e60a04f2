//go:build !windows

package store

import (
	"context"
	"errors"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFIFONeverBlocks: a FIFO in place of the token file is reported as
// malformed at once by Load, Update and Delete; nothing waits for a writer.
func TestFIFONeverBlocks(t *testing.T) {
	d, _ := testDir(t)
	if err := os.MkdirAll(d.dir, DirMode); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(d.Path("work"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, op := range []struct {
		name string
		do   func() error
	}{
		{"Load", func() error { _, err := d.Load("work"); return err }},
		{"Update", func() error {
			_, err := d.Update(context.Background(), "work", func(*Record) (*Record, error) {
				t.Error("Update called fn for a FIFO")
				return nil, nil
			})
			return err
		}},
		{"Delete", func() error { return d.Delete(context.Background(), "work") }},
	} {
		done := make(chan error, 1)
		go func() { done <- op.do() }()
		select {
		case err := <-done:
			if me, ok := errors.AsType[*atomicfile.MalformedError](err); !ok || me.Err.Error() != "not a regular file" {
				t.Errorf("%s = %v, want a *atomicfile.MalformedError: not a regular file", op.name, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s blocked on the FIFO", op.name)
		}
	}
	if fi, err := os.Lstat(d.Path("work")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v", err)
	}
}

// TestModes: loose modes are reported by Load and tightened by the next
// write.
func TestModes(t *testing.T) {
	d, _ := testDir(t)
	store(t, d, login("rt-1", time.Now()))
	if rec, _ := d.Load("work"); rec.ModeWarning != "" {
		t.Errorf("ModeWarning for 0600/0700 = %q", rec.ModeWarning)
	}
	if err := os.Chmod(d.Path("work"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec, err := d.Load("work")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"token file " + d.Path("work"), "(mode 0644)", "token directory " + d.dir, "(mode 0755)"} {
		if !strings.Contains(rec.ModeWarning, want) {
			t.Errorf("ModeWarning = %q, want it to mention %q", rec.ModeWarning, want)
		}
	}
	store(t, d, login("rt-2", time.Now().Add(time.Minute)))
	testfs.AssertMode(t, d.Path("work"), FileMode)
	testfs.AssertMode(t, d.dir, DirMode)
	if rec, _ := d.Load("work"); rec.ModeWarning != "" {
		t.Errorf("ModeWarning after the write = %q", rec.ModeWarning)
	}
}
