package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/oauthflow"
)

// The cross-process test re-executes the test binary with these variables
// set; TestMain then runs incrementHelper instead of the tests.
const (
	helperDirEnv = "TOKENTRAY_STORE_TEST_HELPER_DIR"
	helperNEnv   = "TOKENTRAY_STORE_TEST_HELPER_N"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperDirEnv); dir != "" {
		os.Exit(incrementHelper(dir, os.Getenv(helperNEnv)))
	}
	os.Exit(m.Run())
}

func incrementHelper(dir, nStr string) int {
	n, err := strconv.Atoi(nStr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	d := Open(dir)
	for range n {
		// The sleep widens the read-modify-write window so that, without
		// the file lock, increments would be lost.
		if _, err := d.Update(context.Background(), "shared", incrementBy(time.Millisecond)); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 1
		}
	}
	return 0
}

// counter reads the test counter kept in the unknown field "counter".
func counter(t testing.TB, r *Record) int {
	t.Helper()
	if r == nil || r.extra["counter"] == nil {
		return 0
	}
	var n int
	if err := json.Unmarshal(r.extra["counter"], &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// incrementBy returns an Update function that adds one to the counter,
// pausing for pause between reading and writing.
func incrementBy(pause time.Duration) func(*Record) (*Record, error) {
	return func(cur *Record) (*Record, error) {
		if cur == nil {
			cur = NewRecord(&oauthflow.Token{AccessToken: "at"})
		}
		var n int
		if raw := cur.extra["counter"]; raw != nil {
			if err := json.Unmarshal(raw, &n); err != nil {
				return nil, err
			}
		}
		if pause > 0 {
			time.Sleep(pause)
		}
		if cur.extra == nil {
			cur.extra = make(map[string]json.RawMessage)
		}
		cur.extra["counter"] = json.RawMessage(strconv.Itoa(n + 1))
		return cur, nil
	}
}

func TestValidName(t *testing.T) {
	for _, name := range []string{"a", "work", "Work_2", "a.b-c_d", "0", strings.Repeat("x", 64), "con2", "nul-account", "COM10"} {
		if err := ValidName(name); err != nil {
			t.Errorf("ValidName(%q) = %v", name, err)
		}
	}
	for _, name := range []string{"", ".hidden", "..", ".", "a/b", `a\b`, "../x", "a b", "é", "me@x", strings.Repeat("x", 65), "a\x00", "CON", "nul.json", "Com1", "lpt9.x"} {
		if err := ValidName(name); err == nil {
			t.Errorf("ValidName(%q) = nil, want error", name)
		}
	}
}

func TestLoadMissingAndInvalidName(t *testing.T) {
	d := Open(filepath.Join(testfs.TempDir(t), "store"))
	if _, err := d.Load("nobody"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing account: %v, want fs.ErrNotExist", err)
	}
	if _, err := d.Load("../escape"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(../escape) = %v, want a name error", err)
	}
	if _, err := d.Update(context.Background(), "a/b", incrementBy(0)); err == nil {
		t.Error("Update with an invalid name: no error")
	}
	if err := d.Delete(context.Background(), ".x"); err == nil {
		t.Error("Delete with an invalid name: no error")
	}
}

func TestUpdateCreatesAndLoads(t *testing.T) {
	root := filepath.Join(testfs.TempDir(t), "a", "store")
	d := Open(root)
	ctx := context.Background()
	got, err := d.Update(ctx, "work", func(cur *Record) (*Record, error) {
		if cur != nil {
			t.Errorf("cur = %+v, want nil for a new account", cur)
		}
		return NewRecord(fullToken()), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken.Reveal() != "at-1" {
		t.Errorf("Update returned %+v", got)
	}
	if runtime.GOOS != "windows" {
		testfs.AssertMode(t, root, DirMode)
		testfs.AssertMode(t, d.Path("work"), FileMode)
		testfs.AssertMode(t, filepath.Join(root, ".work.lock"), FileMode)
	}
	if d.Path("work") != filepath.Join(root, "work.json") {
		t.Errorf("Path = %s", d.Path("work"))
	}
	loaded, err := d.Load("work")
	if err != nil {
		t.Fatal(err)
	}
	if !tokensEqual(*loaded.Token(), *fullToken()) {
		t.Errorf("Load = %+v, want %+v", loaded.Token(), fullToken())
	}
	// Only the file and its lock; no temp files.
	if names := dirNames(t, root); strings.Join(names, ",") != ".work.lock,work.json" {
		t.Errorf("store holds %q", names)
	}
}

func TestUpdateKeepsUnknownFields(t *testing.T) {
	d := Open(testfs.TempDir(t))
	path := d.Path("acct")
	in := `{
  "access_token": "old-at",
  "refresh_token": "old-rt",
  "future_field": {"nested": [1, 2, {"deep": null}], "s": "\u00e9"},
  "note": "kept",
  "version": 1
}`
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := d.Update(context.Background(), "acct", func(cur *Record) (*Record, error) {
		cur.Apply(&oauthflow.Token{AccessToken: "new-at", ObtainedAt: t0})
		return cur, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"version":       1.0,
		"access_token":  "new-at",
		"refresh_token": "old-rt",
		"obtained_at":   "2026-03-01T10:00:00.123456789Z",
		"future_field":  map[string]any{"nested": []any{1.0, 2.0, map[string]any{"deep": nil}}, "s": "é"},
		"note":          "kept",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("file after Update:\n got %v\nwant %v", got, want)
	}
}

func TestUpdateSymlinkedFile(t *testing.T) {
	dir := testfs.TempDir(t)
	d := Open(filepath.Join(dir, "store"))
	if err := os.Mkdir(filepath.Join(dir, "store"), 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "elsewhere.json")
	if err := os.WriteFile(target, []byte(`{"access_token":"old","x":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	testfs.Symlink(t, target, d.Path("linked"))

	_, err := d.Update(context.Background(), "linked", func(cur *Record) (*Record, error) {
		if cur == nil || cur.AccessToken.Reveal() != "old" {
			t.Errorf("cur = %+v, want the target's record", cur)
			return nil, nil
		}
		cur.AccessToken = "new"
		return cur, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(d.Path("linked"))
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("store file is no longer a symlink: %v, %v", fi, err)
	}
	r, err := load(target)
	if err != nil {
		t.Fatal(err)
	}
	if r.AccessToken.Reveal() != "new" || string(r.extra["x"]) != "1" {
		t.Errorf("target = %+v", r)
	}

	// Delete removes the tokens (the target) and keeps the link.
	if err := d.Delete(context.Background(), "linked"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target after Delete: %v", err)
	}
	if _, err := os.Readlink(d.Path("linked")); err != nil {
		t.Errorf("link after Delete: %v", err)
	}
	if _, err := d.Load("linked"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load after Delete: %v", err)
	}
}

// snapshot captures a path's content and modification time.
type snapshot struct {
	data  []byte
	mtime time.Time
	dir   bool
}

func snap(t *testing.T, path string) snapshot {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{mtime: fi.ModTime(), dir: fi.IsDir()}
	if !s.dir {
		if s.data, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestMalformedFile(t *testing.T) {
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		content string // "" with dir: a directory in place of the file
		dir     bool
		want    string
	}{
		{name: "bad JSON", content: `{"access_token": "SEKRET", oops}`, want: "invalid JSON at byte offset"},
		{name: "truncated", content: `{"access_token": "SEKRET`, want: "invalid JSON"},
		{name: "expiry number", content: `{"access_token": "SEKRET", "expiry": 5}`, want: `field "expiry"`},
		{name: "expiry not a time", content: `{"expiry": "SEKRET"}`, want: `field "expiry"`},
		{name: "token number", content: `{"refresh_token": 12345}`, want: `field "refresh_token"`},
		{name: "array", content: `["SEKRET"]`, want: "not a JSON object"},
		{name: "null", content: `null`, want: "not a JSON object"},
		{name: "empty", content: ``, want: "empty file"},
		{name: "directory", dir: true, want: "not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Open(testfs.TempDir(t))
			path := d.Path("broken")
			if tc.dir {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
			before := snap(t, path)

			check := func(op string, err error) {
				t.Helper()
				me, ok := errors.AsType[*atomicfile.MalformedError](err)
				if !ok {
					t.Fatalf("%s: error %v (%T), want *atomicfile.MalformedError", op, err, err)
				}
				if me.Path != path {
					t.Errorf("%s: Path = %q, want %q", op, me.Path, path)
				}
				if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "SEKRET") || strings.Contains(msg, "'") {
					t.Errorf("%s: error %q: want it to contain %q and not quote the file", op, msg, tc.want)
				}
			}
			_, err := d.Load("broken")
			check("Load", err)

			called := false
			_, err = d.Update(context.Background(), "broken", func(*Record) (*Record, error) {
				called = true
				return NewRecord(fullToken()), nil
			})
			check("Update", err)
			if called {
				t.Error("Update called fn for a malformed file")
			}

			after := snap(t, path)
			if !bytes.Equal(after.data, before.data) || !after.mtime.Equal(before.mtime) || after.dir != before.dir {
				t.Errorf("file changed: before %+v, after %+v", before, after)
			}
		})
	}
}

func TestUpdateNilWritesNothing(t *testing.T) {
	d := Open(testfs.TempDir(t))
	ctx := context.Background()

	// Absent: fn sees nil, returns nil, nothing is created.
	got, err := d.Update(ctx, "acct", func(cur *Record) (*Record, error) { return nil, nil })
	if err != nil || got != nil {
		t.Fatalf("Update = %v, %v; want nil, nil", got, err)
	}
	if _, err := os.Stat(d.Path("acct")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file after a nil update: %v", err)
	}

	// Present: the file is untouched, the current record is returned.
	if err := os.WriteFile(d.Path("acct"), []byte(`{"access_token":"at","scope":"s"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(d.Path("acct"), old, old); err != nil {
		t.Fatal(err)
	}
	before := snap(t, d.Path("acct"))
	got, err = d.Update(ctx, "acct", func(cur *Record) (*Record, error) { return nil, nil })
	if err != nil || got == nil || got.Scope != "s" {
		t.Fatalf("Update = %+v, %v; want the current record", got, err)
	}
	// An error from fn is returned as is, and nothing is written either.
	errStop := errors.New("stop")
	_, err = d.Update(ctx, "acct", func(cur *Record) (*Record, error) {
		cur.Scope = "changed"
		return cur, errStop
	})
	if err != errStop {
		t.Errorf("Update error = %v, want fn's error", err)
	}
	after := snap(t, d.Path("acct"))
	if !bytes.Equal(after.data, before.data) || !after.mtime.Equal(before.mtime) {
		t.Errorf("file changed: before %+v, after %+v", before, after)
	}
}

func TestDelete(t *testing.T) {
	d := Open(testfs.TempDir(t))
	ctx := context.Background()
	if err := d.Delete(ctx, "acct"); err != nil {
		t.Errorf("Delete of an absent account: %v", err)
	}
	if _, err := d.Update(ctx, "acct", incrementBy(0)); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load("acct"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load after Delete: %v", err)
	}
	// A malformed file can still be deleted (logout must work)...
	if err := os.WriteFile(d.Path("acct"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "acct"); err != nil {
		t.Errorf("Delete of a malformed file: %v", err)
	}
	// ...but a directory in its place is not removed.
	if err := os.Mkdir(d.Path("acct"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, ok := errors.AsType[*atomicfile.MalformedError](d.Delete(ctx, "acct")); !ok {
		t.Error("Delete of a directory: want *atomicfile.MalformedError")
	}
}

func TestConcurrentUpdates(t *testing.T) {
	dir := testfs.TempDir(t)
	const goroutines, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for i := range goroutines {
		// Half share one Dir, half open their own: both must serialise.
		d := Open(dir)
		if i%2 == 0 {
			d = Open(dir + string(filepath.Separator))
		}
		wg.Go(func() {
			for range each {
				if _, err := d.Update(context.Background(), "acct", incrementBy(0)); err != nil {
					errs <- err
					return
				}
				if _, err := d.Load("acct"); err != nil { // readers never see a partial file
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, err := Open(dir).Load("acct")
	if err != nil {
		t.Fatal(err)
	}
	if got := counter(t, r); got != goroutines*each {
		t.Errorf("counter = %d, want %d", got, goroutines*each)
	}
}

func TestCrossProcessUpdates(t *testing.T) {
	dir := testfs.TempDir(t)
	const procs, each = 4, 25
	startIncrementers(t, dir, procs, each)()
	r, err := Open(dir).Load("shared")
	if err != nil {
		t.Fatal(err)
	}
	if got := counter(t, r); got != procs*each {
		t.Errorf("counter = %d, want %d: the file lock did not serialise the processes", got, procs*each)
	}
}

// startIncrementers starts procs processes that each add one to the
// counter of account "shared" in dir each times; wait waits for them.
func startIncrementers(t *testing.T, dir string, procs, each int) (wait func()) {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*bytes.Buffer, procs)
	for i := range cmds {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), helperDirEnv+"="+dir, helperNEnv+"="+strconv.Itoa(each))
		outs[i] = new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	return func() {
		for i, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Errorf("helper %d: %v\n%s", i, err, outs[i])
			}
		}
	}
}

// TestLockOnARemovedFile: a process that opened the lock file before
// Forget removed it, and got its lock after, holds a lock that excludes
// nobody; lock must take the file in place instead.
func TestLockOnARemovedFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows cannot remove a held lock file (Forget removes it once released)")
	}
	d := Open(testfs.TempDir(t))
	path := d.lockPath("acct")
	calls := 0
	testHookLocked = func() {
		calls++
		if calls == 1 {
			// Forget, between this process's open and its lock.
			if err := os.Remove(path); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(func() { testHookLocked = nil })
	unlock, err := d.lock(context.Background(), "acct")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if calls != 2 {
		t.Errorf("locked %d files, want 2 (the removed one, then the one in place)", calls)
	}
	// The lock held is the one at path: another process cannot take it.
	fl := flock.New(path)
	if ok, err := fl.TryLock(); err != nil || ok {
		fl.Unlock()
		t.Errorf("the file in place is not locked (TryLock %v, %v)", ok, err)
	}
}

func TestForget(t *testing.T) {
	dir := testfs.TempDir(t)
	d := Open(dir)
	ctx := context.Background()
	if _, err := d.Update(ctx, "acct", incrementBy(0)); err != nil {
		t.Fatal(err)
	}
	if err := d.SaveHealth("acct", Health{Rejected: "invalid_grant", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Update(ctx, "other", incrementBy(0)); err != nil {
		t.Fatal(err)
	}
	if err := d.Forget(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{".other.lock", "other.json"}; !slices.Equal(left, want) {
		t.Errorf("after Forget: %q, want %q", left, want)
	}
	if err := d.Forget(ctx, "acct"); err != nil {
		t.Errorf("Forget of an absent account: %v", err)
	}
	// The account can be used again.
	if _, err := d.Update(ctx, "acct", incrementBy(0)); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateContextCancelInProcess(t *testing.T) {
	d := Open(testfs.TempDir(t))
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := d.Update(context.Background(), "acct", func(cur *Record) (*Record, error) {
			close(inside)
			<-release
			return nil, nil
		})
		done <- err
	}()
	<-inside

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.Update(ctx, "acct", func(*Record) (*Record, error) {
		t.Error("fn ran while another updater held the lock")
		return nil, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Update while locked = %v, want context.DeadlineExceeded", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("Update waited %v after its context ended", waited)
	}
	// Another account is not blocked.
	if _, err := d.Update(context.Background(), "other", incrementBy(0)); err != nil {
		t.Error(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The lock is free again.
	if _, err := d.Update(context.Background(), "acct", incrementBy(0)); err != nil {
		t.Error(err)
	}
}

func TestUpdateContextCancelFileLock(t *testing.T) {
	d := Open(testfs.TempDir(t))
	if _, err := d.Update(context.Background(), "acct", incrementBy(0)); err != nil {
		t.Fatal(err)
	}
	// Hold the lock file as another process would.
	other := flock.New(filepath.Join(d.dir, ".acct.lock"))
	if ok, err := other.TryLock(); !ok || err != nil {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := d.Update(ctx, "acct", func(*Record) (*Record, error) {
			t.Error("fn ran while the lock file was held")
			return nil, nil
		})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Update returned %v while the lock file was held", err)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Update = %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Update kept waiting after cancel")
	}

	// After the holder lets go, Update proceeds and the in-process gate
	// was released by the cancelled call.
	if err := other.Unlock(); err != nil {
		t.Fatal(err)
	}
	r, err := d.Update(context.Background(), "acct", incrementBy(0))
	if err != nil {
		t.Fatal(err)
	}
	if got := counter(t, r); got != 2 {
		t.Errorf("counter = %d, want 2", got)
	}
}

func BenchmarkUpdate(b *testing.B) {
	d := Open(testfs.TempDir(b))
	ctx := context.Background()
	if _, err := d.Update(ctx, "bench", func(*Record) (*Record, error) { return NewRecord(fullToken()), nil }); err != nil {
		b.Fatal(err)
	}
	tok := fullToken()
	for b.Loop() {
		_, err := d.Update(ctx, "bench", func(cur *Record) (*Record, error) {
			cur.Apply(tok)
			return cur, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
