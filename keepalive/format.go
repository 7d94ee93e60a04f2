package keepalive

import (
	"time"

	"github.com/tokentray/tokentray/oauthflow"

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

// ExpiryText describes when the account's access token expires, never
// empty: "expires in 6h 12m", "expires in 1h (from the token itself)" when
// the server gave no usable expires_in, or "expiry unknown (refreshed every
// check_interval)".
func (a Account) ExpiryText(now time.Time) string {
	s := ExpiresIn(a.Expiry, now)
	switch {
	case s == "":
		return "expiry unknown (refreshed every check_interval)"
	case a.ExpirySource == oauthflow.ExpiryFromJWT:
		return s + " (from the token itself)"
	}
	return s
}
