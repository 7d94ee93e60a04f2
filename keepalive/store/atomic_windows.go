//go:build windows

package store

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// Windows refuses to replace a file that another process (an editor, a
// virus scanner, a backup tool, another tokentray reading it) has open
// without FILE_SHARE_DELETE; such a holder usually lets go within moments.
const (
	renameAttempts = 10
	renameDelay    = 20 * time.Millisecond
)

// renameReplace renames from over to (MoveFileEx with
// MOVEFILE_REPLACE_EXISTING), retrying while the target is held open.
func renameReplace(from, to string) error {
	var err error
	for i := range renameAttempts {
		if i > 0 {
			time.Sleep(renameDelay)
		}
		err = os.Rename(from, to)
		if err == nil || !isSharingError(err) {
			return err
		}
	}
	return err
}

func isSharingError(err error) bool {
	return errors.Is(err, windows.ERROR_ACCESS_DENIED) ||
		errors.Is(err, windows.ERROR_SHARING_VIOLATION) ||
		errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}

// syncDir is a no-op: Windows has no portable way to flush a directory
// (opening one needs FILE_FLAG_BACKUP_SEMANTICS and FlushFileBuffers on it
// is not supported everywhere); the file data itself was synced.
func syncDir(string) error { return nil }
