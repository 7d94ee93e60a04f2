package store

import (
	"context"
	"errors"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/oauthflow"
)

// testDir is a store whose rescue directory is private to the test and
// whose write retries do not sleep.
func testDir(t *testing.T) (*Dir, string) {
	t.Helper()
	d := Open(filepath.Join(testfs.TempDir(t), "tokens"))
	rescue := filepath.Join(testfs.TempDir(t), "rescue")
	d.rescueDirs = []string{rescue}
	d.sleep = func(time.Duration) {}
	return d, rescue
}

// login returns a record as a refresh at obtained would store it.
func login(rt string, obtained time.Time) *Record {
	return NewRecord(&oauthflow.Token{
		AccessToken: oauthflow.Secret("at-" + rt), RefreshToken: oauthflow.Secret(rt),
		TokenType: "Bearer", Expiry: obtained.Add(time.Hour), ObtainedAt: obtained,
	})
}

func store(t *testing.T, d *Dir, r *Record) {
	t.Helper()
	if _, err := d.Update(context.Background(), "work", func(*Record) (*Record, error) { return r, nil }); err != nil {
		t.Fatal(err)
	}
}

// current returns the refresh token Update hands to its function.
func current(t *testing.T, d *Dir) string {
	t.Helper()
	var got string
	if _, err := d.Update(context.Background(), "work", func(cur *Record) (*Record, error) {
		if cur != nil {
			got = cur.RefreshToken.Reveal()
		}
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func encoded(t *testing.T, r *Record) []byte {
	t.Helper()
	data, err := encode(r)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestUpdateAdoptsLeftovers: what a process killed while saving leaves
// behind is adopted when complete and newer, and removed otherwise.
func TestUpdateAdoptsLeftovers(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	spaces := strings.Repeat(" ", 4096)
	for _, tc := range []struct {
		name     string
		file     string // leftover name in the store directory
		content  func(t *testing.T) []byte
		age      time.Duration
		want     string // refresh token seen by the next Update
		wantLeft bool   // the leftover is still there afterwards
	}{
		{name: "complete journal, killed before truncate", file: ".work.json.journal",
			content: func(t *testing.T) []byte { return append(encoded(t, login("rt-2", t0.Add(time.Minute))), spaces...) },
			want:    "rt-2"},
		{name: "complete journal, killed before rename", file: ".work.json.journal",
			content: func(t *testing.T) []byte { return encoded(t, login("rt-2", t0.Add(time.Minute))) },
			want:    "rt-2"},
		{name: "journal with the reservation only", file: ".work.json.journal",
			content: func(*testing.T) []byte { return []byte(spaces) }, want: "rt-1"},
		{name: "journal cut short", file: ".work.json.journal",
			content: func(t *testing.T) []byte {
				return append(encoded(t, login("rt-2", t0.Add(time.Minute)))[:40], spaces...)
			},
			want: "rt-1"},
		{name: "older journal", file: ".work.json.journal",
			content: func(t *testing.T) []byte { return encoded(t, login("rt-0", t0.Add(-time.Minute))) }, want: "rt-1"},
		{name: "journal with the same refresh token", file: ".work.json.journal",
			content: func(t *testing.T) []byte { return encoded(t, login("rt-1", t0.Add(time.Minute))) }, want: "rt-1"},
		{name: "old version's abandoned temp file", file: ".work.json.tmp-12345", age: 2 * legacyTempAge,
			content: func(t *testing.T) []byte { return encoded(t, login("rt-2", t0.Add(time.Minute))) }, want: "rt-2"},
		{name: "old version's incomplete temp file", file: ".work.json.tmp-12345", age: 2 * legacyTempAge,
			content: func(t *testing.T) []byte { return encoded(t, login("rt-2", t0.Add(time.Minute)))[:30] }, want: "rt-1"},
		{name: "temp file of a writer that may still run", file: ".work.json.tmp-12345",
			content: func(t *testing.T) []byte { return encoded(t, login("rt-2", t0.Add(time.Minute))) },
			want:    "rt-1", wantLeft: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := testDir(t)
			store(t, d, login("rt-1", t0))
			left := filepath.Join(d.dir, tc.file)
			if err := os.WriteFile(left, tc.content(t), 0o600); err != nil {
				t.Fatal(err)
			}
			mtime := time.Now().Add(-tc.age)
			if err := os.Chtimes(left, mtime, mtime); err != nil {
				t.Fatal(err)
			}
			if got := current(t, d); got != tc.want {
				t.Errorf("Update sees refresh token %q, want %q", got, tc.want)
			}
			if rec, err := d.Load("work"); err != nil || rec.RefreshToken.Reveal() != tc.want {
				t.Errorf("Load afterwards: %v, %v; want %q", rec, err, tc.want)
			}
			_, err := os.Stat(left)
			if gotLeft := err == nil; gotLeft != tc.wantLeft {
				t.Errorf("leftover still there: %v, want %v", gotLeft, tc.wantLeft)
			}
			if data, _ := os.ReadFile(d.Path("work")); strings.HasSuffix(string(data), "  ") {
				t.Error("the adopted token file kept the journal's padding")
			}
		})
	}
}

// TestUpdateAdoptsJournalOfNewLogin: a sign-in killed before its rename
// is not lost either (there was no token file yet).
func TestUpdateAdoptsJournalOfNewLogin(t *testing.T) {
	d, _ := testDir(t)
	if err := os.MkdirAll(d.dir, DirMode); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(d.dir, ".work.json.journal")
	if err := os.WriteFile(journal, encoded(t, login("rt-new", time.Now())), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := current(t, d); got != "rt-new" {
		t.Errorf("Update sees %q, want rt-new", got)
	}
}

// TestUpdateLeavesNoFiles: every Update, whether it writes, writes
// nothing or fails, leaves only the token file and the lock.
func TestUpdateLeavesNoFiles(t *testing.T) {
	d, _ := testDir(t)
	ctx := context.Background()
	store(t, d, login("rt-1", time.Now()))
	d.Update(ctx, "work", func(*Record) (*Record, error) { return nil, nil })
	d.Update(ctx, "work", func(*Record) (*Record, error) { return nil, errors.New("refresh failed") })
	store(t, d, login("rt-2", time.Now()))
	if names := dirNames(t, d.dir); !slices.Equal(names, []string{".work.lock", "work.json"}) {
		t.Errorf("store holds %q", names)
	}
}

// failingWrites makes d's writes fail with ENOSPC while cond holds for the
// data being written.
func failingWrites(d *Dir, cond func(b []byte) bool) {
	d.writeAt = func(f *os.File, b []byte, off int64) (int, error) {
		if cond(b) {
			return 0, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
		}
		return f.WriteAt(b, off)
	}
}

func isReservation(b []byte) bool { return len(b) > 0 && b[0] == ' ' }

// TestDiskFullBeforeRequest: when the space for the new file cannot be
// reserved, the function learns it before it sends anything, and a
// function that only reads is unaffected.
func TestDiskFullBeforeRequest(t *testing.T) {
	d, _ := testDir(t)
	store(t, d, login("rt-1", time.Now()))
	failingWrites(d, isReservation)
	var werr error
	rec, err := d.Update(context.Background(), "work", func(cur *Record) (*Record, error) {
		werr = cur.Writable()
		return nil, nil
	})
	if err != nil || rec.RefreshToken.Reveal() != "rt-1" {
		t.Fatalf("a reading Update on a full disk: %v, %v", rec, err)
	}
	if _, ok := errors.AsType[*ReserveError](werr); !ok || !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("Writable() = %v, want a *ReserveError wrapping ENOSPC", werr)
	}
	if msg := werr.Error(); !strings.Contains(msg, "no space left on device") || !strings.Contains(msg, "not refreshing") {
		t.Errorf("Writable() says %q", msg)
	}
	d.writeAt = (*os.File).WriteAt
	d.Update(context.Background(), "work", func(cur *Record) (*Record, error) {
		werr = cur.Writable()
		return nil, nil
	})
	if werr != nil {
		t.Errorf("Writable() with space = %v", werr)
	}
	if l, _ := d.Load("work"); l.Writable() != nil {
		t.Error("a loaded record is not writable")
	}
}

// TestDiskFullAfterResponse: new tokens that cannot be written (the disk
// filled up after the reservation, or the record outgrew it) are retried
// for a bounded time, then rescued; Load finds them, and the next Update
// moves them back and refreshes from them.
func TestDiskFullAfterResponse(t *testing.T) {
	d, rescue := testDir(t)
	t0 := time.Now()
	store(t, d, login("rt-1", t0))
	failingWrites(d, func(b []byte) bool { return !isReservation(b) })
	var slept time.Duration
	d.sleep = func(dt time.Duration) { slept += dt }
	clock := t0
	d.now = func() time.Time { clock = clock.Add(10 * time.Millisecond); return clock.Add(slept) }

	_, err := d.Update(context.Background(), "work", func(cur *Record) (*Record, error) {
		return login("rt-2", t0.Add(time.Minute)), nil
	})
	se, ok := errors.AsType[*SaveError](err)
	if !ok {
		t.Fatalf("Update = %v, want a *SaveError", err)
	}
	if se.KeptIn != filepath.Join(rescue, "work.json") {
		t.Errorf("KeptIn = %q, want the rescue directory", se.KeptIn)
	}
	if slept < time.Second || slept > 2*saveRetryFor {
		t.Errorf("retried for %v, want a few seconds", slept)
	}
	msg := err.Error()
	if strings.Contains(msg, "rt-2") || strings.Contains(msg, "at-rt-2") || !strings.Contains(msg, "kept in "+se.KeptIn) ||
		!strings.Contains(msg, "no space left on device") {
		t.Errorf("error %q: want where the tokens are and why, without a token", msg)
	}
	if rec, err := d.Load("work"); err != nil || rec.RefreshToken.Reveal() != "rt-2" {
		t.Errorf("Load while the disk is full: %v, %v; want the rescued rt-2", rec, err)
	}
	if got := current(t, d); got != "rt-2" {
		t.Errorf("Update while the disk is full sees %q, want the rescued rt-2", got)
	}

	d.writeAt = (*os.File).WriteAt // space freed
	if got := current(t, d); got != "rt-2" {
		t.Errorf("Update after space was freed sees %q, want rt-2", got)
	}
	if _, err := os.Stat(se.KeptIn); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the rescued copy is still there: %v", err)
	}
	if rec, err := load(d.Path("work")); err != nil || rec.RefreshToken.Reveal() != "rt-2" {
		t.Errorf("token file: %v, %v; want rt-2 moved back", rec, err)
	}
}

// TestWriteRetried: a write that fails for a moment succeeds on a retry.
func TestWriteRetried(t *testing.T) {
	d, rescue := testDir(t)
	store(t, d, login("rt-1", time.Now()))
	fails := 2
	failingWrites(d, func(b []byte) bool {
		if !isReservation(b) && fails > 0 {
			fails--
			return true
		}
		return false
	})
	if _, err := d.Update(context.Background(), "work", func(*Record) (*Record, error) {
		return login("rt-2", time.Now().Add(time.Minute)), nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := current(t, d); got != "rt-2" || fails != 0 {
		t.Errorf("stored %q after %d failures left, want rt-2", got, fails)
	}
	if _, err := os.Stat(rescue); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a rescue copy was made: %v", err)
	}
}

// TestRescueIgnoresUntrusted: a rescue directory that another user could
// write to is not trusted (it might hold a planted login).
func TestRescueIgnoresUntrusted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	d, rescue := testDir(t)
	store(t, d, login("rt-1", time.Now()))
	if err := os.MkdirAll(rescue, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rescue, "work.json"), encoded(t, login("planted", time.Now().Add(time.Hour))), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(rescue, 0o777); err != nil {
		t.Fatal(err)
	}
	if rec, _ := d.Load("work"); rec.RefreshToken.Reveal() != "rt-1" {
		t.Errorf("Load took %q from a world-writable rescue directory", rec.RefreshToken.Reveal())
	}
	if got := current(t, d); got != "rt-1" {
		t.Errorf("Update took %q from a world-writable rescue directory", got)
	}
}

// TestDeleteRemovesLeftovers: after a logout nothing brings the login back.
func TestDeleteRemovesLeftovers(t *testing.T) {
	d, rescue := testDir(t)
	store(t, d, login("rt-1", time.Now()))
	os.MkdirAll(rescue, 0o700)
	os.WriteFile(filepath.Join(rescue, "work.json"), encoded(t, login("rt-3", time.Now().Add(time.Hour))), 0o600)
	os.WriteFile(filepath.Join(d.dir, ".work.json.journal"), encoded(t, login("rt-2", time.Now().Add(time.Minute))), 0o600)
	if err := d.Delete(context.Background(), "work"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Load("work"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load after Delete = %v, want not exist", err)
	}
	if got := current(t, d); got != "" {
		t.Errorf("Update after Delete sees %q", got)
	}
	if names := dirNames(t, d.dir); !slices.Equal(names, []string{".work.lock"}) {
		t.Errorf("store holds %q", names)
	}
}

// TestJournalKeptWhileRenameFails: a complete journal that cannot be
// renamed over the token file (Windows: another program holds the file
// open) stays until it can, is what Update hands to its function, and
// blocks refreshes meanwhile; a later Update adopts it.
func TestJournalKeptWhileRenameFails(t *testing.T) {
	d, _ := testDir(t)
	t0 := time.Now()
	store(t, d, login("rt-1", t0))
	journal := journalPath(d.Path("work"))
	if err := os.WriteFile(journal, encoded(t, login("rt-2", t0.Add(time.Minute))), 0o600); err != nil {
		t.Fatal(err)
	}
	d.rename = func(from, to string) error {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: syscall.EACCES}
	}
	var got string
	var werr error
	if _, err := d.Update(context.Background(), "work", func(cur *Record) (*Record, error) {
		got, werr = cur.RefreshToken.Reveal(), cur.Writable()
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != "rt-2" || werr == nil {
		t.Errorf("Update handed over %q (Writable %v), want the journal's rt-2, not writable", got, werr)
	}
	if r, err := load(journal); err != nil || r.RefreshToken.Reveal() != "rt-2" {
		t.Fatalf("the journal was lost: %v, %v", r, err)
	}
	d.rename = atomicfile.Rename
	if got := current(t, d); got != "rt-2" {
		t.Errorf("after the holder let go Update sees %q, want rt-2", got)
	}
	if _, err := os.Stat(journal); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("journal still there after its adoption: %v", err)
	}
}
