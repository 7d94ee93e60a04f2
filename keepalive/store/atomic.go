package store

import (
	"io/fs"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
)

// WriteFileAtomic replaces the file at path with data, atomically.
//
// Deprecated: use atomicfile.WriteFile; token files are written by Update.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	return atomicfile.WriteFile(path, data, perm)
}
