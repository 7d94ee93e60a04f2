package keepalive

import (
	"context"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/keepalive/watched"
)

func claudeStore(deadline time.Time, refresh bool) string {
	rt := ""
	if refresh {
		rt = `"refreshToken":"sk-ant-ort-x",`
	}
	return fmt.Sprintf(`{"claudeAiOauth":{"accessToken":"sk-ant-oat-x",%s"expiresAt":%d,"refreshTokenExpiresAt":%d,"subscriptionType":"pro"}}`,
		rt, t0.Add(time.Hour).UnixMilli(), deadline.UnixMilli())
}

// replace writes a file the way owners do: a new file renamed over it.
func replace(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := testfs.RenameOverOpen(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestWatchedAccountFollowsItsOwner(t *testing.T) {
	dir := testfs.TempDir(t)
	path := filepath.Join(dir, ".credentials.json")
	replace(t, path, claudeStore(t0.Add(50*time.Hour), true))
	src := watched.Source{Kind: watched.ClaudeCode, Name: "claude-code", Path: path, Exists: true}
	clock := newFakeClock(t0)
	e := New(Options{Store: store.Open(testfs.TempDir(t)), Clock: clock, Watched: []watched.Source{src}}, nil)
	find := func() Account { a, _ := e.Snapshot().Find("claude-code"); return a }

	a := find()
	if a.State != Warning || a.Kind != Watched("claude-code") || !a.Deadline.Equal(t0.Add(50*time.Hour)) {
		t.Fatalf("deadline in 50h: %+v", a)
	}
	if e.Snapshot().Overall() != AnyWarning {
		t.Errorf("overall %v", e.Snapshot().Overall())
	}
	watching := make(chan struct{})
	var once sync.Once
	defer watched.OnWatchReady(func() { once.Do(func() { close(watching) }) })()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	// The owner signs in again: a new deadline, noticed without waiting
	// for the next minute step (the fake clock stands still). The watcher
	// starts in the background; the owner writes once it watches.
	<-watching
	replace(t, path, claudeStore(t0.Add(30*24*time.Hour), true))
	keepalivetest.Eventually(t, "the new login to be noticed", func() bool { return find().State == OK })

	// The owner logs out (refresh token gone) and then the file goes away.
	replace(t, path, claudeStore(t0.Add(30*24*time.Hour), false))
	keepalivetest.Eventually(t, "needs sign-in without a refresh token", func() bool { return find().State == NeedsSignIn })
	os.Remove(path)
	keepalivetest.Eventually(t, "the store disappearing", func() bool {
		a := find()
		return a.State == NeedsSignIn && a.Reason != "" && a.Deadline.IsZero()
	})
	// A malformed store is broken, and a deadline passing with no file
	// change is noticed at the next step.
	replace(t, path, "{not json")
	keepalivetest.Eventually(t, "broken", func() bool { return find().State == Broken })
	replace(t, path, claudeStore(t0.Add(90*time.Second), true))
	keepalivetest.Eventually(t, "warning", func() bool { return find().State == Warning })
	for find().State != NeedsSignIn {
		keepalivetest.Eventually(t, "the watched loop to sleep", func() bool { return clock.Pending() > 0 })
		clock.Advance(maxStep)
		e.settle()
	}
	if got := clock.Now().Sub(t0); got > 3*maxStep {
		t.Errorf("passed deadline noticed after %v", got)
	}
	data, _ := os.ReadFile(path)
	if string(data) != claudeStore(t0.Add(90*time.Second), true) {
		t.Error("the watched store was modified")
	}
}

func TestWatchedCheckCommand(t *testing.T) {
	dir := testfs.TempDir(t)
	path := filepath.Join(dir, ".credentials.json")
	replace(t, path, claudeStore(t0.Add(30*24*time.Hour), true))
	if runtime.GOOS == "windows" {
		t.Skip("the fake check command is a shell script")
	}
	script := filepath.Join(dir, "check")
	// Like `claude auth status`: JSON with loggedIn, exit status 0 or 1.
	if err := os.WriteFile(script, []byte("#!/bin/sh\nif [ -e \""+dir+"/out\" ]; then echo '{\"loggedIn\": false}'; exit 1; fi\necho '{\"loggedIn\": true}'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := watched.Source{Kind: watched.ClaudeCode, Name: "claude-code", Path: path, Exists: true, CheckCommand: []string{script}}
	e := New(Options{Store: store.Open(testfs.TempDir(t)), Clock: newFakeClock(t0), Watched: []watched.Source{src}}, nil)
	w := e.watchedAccs[0]
	probe := func() { e.deliver(evWatched{acc: e.probeOne(context.Background(), w)}) }
	probe()
	if a, _ := e.Snapshot().Find("claude-code"); a.State != OK {
		t.Fatalf("check says logged in: %+v", a)
	}
	// The owner logged out; the next check (after checkEvery) sees it.
	os.WriteFile(filepath.Join(dir, "out"), nil, 0o600)
	probe()
	if a, _ := e.Snapshot().Find("claude-code"); a.State != OK {
		t.Fatalf("check ran again before its interval: %+v", a)
	}
	e.clock.(*fakeClock).Advance(checkEvery)
	probe()
	if a, _ := e.Snapshot().Find("claude-code"); a.State != NeedsSignIn || a.Reason != "the check command reports no login" {
		t.Fatalf("check says logged out: %+v", a)
	}
}

// TestConfigureWatchedWhileRunning: the running engine follows the
// watched stores of a reloaded configuration: a removed one disappears, a
// new one is read at once and its owner's changes are followed.
func TestConfigureWatchedWhileRunning(t *testing.T) {
	dir := testfs.TempDir(t)
	oldPath, newPath := filepath.Join(dir, "old.json"), filepath.Join(dir, "new.json")
	replace(t, oldPath, claudeStore(t0.Add(30*24*time.Hour), true))
	replace(t, newPath, claudeStore(t0.Add(50*time.Hour), true))
	oldSrc := watched.Source{Kind: watched.ClaudeCode, Name: "claude-old", Path: oldPath, Exists: true}
	newSrc := watched.Source{Kind: watched.ClaudeCode, Name: "claude-new", Path: newPath, Exists: true}
	e := New(Options{Store: store.Open(testfs.TempDir(t)), Clock: newFakeClock(t0), Watched: []watched.Source{oldSrc}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	<-e.started

	e.ConfigureWatched([]watched.Source{newSrc})
	e.settle()
	snap := e.Snapshot()
	if _, ok := snap.Find("claude-old"); ok || len(snap.Accounts) != 1 {
		t.Fatalf("the removed store is still shown: %+v", snap.Accounts)
	}
	if a, _ := snap.Find("claude-new"); a.State != Warning || !a.Deadline.Equal(t0.Add(50*time.Hour)) {
		t.Fatalf("the new store: %+v", a)
	}
	// Its owner signs in again: followed without a restart (the fake
	// clock stands still, so only the file watch can notice).
	deadline := time.Now().Add(10 * time.Second)
	for a, _ := e.Snapshot().Find("claude-new"); a.State != OK; a, _ = e.Snapshot().Find("claude-new") {
		if time.Now().After(deadline) {
			t.Fatal("the new store's change was not noticed")
		}
		replace(t, newPath, claudeStore(t0.Add(30*24*time.Hour), true))
		time.Sleep(300 * time.Millisecond)
	}
	// A probe of the old store that was under way is not shown again.
	e.deliver(evWatched{acc: Account{Name: "claude-old", Kind: Watched("claude-code"), State: OK}})
	if _, ok := e.Snapshot().Find("claude-old"); ok {
		t.Error("a late probe of a removed store brought it back")
	}
}
