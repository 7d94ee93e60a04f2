// Package testfs holds test helpers that keep the tests portable: a
// temporary directory whose cleanup also works under Wine, and the short
// list of Wine's own gaps that the Windows CI stage skips.
package testfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// WineEnv is set (to 1) only by the CI stage that runs the Windows test
// binaries under Wine (make test-windows). It switches SkipOnWine on.
const WineEnv = "TOKENTRAY_TEST_WINE"

// Wine's gaps that a test may skip under Wine. Each is a Wine 8.0
// limitation, not a Windows behaviour: the same test must pass on a real
// Windows machine. Keep this list short.
const (
	// WineSymlinks: CreateSymbolicLink is a stub (os.Symlink fails or
	// creates something os.Readlink cannot read).
	WineSymlinks = "Wine: symbolic links are a stub"
	// WineDeleteWatched: deleting a directory that a
	// ReadDirectoryChangesW handle watches fails, and the watch reports
	// nothing for it.
	WineDeleteWatched = "Wine: a watched directory cannot be deleted"
)

// RenameOverOpen is os.Rename, except under Wine, where it retries for up
// to two seconds: Wine does not free the name of a file that is open
// with FILE_SHARE_DELETE, so replacing it fails ("Access denied") until
// the reader closes it; Windows 10 and later replace it at once.
func RenameOverOpen(from, to string) error {
	err := os.Rename(from, to)
	for deadline := time.Now().Add(2 * time.Second); err != nil && UnderWine() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		err = os.Rename(from, to)
	}
	return err
}

// UnderWine reports whether the test runs in the Wine CI stage.
func UnderWine() bool { return os.Getenv(WineEnv) == "1" }

// SkipOnWine skips t in the Wine CI stage, naming the gap, one of the
// Wine* constants above.
func SkipOnWine(t testing.TB, gap string) {
	t.Helper()
	if UnderWine() {
		t.Skip(gap)
	}
}

// TempDir is t.TempDir, except on Windows, where it removes the directory
// itself: os.RemoveAll (which t.TempDir's cleanup calls) deletes through
// FileDispositionInformationEx, which Wine does not implement ("Invalid
// function"), so every test would fail at cleanup. There a failed
// RemoveAll is followed by a plain bottom-up os.Remove of each entry.
func TempDir(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "windows" {
		return t.TempDir()
	}
	pattern := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`<>:"/\|?*`, r) || r < ' ' {
			return '_'
		}
		return r
	}, t.Name())
	if len(pattern) > 64 {
		pattern = pattern[:64]
	}
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		t.Fatalf("TempDir: %v", err)
	}
	t.Cleanup(func() {
		if err := removeTree(dir); err != nil {
			t.Errorf("TempDir cleanup: %v", err)
		}
	})
	return dir
}

// removeTree removes dir and everything below it: os.RemoveAll first,
// then, if that fails, each entry with os.Remove, deepest first.
func removeTree(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	var paths []string
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if walkErr != nil {
		return errors.Join(err, walkErr)
	}
	// Longer paths are deeper: remove children before their parents.
	sort.Slice(paths, func(i, j int) bool { return len(paths[i]) > len(paths[j]) })
	var errs []error
	for _, p := range paths {
		if rerr := os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			os.Chmod(p, 0o600) // a read-only file: Windows refuses to delete it
			if rerr = os.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				errs = append(errs, rerr)
			}
		}
	}
	return errors.Join(errs...)
}

// AssertMode fails t unless path's permission bits are want.
func AssertMode(t testing.TB, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}

// Symlink creates a symbolic link, or skips the test where that needs a
// privilege (Windows without developer mode) or is one of Wine's gaps.
func Symlink(t testing.TB, target, link string) {
	t.Helper()
	SkipOnWine(t, WineSymlinks)
	if err := os.Symlink(target, link); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("cannot create symlinks: %v", err)
		}
		t.Fatal(err)
	}
}
