package config

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
)

func TestFollow(t *testing.T) {
	dir := testfs.TempDir(t)
	path := filepath.Join(dir, "config.toml")
	os.WriteFile(path, []byte("# v1\n"), 0o600)
	changed := make(chan struct{}, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	testHookFollowing = func() { close(ready) }
	defer func() { testHookFollowing = nil }()
	go func() { done <- Follow(ctx, path, []byte("# v1\n"), func() { changed <- struct{}{} }) }()
	<-ready
	expect := func(what string) {
		t.Helper()
		select {
		case <-changed:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no change reported", what)
		}
	}
	os.WriteFile(path, []byte("# v2\n"), 0o600)
	expect("written in place")
	// An editor that writes a new file and renames it over the old one.
	tmp := filepath.Join(dir, ".config.toml.swp")
	os.WriteFile(tmp, []byte("# v3\n"), 0o600)
	os.Rename(tmp, path)
	expect("replaced by rename")
	// Touching the file without changing it, or another file, is no change;
	// the next real change is reported once.
	os.WriteFile(path, []byte("# v3\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "other.toml"), []byte("x"), 0o600)
	os.WriteFile(path, []byte("# v4\n"), 0o600)
	expect("the next change")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
		t.Error("an unchanged file was reported")
	default:
	}
}

// TestFollowSeesAChangeBeforeTheWatch: a change made after the caller
// loaded the file but before the watch was in place (while the instance
// started) is reported at once, not lost until the next change.
func TestFollowSeesAChangeBeforeTheWatch(t *testing.T) {
	dir := testfs.TempDir(t)
	path := filepath.Join(dir, "config.toml")
	loaded := []byte("# v1\n")
	os.WriteFile(path, []byte("# v2, written while the caller started\n"), 0o600)
	changed := make(chan struct{}, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, path, loaded, func() { changed <- struct{}{} }) }()
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("a change made before the watch was in place was never reported")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
