package watched

import (
	"errors"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"io/fs"
	"strings"
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	now := fixtureNow
	d := 24 * time.Hour
	ok := Meta{HasRefreshToken: true}
	with := func(f func(*Meta)) Meta { m := ok; f(&m); return m }
	cases := []struct {
		name       string
		m          Meta
		err        error
		warnBefore time.Duration
		want       State
		reason     string // substring
	}{
		{name: "nothing known but a refresh token", m: ok, want: Healthy, reason: "signed in"},
		{name: "access valid, deadline far", m: with(func(m *Meta) { m.AccessExpiry = now.Add(time.Hour); m.LoginDeadline = now.Add(20 * d) }), want: Healthy, reason: "valid until"},
		{name: "access expired is informational", m: with(func(m *Meta) { m.AccessExpiry = now.Add(-time.Hour) }), want: AccessExpired, reason: "refreshes it on next use"},
		{name: "access expires exactly now", m: with(func(m *Meta) { m.AccessExpiry = now }), want: AccessExpired},
		{name: "deadline within default 3 days", m: with(func(m *Meta) { m.LoginDeadline = now.Add(2*d + 3*time.Hour) }), want: DeadlineNear, reason: "2d 3h"},
		{name: "deadline exactly at the window edge", m: with(func(m *Meta) { m.LoginDeadline = now.Add(3 * d) }), want: DeadlineNear},
		{name: "deadline just outside the window", m: with(func(m *Meta) { m.LoginDeadline = now.Add(3*d + time.Second) }), want: Healthy},
		{name: "custom window", m: with(func(m *Meta) { m.LoginDeadline = now.Add(5 * d) }), warnBefore: 7 * d, want: DeadlineNear},
		{name: "custom short window", m: with(func(m *Meta) { m.LoginDeadline = now.Add(2 * d) }), warnBefore: d, want: Healthy},
		{name: "deadline beats expired access", m: with(func(m *Meta) { m.LoginDeadline = now.Add(time.Hour); m.AccessExpiry = now.Add(-time.Hour) }), want: DeadlineNear, reason: "1h"},
		{name: "deadline exactly now", m: with(func(m *Meta) { m.LoginDeadline = now }), want: NeedsSignIn, reason: "login ended"},
		{name: "deadline passed", m: with(func(m *Meta) { m.LoginDeadline = now.Add(-d) }), want: NeedsSignIn},
		{name: "no refresh token", m: Meta{AccessExpiry: now.Add(time.Hour), LoginDeadline: now.Add(20 * d)}, want: NeedsSignIn, reason: "no refresh token"},
		{name: "store gone", err: fmt.Errorf("/x: %w", ErrNotFound), want: NeedsSignIn, reason: "not signed in"},
		{name: "malformed", err: &atomicfile.MalformedError{Path: "/x", Field: "tokens", Problem: "missing"}, want: Broken, reason: "field tokens: missing"},
		{name: "unreadable", err: &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrPermission}, want: Broken, reason: "permission denied"},
		// The error wins over a (zero) Meta.
		{name: "error with meta", m: ok, err: errors.New("boom"), want: Broken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := Evaluate(tc.m, tc.err, now, tc.warnBefore)
			if st.State != tc.want || !strings.Contains(st.Reason, tc.reason) {
				t.Fatalf("Evaluate = %v %q, want %v ~%q", st.State, st.Reason, tc.want, tc.reason)
			}
			if tc.err == nil && !st.Deadline.Equal(tc.m.LoginDeadline) {
				t.Fatalf("Deadline = %v, want %v", st.Deadline, tc.m.LoginDeadline)
			}
		})
	}
}

func TestStateString(t *testing.T) {
	want := map[State]string{Healthy: "healthy", AccessExpired: "access-expired", DeadlineNear: "deadline-near", NeedsSignIn: "needs-sign-in", Broken: "broken", State(9): "State(9)"}
	for s, w := range want {
		if s.String() != w {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), w)
		}
	}
	if Healthy.NeedsAttention() || AccessExpired.NeedsAttention() || !DeadlineNear.NeedsAttention() || !Broken.NeedsAttention() {
		t.Error("NeedsAttention wrong")
	}
}
