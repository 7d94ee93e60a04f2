package watched

import (
	"context"
	"github.com/tokentray/tokentray/keepalive/health"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// startWatch runs Watch in the background until the test ends and returns
// the channel of changed sources; it returns once the watches are in place.
func startWatch(t *testing.T, srcs []Source) <-chan Source {
	t.Helper()
	ready := make(chan struct{})
	testHookWatchReady = func() { close(ready) }
	t.Cleanup(func() { testHookWatchReady = nil })
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan Source, 64)
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, srcs, func(s Source) { ch <- s }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Watch returned %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Watch did not return after cancel")
		}
	})
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("Watch not ready")
	}
	return ch
}

func expectChange(t *testing.T, ch <-chan Source, name string) {
	t.Helper()
	select {
	case s := <-ch:
		if s.Name != name {
			t.Fatalf("changed %q, want %q", s.Name, name)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no change reported for %q", name)
	}
}

func expectQuiet(t *testing.T, ch <-chan Source) {
	t.Helper()
	select {
	case s := <-ch:
		t.Fatalf("unexpected change for %q", s.Name)
	case <-time.After(4 * watchDebounce):
	}
}

// replaceAtomically does what the owners do: write a temp file in the same
// directory and rename it over the store.
func replaceAtomically(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp-owner"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := testfs.RenameOverOpen(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestWatchReplaceDebouncedAndFiltered(t *testing.T) {
	dir := testfs.TempDir(t)
	a := Source{Kind: Codex, Name: "codex", Path: filepath.Join(dir, "codex", "auth.json")}
	b := Source{Kind: Gemini, Name: "gemini", Path: filepath.Join(dir, "gemini", "oauth_creds.json")}
	copyFixture(t, Codex, "healthy.json", a.Path)
	copyFixture(t, Gemini, "healthy.json", b.Path)
	ch := startWatch(t, []Source{a, b})

	// A burst of owner writes gives one notification.
	for i := 0; i < 3; i++ {
		replaceAtomically(t, a.Path, readFixture(t, Codex, "access-expired.json"))
		time.Sleep(20 * time.Millisecond)
	}
	expectChange(t, ch, "codex")
	expectQuiet(t, ch)

	// Other files in a watched directory are ignored.
	if err := os.WriteFile(filepath.Join(dir, "gemini", "settings.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	expectQuiet(t, ch)

	// In-place write and removal are reported too.
	if err := os.WriteFile(b.Path, readFixture(t, Gemini, "no-refresh.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	expectChange(t, ch, "gemini")
	if err := os.Remove(b.Path); err != nil {
		t.Fatal(err)
	}
	expectChange(t, ch, "gemini")
	expectQuiet(t, ch)
}

func TestWatchStoreAppearsLater(t *testing.T) {
	home := testfs.TempDir(t)
	// ~/.codex does not exist yet: the first `codex login` creates it.
	src := Source{Kind: Codex, Name: "codex", Path: filepath.Join(home, ".codex", "sub", "auth.json")}
	ch := startWatch(t, []Source{src})

	if err := os.MkdirAll(filepath.Dir(src.Path), 0o700); err != nil {
		t.Fatal(err)
	}
	expectQuiet(t, ch) // directories alone are no change
	replaceAtomically(t, src.Path, readFixture(t, Codex, "healthy.json"))
	expectChange(t, ch, "codex")

	// The whole directory goes away and comes back.
	testfs.SkipOnWine(t, testfs.WineDeleteWatched)
	if err := os.RemoveAll(filepath.Join(home, ".codex")); err != nil {
		t.Fatal(err)
	}
	expectChange(t, ch, "codex")
	copyFixture(t, Codex, "healthy.json", src.Path)
	expectChange(t, ch, "codex")
}

func TestWatchSymlinkTarget(t *testing.T) {
	dir := testfs.TempDir(t)
	real := filepath.Join(dir, "dotfiles", "oauth_creds.json")
	copyFixture(t, Gemini, "healthy.json", real)
	link := filepath.Join(dir, "home", ".gemini", "oauth_creds.json")
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	testfs.SkipOnWine(t, testfs.WineSymlinks)
	if err := os.Symlink(real, link); err != nil {
		t.Skip("symlinks unavailable:", err)
	}
	ch := startWatch(t, []Source{{Kind: Gemini, Name: "gemini", Path: link}})
	replaceAtomically(t, real, readFixture(t, Gemini, "access-expired.json"))
	expectChange(t, ch, "gemini")
}

// TestWatchSettingsChange: switching Codex to the keyring in its
// config.toml is a change of the login's source.
func TestWatchSettingsChange(t *testing.T) {
	home := testfs.TempDir(t)
	copyFixture(t, Codex, "healthy.json", filepath.Join(home, ".codex", "auth.json"))
	src := byName(t, Discover(Env{GOOS: "linux", Home: home}), "codex")
	ch := startWatch(t, []Source{src})
	replaceAtomically(t, src.Settings, readFixture(t, Codex, "config-keyring.toml"))
	expectChange(t, ch, "codex")
	if st := probeState(t, src); verdictOf(st) != (verdict{health.OK, ExpiryUnknown}) {
		t.Fatalf("after the switch: %+v", st)
	}
}

// With every directory watched, Watch does not poll; without an OS
// watcher for a directory it does.
func TestWatchPollsOnlyWhatIsNotWatched(t *testing.T) {
	polling := make(chan bool, 16)
	testHookPolling = func(p bool) { polling <- p }
	t.Cleanup(func() { testHookPolling = nil })
	dir := testfs.TempDir(t)
	startWatch(t, []Source{{Name: "a", Path: filepath.Join(dir, "sub", "creds.json")}})
	if p := <-polling; p {
		t.Error("polls although the store's directory is watched")
	}
}
