package watched

import (
	"errors"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/health"
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
		want       health.State
		note       Note
		reason     string // substring
	}{
		{name: "nothing known but a refresh token", m: ok, want: health.OK, reason: "signed in"},
		{name: "access valid, deadline far", m: with(func(m *Meta) { m.AccessExpiry = now.Add(time.Hour); m.LoginDeadline = now.Add(20 * d) }), want: health.OK, reason: "valid until"},
		{name: "access expired is informational", m: with(func(m *Meta) { m.AccessExpiry = now.Add(-time.Hour) }), want: health.OK, note: AccessExpired, reason: "refreshes it on next use"},
		{name: "access expires exactly now", m: with(func(m *Meta) { m.AccessExpiry = now }), want: health.OK, note: AccessExpired},
		{name: "deadline within default 3 days", m: with(func(m *Meta) { m.LoginDeadline = now.Add(2*d + 3*time.Hour) }), want: health.Warning, reason: "2d 3h"},
		{name: "deadline exactly at the window edge", m: with(func(m *Meta) { m.LoginDeadline = now.Add(3 * d) }), want: health.Warning},
		{name: "deadline just outside the window", m: with(func(m *Meta) { m.LoginDeadline = now.Add(3*d + time.Second) }), want: health.OK},
		{name: "custom window", m: with(func(m *Meta) { m.LoginDeadline = now.Add(5 * d) }), warnBefore: 7 * d, want: health.Warning},
		{name: "custom short window", m: with(func(m *Meta) { m.LoginDeadline = now.Add(2 * d) }), warnBefore: d, want: health.OK},
		{name: "deadline beats expired access", m: with(func(m *Meta) { m.LoginDeadline = now.Add(time.Hour); m.AccessExpiry = now.Add(-time.Hour) }), want: health.Warning, reason: "1h"},
		{name: "deadline exactly now", m: with(func(m *Meta) { m.LoginDeadline = now }), want: health.NeedsSignIn, reason: "login ended"},
		{name: "deadline passed", m: with(func(m *Meta) { m.LoginDeadline = now.Add(-d) }), want: health.NeedsSignIn},
		{name: "no refresh token", m: Meta{AccessExpiry: now.Add(time.Hour), LoginDeadline: now.Add(20 * d)}, want: health.NeedsSignIn, reason: "no refresh token"},
		{name: "store gone", err: fmt.Errorf("/x: %w", ErrNotFound), want: health.NeedsSignIn, reason: "not signed in"},
		{name: "malformed", err: &atomicfile.MalformedError{Path: "/x", Field: "tokens", Problem: "missing"}, want: health.Broken, reason: "field tokens: missing"},
		{name: "unreadable", err: &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrPermission}, want: health.Broken, reason: "permission denied"},
		// The error wins over a (zero) Meta.
		{name: "error with meta", m: ok, err: errors.New("boom"), want: health.Broken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := Evaluate(tc.m, tc.err, now, tc.warnBefore)
			if st.State != tc.want || st.Note != tc.note || !strings.Contains(st.Reason, tc.reason) {
				t.Fatalf("Evaluate = %v %q %q, want %v %q ~%q", st.State, st.Note, st.Reason, tc.want, tc.note, tc.reason)
			}
			if tc.err == nil && !st.Deadline.Equal(tc.m.LoginDeadline) {
				t.Fatalf("Deadline = %v, want %v", st.Deadline, tc.m.LoginDeadline)
			}
		})
	}
}

func TestNoteString(t *testing.T) {
	want := map[Note]string{0: "", AccessExpired: "access expired", NotOAuth: "not OAuth", ExpiryUnknown: "expiry unknown", Note(9): "Note(9)"}
	for n, w := range want {
		if n.String() != w {
			t.Errorf("%d.String() = %q, want %q", int(n), n.String(), w)
		}
	}
}

// verdict is what a test expects of a [Status]: its state and its note
// (zero: none). Tests compare both, so every case stays as precise as the
// state and the note together.
type verdict struct {
	state health.State
	note  Note
}

func verdictOf(st Status) verdict { return verdict{st.State, st.Note} }

func (v verdict) String() string {
	if v.note == 0 {
		return v.state.String()
	}
	return v.state.String() + " (" + v.note.String() + ")"
}
