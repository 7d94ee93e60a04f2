package token

import (
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive"
)

func TestWarning(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		st     keepalive.Account
		expiry time.Time
		want   string
	}{
		{keepalive.Account{Name: "work", State: keepalive.NeedsSignIn, Reason: "3 refreshes failed in a row"}, now.Add(40 * time.Minute),
			"work needs sign-in (3 refreshes failed in a row); this token still works, expires in 40m"},
		{keepalive.Account{Name: "work", State: keepalive.Retrying}, now.Add(40 * time.Minute),
			"work is retrying; this token still works, expires in 40m"},
		{keepalive.Account{Name: "gh", State: keepalive.Warning, Reason: "no refresh token and no expiry"}, time.Time{},
			"gh has a warning (no refresh token and no expiry); this token still works, expiry unknown"},
	} {
		if got := Warning(tc.st, tc.expiry, now); got != tc.want {
			t.Errorf("Warning(%+v) =\n%q, want\n%q", tc.st, got, tc.want)
		}
	}
}
