//go:build !windows

package store

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// trustedDir reports whether dir is a real directory owned by this user
// that nobody else can write to (a rescue directory in a shared temp
// directory must not accept tokens planted by another user).
func trustedDir(dir string) bool {
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// modeWarning describes permissions of the token file path (mode fileMode)
// or of its directory that let other users in, or returns "".
func modeWarning(path string, fileMode fs.FileMode) string {
	var w string
	if fileMode.Perm()&0o077 != 0 {
		w = fmt.Sprintf("token file %s is accessible by other users (mode %04o); tokentray sets %04o when it next writes it",
			path, fileMode.Perm(), FileMode)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if w != "" {
			w += "; "
		}
		w += fmt.Sprintf("token directory %s is accessible by other users (mode %04o); tokentray sets %04o when it next writes there",
			dir, fi.Mode().Perm(), DirMode)
	}
	return w
}

// tightenDir sets the store directory's mode to DirMode when it is looser.
func tightenDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&^DirMode != 0 {
		return os.Chmod(dir, DirMode)
	}
	return nil
}
