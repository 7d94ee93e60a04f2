package refresh

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/iostreams"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/oauthflow"
)

func TestFlagsAnywhere(t *testing.T) {
	for _, args := range [][]string{
		{"--force", "work", "home"},
		{"work", "--force", "home"},
		{"work", "home", "--force"},
	} {
		ios, _, _, _ := iostreams.Test()
		var got *Options
		cmd := NewCmdRefresh(&cmdutil.Factory{IO: ios}, func(_ context.Context, o *Options) error { got = o; return nil })
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if !got.Force || !slices.Equal(got.Accounts, []string{"work", "home"}) {
			t.Errorf("%q: %+v", args, got)
		}
	}
}

// TestDescribe: every line says when the token expires, in words, and
// never a negative or empty duration.
func TestDescribe(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		st        keepalive.Account
		refreshed bool
		want      string
	}{
		{keepalive.Account{Expiry: now.Add(time.Hour), ExpirySource: oauthflow.ExpiryFromServer, NextRefresh: now.Add(50 * time.Minute)}, true,
			"refreshed, expires in 1h"},
		{keepalive.Account{ExpirySource: oauthflow.ExpiryUnknown, NextRefresh: now.Add(30 * time.Minute)}, true,
			"refreshed, expiry unknown (refreshed every check_interval)"},
		{keepalive.Account{ExpirySource: oauthflow.ExpiryUnknown, NextRefresh: now.Add(29 * time.Minute)}, false,
			"not due, expiry unknown (refreshed every check_interval); next refresh in 29m"},
		{keepalive.Account{Expiry: now.Add(time.Hour), ExpirySource: oauthflow.ExpiryFromJWT, NextRefresh: now.Add(-time.Second)}, false,
			"not due, expires in 1h (from the token itself); next refresh now"},
		{keepalive.Account{Expiry: now.Add(time.Minute), State: keepalive.Warning, Reason: "cannot keep this login alive"}, false,
			"not refreshed, expires in 1m; warning: cannot keep this login alive"},
		{keepalive.Account{State: keepalive.Warning, Reason: "no refresh token and no expiry"}, false,
			"not refreshed, expiry unknown; warning: no refresh token and no expiry"},
	} {
		if got := describe(tc.st, tc.refreshed, now); got != tc.want {
			t.Errorf("describe(%+v, %v) =\n%q, want\n%q", tc.st, tc.refreshed, got, tc.want)
		}
	}
}
