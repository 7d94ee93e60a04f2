//go:build !linux

package resume

import "context"

// Watch returns ErrUnsupported: on this system the engine's bounded sleeps
// notice a resume within a minute.
func Watch(ctx context.Context, wake func()) error { return ErrUnsupported }
