package atomicfile

import (
	"errors"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileReplace(t *testing.T) {
	dir := testfs.TempDir(t)
	path := filepath.Join(dir, "f.json")
	if err := WriteFile(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Replace with shorter and then longer content: no leftovers of the
	// old content, no temp files.
	for _, content := range []string{"2", "third, longer than the first"} {
		if err := WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != content {
			t.Errorf("content = %q, want %q", got, content)
		}
		if names := dirNames(t, dir); len(names) != 1 || names[0] != "f.json" {
			t.Errorf("directory holds %q, want only f.json", names)
		}
	}
}

func TestWriteFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits")
	}
	dir := testfs.TempDir(t)

	fresh := filepath.Join(dir, "new")
	if err := WriteFile(fresh, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	testfs.AssertMode(t, fresh, 0o600)

	// perm is applied exactly, whatever the umask.
	wide := filepath.Join(dir, "wide")
	if err := WriteFile(wide, []byte("x"), 0o664); err != nil {
		t.Fatal(err)
	}
	testfs.AssertMode(t, wide, 0o664)

	// An existing file keeps a tighter mode and loses a looser one.
	for _, c := range []struct{ old, perm, want fs.FileMode }{
		{0o400, 0o600, 0o400},
		{0o644, 0o600, 0o600},
		{0o666, 0o644, 0o644},
		{0o640, 0o644, 0o640},
	} {
		existing := filepath.Join(dir, "existing")
		if err := os.WriteFile(existing, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(existing, c.old); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(existing, []byte("new"), c.perm); err != nil {
			t.Fatal(err)
		}
		testfs.AssertMode(t, existing, c.want)
		os.Remove(existing)
	}
}

func TestWriteFileSymlink(t *testing.T) {
	dir := testfs.TempDir(t)
	realDir := filepath.Join(dir, "real")
	linkDir := filepath.Join(dir, "links")
	for _, d := range []string{realDir, linkDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	target := filepath.Join(realDir, "target.json")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A chain: links/a -> links/b (relative) -> real/target.json (absolute).
	b := filepath.Join(linkDir, "b")
	a := filepath.Join(linkDir, "a")
	testfs.Symlink(t, target, b)
	testfs.Symlink(t, "b", a)

	if err := WriteFile(a, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "new" {
		t.Errorf("target = %q, want new", got)
	}
	for link, want := range map[string]string{a: "b", b: target} {
		got, err := os.Readlink(link)
		if err != nil {
			t.Fatalf("%s is no longer a symlink: %v", link, err)
		}
		if got != want {
			t.Errorf("%s -> %s, want -> %s", link, got, want)
		}
	}
	if names := dirNames(t, realDir); len(names) != 1 {
		t.Errorf("target directory holds %q", names)
	}

	// A dangling link gets its target created.
	dangling := filepath.Join(linkDir, "dangling")
	missing := filepath.Join(realDir, "missing.json")
	testfs.Symlink(t, missing, dangling)
	if err := WriteFile(dangling, []byte("created"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(missing); err != nil || string(got) != "created" {
		t.Errorf("dangling target: %q, %v", got, err)
	}
	if _, err := os.Readlink(dangling); err != nil {
		t.Errorf("dangling link replaced: %v", err)
	}

	// A loop is an error, not a hang.
	loop := filepath.Join(linkDir, "loop")
	testfs.Symlink(t, "loop", loop)
	if err := WriteFile(loop, []byte("x"), 0o600); err == nil {
		t.Error("symlink loop: no error")
	}
}

func TestWriteFileNotRegular(t *testing.T) {
	dir := testfs.TempDir(t)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(sub, []byte("x"), 0o600); err == nil {
		t.Error("writing over a directory: no error")
	}
	if fi, err := os.Stat(sub); err != nil || !fi.IsDir() {
		t.Errorf("directory replaced: %v", err)
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("leftovers: %q", names)
	}
	// A missing parent directory is an error and leaves nothing behind.
	if err := WriteFile(filepath.Join(dir, "nope", "f"), []byte("x"), 0o600); err == nil {
		t.Error("missing parent: no error")
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "sub" {
		t.Errorf("leftovers: %q", names)
	}
}

func TestWriteFileRemovesStaleTemps(t *testing.T) {
	dir := testfs.TempDir(t)
	path := filepath.Join(dir, "f.json")
	stale := filepath.Join(dir, ".f.json.tmp-123")
	fresh := filepath.Join(dir, ".f.json.tmp-456")
	other := filepath.Join(dir, ".g.json.tmp-789")
	for _, p := range []string{stale, fresh, other} {
		if err := os.WriteFile(p, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTemp)
	for _, p := range []string{stale, other} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := dirNames(t, dir)
	want := []string{".f.json.tmp-456", ".g.json.tmp-789", "f.json"}
	if !slices.Equal(got, want) {
		t.Errorf("directory holds %q, want %q (the stale temp of f.json removed, nothing else)", got, want)
	}
}

func TestReadFileLimit(t *testing.T) {
	path := filepath.Join(testfs.TempDir(t), "big")
	if err := os.WriteFile(path, make([]byte, 11), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path, 10); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFile over the limit = %v, want ErrTooLarge", err)
	}
	if data, err := ReadFile(path, 11); err != nil || len(data) != 11 {
		t.Errorf("ReadFile at the limit = %d bytes, %v", len(data), err)
	}
}
