// Package resume tells the keepalive engine at once when the machine wakes
// from suspend.
//
// Go timers run on the monotonic clock, which stops while a Linux or macOS
// machine sleeps. On Linux the engine sleeps on a wall-clock timerfd,
// which fires on resume; elsewhere it never sleeps longer than a minute
// and compares wall-clock deadlines after every step, which notices a
// resume within a minute. On Linux this package adds the moment
// systemd-logind announces the resume.
package resume

import "errors"

// ErrUnsupported is returned by Watch where no resume signal is known.
var ErrUnsupported = errors.New("no resume notifications on this system")
