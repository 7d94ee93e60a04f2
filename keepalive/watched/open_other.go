//go:build !windows

package watched

import "os"

// openReadOnly opens path with O_RDONLY (following symlinks).
func openReadOnly(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY, 0)
}
