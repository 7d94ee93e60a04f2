//go:build !windows

package store

import (
	"errors"
	"os"
	"syscall"
)

// renameReplace renames from over to; rename(2) replaces atomically.
func renameReplace(from, to string) error {
	return os.Rename(from, to)
}

// syncDir fsyncs directory dir so a rename or removal in it is durable.
// File systems that cannot sync a directory (EINVAL, ENOTSUP) are ignored.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		return nil
	}
	return err
}
