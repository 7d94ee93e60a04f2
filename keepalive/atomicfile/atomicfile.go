// Package atomicfile replaces and reads small files that other processes
// read at the same time: tokentray's token files, config.toml, the status
// file and the autostart entries.
//
// A replacement is atomic: a reader sees the old or the new content, never
// a mix, and a crash leaves one of the two. The rules, in one place:
//
//   - the data goes to a temporary file ".<name>.tmp-*" in the directory of
//     the file it replaces, is synced, and is renamed over it; the
//     directory is then synced (Unix);
//   - symlinks are followed: a symlinked file has its target replaced and
//     the link stays;
//   - the new file's mode is perm, or the old file's mode if that is
//     tighter: a write never loosens permissions, and tightens loose ones;
//   - only regular files are replaced or read: a FIFO or a device in place
//     of the file is an error (ErrNotRegular), never a hang;
//   - on Windows, readers open with FILE_SHARE_DELETE so they never block a
//     replacement, and a rename refused because another program holds the
//     file open is retried for a few seconds (MoveFileEx with
//     MOVEFILE_REPLACE_EXISTING|MOVEFILE_WRITE_THROUGH).
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrNotRegular reports a path that names a FIFO, a device, a directory or
// another file that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// maxSymlinks bounds symlink resolution, like the kernels' ELOOP limit.
const maxSymlinks = 40

// staleTemp is how old a leftover temporary file of a dead writer must be
// before a later WriteFile removes it.
const staleTemp = time.Minute

// TempPattern is the os.CreateTemp pattern of the temporary files that
// WriteFile creates beside the file named base.
func TempPattern(base string) string { return "." + base + ".tmp-*" }

// WriteFile replaces the file at path with data (see the package
// documentation for the rules). The parent directory must exist.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	target, err := Resolve(path)
	if err != nil {
		return err
	}
	mode, err := modeFor(target, perm)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(target)
	tmp, err := os.CreateTemp(dir, TempPattern(base))
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := Rename(tmpName, target); err != nil {
		return err
	}
	ok = true
	removeStaleTemps(dir, base, time.Now())
	return SyncDir(filepath.Dir(target))
}

// modeFor returns the mode of a file that replaces target: perm, tightened
// further to the existing file's mode.
func modeFor(target string, perm fs.FileMode) (fs.FileMode, error) {
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return perm.Perm(), nil
	case err != nil:
		return 0, err
	case !fi.Mode().IsRegular():
		return 0, &fs.PathError{Op: "write", Path: target, Err: ErrNotRegular}
	}
	return perm.Perm() & fi.Mode().Perm(), nil
}

// removeStaleTemps removes temporary files of base left in dir by writers
// that died before their rename, once they are older than staleTemp (a
// younger one may belong to a writer still running).
func removeStaleTemps(dir, base string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix, _ := strings.CutSuffix(TempPattern(base), "*")
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > staleTemp {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// Resolve follows path while it names a symlink and returns the final path,
// which need not exist. Only the last element is resolved: symlinked parent
// directories are harmless, because temporary files are created through the
// same parents.
func Resolve(path string) (string, error) {
	for range maxSymlinks {
		fi, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Mode()&fs.ModeSymlink == 0) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// Open opens the regular file at path for reading without ever blocking:
// a FIFO, a device or a directory gives an error wrapping ErrNotRegular
// before anything waits on it. On Windows the file is opened with
// FILE_SHARE_DELETE, so holding it open does not stop another process from
// replacing it.
func Open(path string) (*os.File, error) {
	// Stat first: opening a FIFO for reading blocks until a writer comes.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "open", Path: path, Err: ErrNotRegular}
	}
	f, err := openRead(path) // non-blocking, for the file swapped in meanwhile
	if err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = &fs.PathError{Op: "open", Path: path, Err: ErrNotRegular}
		}
		return nil, err
	}
	return f, nil
}

// ReadFile reads the regular file at path (opened like Open). A file
// larger than limit bytes gives an error wrapping ErrTooLarge.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: ErrTooLarge}
	}
	return data, nil
}

// ErrTooLarge reports a file longer than ReadFile's limit.
var ErrTooLarge = errors.New("file too large")
