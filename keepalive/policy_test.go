package keepalive

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
)

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		rnd     float64
		want    time.Duration
	}{
		{1, 0.5, 30 * time.Second},
		{2, 0.5, 2 * time.Minute},
		{3, 0.5, 8 * time.Minute},
		{4, 0.5, 30 * time.Minute}, // 32m capped
		{10, 0.5, 30 * time.Minute},
		{1, 0, 24 * time.Second},        // -20 %
		{1, 0.999999, 36 * time.Second}, // almost +20 %
		{3, 0, 384 * time.Second},
	} {
		got := DefaultPolicy.Backoff(tc.attempt, tc.rnd).Round(time.Second)
		if got != tc.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", tc.attempt, tc.rnd, got, tc.want)
		}
	}
}

func TestDecide(t *testing.T) {
	unreachable := &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}
	refused := &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name     string
		err      error
		failures int
		want     decision
	}{
		{"invalid_grant", &oauthflow.Error{StatusCode: 400, Code: "invalid_grant"}, 1, decision{Count: true, SignIn: true}},
		{"invalid_client 401", &oauthflow.Error{StatusCode: 401, Code: "invalid_client"}, 2, decision{Count: true, SignIn: true}},
		{"503", &oauthflow.Error{StatusCode: 503}, 1, decision{Count: true, Delay: 30 * time.Second}},
		{"503 third", &oauthflow.Error{StatusCode: 503}, 3, decision{Count: true, Delay: 8 * time.Minute}},
		{"429 retry-after 10m", &oauthflow.Error{StatusCode: 429, RetryAfter: 10 * time.Minute}, 1, decision{Count: true, Delay: 10 * time.Minute}},
		{"429 retry-after 2h capped", &oauthflow.Error{StatusCode: 429, RetryAfter: 2 * time.Hour}, 1, decision{Count: true, Delay: DefaultPolicy.MaxRetryAfter}},
		{"429 retry-after shorter than backoff", &oauthflow.Error{StatusCode: 429, RetryAfter: time.Second}, 2, decision{Count: true, Delay: 2 * time.Minute}},
		{"connection refused", &oauthflow.Error{Err: refused}, 1, decision{Count: true, Delay: 30 * time.Second}},
		{"timeout", &oauthflow.Error{Err: context.DeadlineExceeded}, 1, decision{Count: true, Delay: 30 * time.Second}},
		{"unexpected EOF", &oauthflow.Error{Err: io.ErrUnexpectedEOF}, 1, decision{Count: true, Delay: 30 * time.Second}},
		{"network unreachable", &oauthflow.Error{Err: unreachable}, 5, decision{Delay: DefaultPolicy.Offline}},
		{"dns not found", &oauthflow.Error{Err: &net.DNSError{Err: "no such host", Name: "idp.example", IsNotFound: true}}, 1, decision{Delay: DefaultPolicy.Offline}},
		{"plain error", errors.New("boom"), 1, decision{Count: true, Delay: 30 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultPolicy.decide(tc.err, tc.failures, 0.5); got != tc.want {
				t.Errorf("decide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestOverall(t *testing.T) {
	for _, tc := range []struct {
		states []State
		want   Overall
	}{
		{nil, NoAccounts},
		{[]State{OK, Due}, AllOK},
		{[]State{OK, Refreshing}, AnyRefreshing},
		{[]State{Refreshing, Retrying}, AnyWarning},
		{[]State{OK, Offline}, AnyWarning},
		{[]State{Warning}, AnyWarning},
		{[]State{Retrying, NeedsSignIn, OK}, AnySignIn},
		{[]State{Broken}, AnySignIn},
	} {
		var s Snapshot
		for _, st := range tc.states {
			s.Accounts = append(s.Accounts, Account{State: st})
		}
		if got := s.Overall(); got != tc.want {
			t.Errorf("Overall(%v) = %v, want %v", tc.states, got, tc.want)
		}
	}
}

func TestExpiryText(t *testing.T) {
	now := t0
	for _, tc := range []struct {
		a    Account
		want string
	}{
		{Account{Expiry: now.Add(time.Hour), ExpirySource: oauthflow.ExpiryFromServer}, "expires in 1h"},
		{Account{Expiry: now.Add(time.Hour)}, "expires in 1h"},
		{Account{Expiry: now.Add(time.Hour), ExpirySource: oauthflow.ExpiryFromJWT}, "expires in 1h (from the token itself)"},
		{Account{Expiry: now.Add(2 * time.Hour), ExpirySource: oauthflow.ExpiryAssumed}, "expires in 2h (assumed: the server sent none)"},
		{Account{ExpirySource: oauthflow.ExpiryUnknown, NextRefresh: now.Add(30 * time.Minute)}, "expiry unknown (refreshed every check_interval)"},
		// No refresh token: nothing is refreshed, so nothing is promised.
		{Account{ExpirySource: oauthflow.ExpiryUnknown, State: Warning}, "expiry unknown"},
		{Account{Expiry: now.Add(-time.Minute), ExpirySource: oauthflow.ExpiryFromServer}, "expired 1m ago"},
	} {
		if got := tc.a.ExpiryText(now); got != tc.want {
			t.Errorf("ExpiryText(%+v) = %q, want %q", tc.a, got, tc.want)
		}
	}
}

func TestExpiresIn(t *testing.T) {
	now := t0
	if got := ExpiresIn(now.Add(2*time.Hour), now); got != "expires in 2h" {
		t.Errorf("ExpiresIn future = %q", got)
	}
	if got := ExpiresIn(now.Add(-3*time.Minute), now); got != "expired 3m ago" {
		t.Errorf("ExpiresIn past = %q", got)
	}
	if got := ExpiresIn(time.Time{}, now); got != "expiry unknown" {
		t.Errorf("ExpiresIn zero = %q", got)
	}
}
