//go:build !linux

package walltimer

import "time"

type sysTimer struct{}

// New returns ErrUnsupported: callers keep looking at the wall clock
// themselves.
func New() (*Timer, error) { return nil, ErrUnsupported }

func (sysTimer) arm(time.Time) error { return ErrUnsupported }
func (sysTimer) disarm()             {}
func (sysTimer) close() error        { return nil }
