// Package resume tells the keepalive engine at once when the machine wakes
// from suspend.
//
// Go timers run on the monotonic clock, which stops while a Linux or macOS
// machine sleeps, so the engine never sleeps longer than a minute and
// compares wall-clock deadlines after every step. That alone notices a
// resume within a minute; on Linux this package shortens it to the moment
// systemd-logind announces the resume.
package resume

import "errors"

// ErrUnsupported is returned by Watch where no resume signal is known.
var ErrUnsupported = errors.New("resume: no resume notifications on this system")
