//go:build windows

package watched

import (
	"os"

	"golang.org/x/sys/windows"
)

// openReadOnly opens path for reading with FILE_SHARE_DELETE as well as
// read/write sharing, so the owner can still rename a new file over it
// while tokentray reads (os.Open does not share delete access).
func openReadOnly(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}
