package keepalive

import (
	"time"

	"github.com/tokentray/tokentray/keepalive/internal/human"
)

// HumanDuration formats a duration for people: "6h 12m", "3d 4h", "45s",
// "2m". Negative durations are formatted by magnitude.
func HumanDuration(d time.Duration) string { return human.Duration(d) }

// ExpiresIn describes an instant relative to now: "expires in 6h 12m",
// "expired 3m ago", or "" when t is zero.
func ExpiresIn(t, now time.Time) string {
	switch {
	case t.IsZero():
		return ""
	case t.After(now):
		return "expires in " + HumanDuration(t.Sub(now))
	default:
		return "expired " + HumanDuration(now.Sub(t)) + " ago"
	}
}
