//go:build !windows

package atomicfile

import (
	"errors"
	"os"
	"syscall"
)

// openRead opens path read-only with O_NONBLOCK, so that a FIFO swapped in
// after the Stat check does not block the open (reads from a regular file
// ignore the flag).
func openRead(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// Rename renames from over to; rename(2) replaces atomically.
func Rename(from, to string) error {
	return os.Rename(from, to)
}

// SyncDir fsyncs directory dir so a rename or removal in it is durable.
// File systems that cannot sync a directory (EINVAL, ENOTSUP) are ignored.
func SyncDir(dir string) error {
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
