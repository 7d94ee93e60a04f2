package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// maxSymlinks bounds symlink resolution, like the kernels' ELOOP limit.
const maxSymlinks = 40

// WriteFileAtomic replaces the file at path with data so that a reader
// sees either the old or the new content, never a partial file, and a
// crash leaves one of the two.
//
// Symlinks are resolved first, so a symlinked file has its target replaced
// and the link itself stays (a dangling link gets its target created). The
// data goes to a temporary file in the target's directory, which is
// synced, given the mode of the file it replaces (perm when there is none;
// the umask does not apply), renamed over the target, and the directory is
// synced (on Unix). On Windows a rename refused because another process has
// the target open is retried for a short while. The parent directory must
// exist.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	target, err := resolveSymlinks(path)
	if err != nil {
		return err
	}
	mode := perm.Perm()
	switch fi, err := os.Stat(target); {
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("write %s: not a regular file", target)
	case err == nil:
		mode = fi.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}

	dir, base := filepath.Split(target)
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
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
	if err := renameReplace(tmpName, target); err != nil {
		return err
	}
	ok = true
	return syncDir(filepath.Dir(target))
}

// resolveSymlinks follows path while it names a symlink and returns the
// final path, which need not exist. Only the last element is resolved:
// symlinked parent directories are harmless, because the temporary file is
// created through the same parents.
func resolveSymlinks(path string) (string, error) {
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
