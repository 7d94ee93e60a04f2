//go:build windows

package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// Windows refuses to replace a file that another process (a virus scanner,
// a backup tool, an indexer, an editor) holds open without
// FILE_SHARE_DELETE. Such a holder usually lets go within a few seconds;
// RenameTimeout bounds the wait.
const (
	RenameTimeout  = 8 * time.Second
	renameFirstTry = 10 * time.Millisecond
	renameMaxDelay = 250 * time.Millisecond
)

// openRead opens path for reading, sharing read, write and delete access so
// that this reader never stops a writer from replacing the file.
func openRead(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// Rename renames from over to with MoveFileEx(MOVEFILE_REPLACE_EXISTING |
// MOVEFILE_WRITE_THROUGH), retrying with backoff for up to RenameTimeout
// while another process holds the target open.
func Rename(from, to string) error {
	f, err := windows.UTF16PtrFromString(from)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	t, err := windows.UTF16PtrFromString(to)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	deadline := time.Now().Add(RenameTimeout)
	delay := renameFirstTry
	for {
		err = windows.MoveFileEx(f, t, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH)
		if err == nil {
			return nil
		}
		if !isSharingError(err) || time.Now().Add(delay).After(deadline) {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
		}
		time.Sleep(delay)
		delay = min(2*delay, renameMaxDelay)
	}
}

func isSharingError(err error) bool {
	return errors.Is(err, windows.ERROR_ACCESS_DENIED) ||
		errors.Is(err, windows.ERROR_SHARING_VIOLATION) ||
		errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}

// SyncDir is a no-op: Windows has no portable way to flush a directory;
// MOVEFILE_WRITE_THROUGH makes the rename itself durable.
func SyncDir(string) error { return nil }
