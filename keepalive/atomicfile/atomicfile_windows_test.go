package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// tempDir is a temporary directory removed at the end as far as the
// system lets it: Wine's os.RemoveAll fails ("Invalid function"), which
// must not fail these tests.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "atomicfile-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// holdOpen opens path the way many Windows programs do (plain
// CreateFile sharing read and write but not delete) and closes it after d.
func holdOpen(t *testing.T, path string, d time.Duration) <-chan struct{} {
	t.Helper()
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	time.AfterFunc(d, func() {
		windows.CloseHandle(h)
		close(closed)
	})
	return closed
}

// TestWriteFileWhileHeldWithoutShareDelete: another program holding the
// file open for 3 s without FILE_SHARE_DELETE delays the replacement but
// does not make it fail.
func TestWriteFileWhileHeldWithoutShareDelete(t *testing.T) {
	dir := tempDir(t)
	path := filepath.Join(dir, "work.json")
	if err := WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := holdOpen(t, path, 3*time.Second)
	if err := WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatalf("WriteFile while the file is held open: %v", err)
	}
	select {
	case <-closed:
	default:
		// The holder has not let go yet, so the rename did not need to
		// wait: this Windows (or Wine) does not enforce the sharing mode
		// on renames, and the test proves nothing here.
		t.Log("the rename succeeded while the file was still held open")
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Errorf("content = %q, %v; want new", got, err)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q, want only work.json", names)
	}
}

// TestOpenSharesDelete: a reader that opened the file with Open while it
// is replaced keeps reading the old content, and the replacement goes
// through (at once where Windows frees the name of a file deleted while
// open, after the reader lets go elsewhere, as under Wine).
func TestOpenSharesDelete(t *testing.T) {
	path := filepath.Join(tempDir(t), "work.json")
	if err := WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(time.Second, func() { f.Close() })
	buf := make([]byte, 8)
	n, _ := f.Read(buf)
	start := time.Now()
	if err := WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatalf("WriteFile while a reader holds the file: %v", err)
	}
	t.Logf("the replacement took %v", time.Since(start))
	if string(buf[:n]) != "old" {
		t.Errorf("the reader saw %q, want the old content", buf[:n])
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "new" {
		t.Errorf("content = %q, %v; want new", got, err)
	}
}
