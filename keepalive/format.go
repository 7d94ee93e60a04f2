package keepalive

import (
	"time"

	"github.com/tokentray/tokentray/oauthflow"

	"github.com/tokentray/tokentray/keepalive/internal/human"
)

// HumanDuration formats a duration for people: "6h 12m", "3d 4h", "45s",
// "2m". Negative durations are formatted by magnitude.
func HumanDuration(d time.Duration) string { return human.Duration(d) }

// ExpiresIn describes an instant relative to now, never empty: "expires in
// 6h 12m", "expired 3m ago", or "expiry unknown" when t is zero.
func ExpiresIn(t, now time.Time) string {
	switch {
	case t.IsZero():
		return "expiry unknown"
	case t.After(now):
		return "expires in " + HumanDuration(t.Sub(now))
	default:
		return "expired " + HumanDuration(now.Sub(t)) + " ago"
	}
}

// ExpiryText describes when the account's access token expires, never
// empty, saying where the expiry comes from when it is not the server's
// expires_in: "expires in 6h 12m", "expires in 1h (from the token itself)",
// "expires in 2h (assumed)", or, without an expiry, "expiry unknown
// (refreshed every check_interval)" when tokentray refreshes the token,
// else "expiry unknown".
func (a Account) ExpiryText(now time.Time) string {
	s := ExpiresIn(a.Expiry, now)
	switch {
	case a.Expiry.IsZero() && !a.NextRefresh.IsZero():
		return s + " (refreshed every check_interval)"
	case a.Expiry.IsZero():
		return s
	case a.ExpirySource == oauthflow.ExpiryFromJWT:
		return s + " (from the token itself)"
	case a.ExpirySource == oauthflow.ExpiryAssumed:
		return s + " (assumed: the server sent none)"
	}
	return s
}
