package statusfile

import (
	"context"
	"encoding/json"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive"
)

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func TestPublishWritesCompactChangesAtMostOncePerInterval(t *testing.T) {
	path := filepath.Join(testfs.TempDir(t), "status.json")
	writes := make(chan []byte, 16)
	testHookWritten = func(b []byte) { writes <- append([]byte(nil), b...) }
	defer func() { testHookWritten = nil }()
	snaps := make(chan keepalive.Snapshot, 1)
	sub := func() (<-chan keepalive.Snapshot, func()) { return snaps, func() {} }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Publish(ctx, sub, path, slog.New(slog.DiscardHandler)); close(done) }()

	a := keepalive.Snapshot{At: t0, Accounts: []keepalive.Account{{Name: "work", Kind: keepalive.Owned, State: keepalive.OK}}}
	snaps <- a
	first := <-writes
	start := time.Now()
	if strings.Contains(string(first), "\n  ") || !strings.HasSuffix(string(first), "}\n") {
		t.Errorf("not compact: %q", first)
	}
	// The same status at a later instant is no change; a real change is
	// written, but not sooner than MinInterval after the last write.
	a2 := a
	a2.At = t0.Add(time.Minute)
	snaps <- a2
	b := a
	b.Accounts = []keepalive.Account{{Name: "work", Kind: keepalive.Owned, State: keepalive.Retrying, Attempt: 1}}
	snaps <- b
	second := <-writes
	if gap := time.Since(start); gap < MinInterval-100*time.Millisecond {
		t.Errorf("second write %v after the first", gap)
	}
	var got keepalive.Snapshot
	if err := json.Unmarshal(second, &got); err != nil || got.Accounts[0].State != keepalive.Retrying {
		t.Fatalf("second write %q: %v", second, err)
	}
	cancel()
	<-done
	select {
	case w := <-writes:
		t.Errorf("an unchanged status was written again: %q", w)
	default:
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("status file left behind: %v", err)
	}
}

func TestOverlay(t *testing.T) {
	path := filepath.Join(testfs.TempDir(t), "status.json")
	running := keepalive.Snapshot{Accounts: []keepalive.Account{
		{Name: "work", Kind: keepalive.Owned, State: keepalive.Retrying, Attempt: 2},
		{Name: "claude", Kind: keepalive.Watched("codex"), State: keepalive.NeedsSignIn},
	}}
	data, _ := json.Marshal(running)
	os.WriteFile(path, data, 0o600)
	files := keepalive.Snapshot{Accounts: []keepalive.Account{
		{Name: "work", Kind: keepalive.Owned, State: keepalive.OK},
		{Name: "claude", Kind: keepalive.Watched("claude-code"), State: keepalive.OK},
		{Name: "home", Kind: keepalive.Owned, State: keepalive.OK},
	}}
	out := Overlay(files, path)
	if out.Accounts[0].State != keepalive.Retrying || out.Accounts[0].Attempt != 2 {
		t.Errorf("the running view was not used: %+v", out.Accounts[0])
	}
	if out.Accounts[1].State != keepalive.OK || out.Accounts[2].State != keepalive.OK {
		t.Errorf("another kind or an unknown account was overlaid: %+v", out.Accounts)
	}
	if files.Accounts[0].State != keepalive.OK {
		t.Error("the input was modified")
	}
	if got := Overlay(files, filepath.Join(testfs.TempDir(t), "none")); got.Accounts[0].State != keepalive.OK {
		t.Error("no file changed the status")
	}
}
