// Package storefault lets the tests of the keepalive packages make a token
// store's writes fail (a full disk) without root or a tiny file system. It
// is internal: nothing outside keepalive can reach a store's writes.
package storefault

import "os"

// WriteAt is the signature of (*os.File).WriteAt.
type WriteAt func(f *os.File, b []byte, off int64) (int, error)

// SetWriteAt replaces the writes of a *store.Dir (d) with w; nil restores
// the real ones. Set by package store; call it before the store is used
// concurrently.
var SetWriteAt func(d any, w WriteAt)
