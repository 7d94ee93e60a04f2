package health

import (
	"encoding/json"
	"testing"
)

// The names are status.json's (schema 1): changing one breaks every reader.
func TestStateNames(t *testing.T) {
	want := []struct {
		s    State
		name string
	}{
		{OK, "ok"}, {Due, "due"}, {SignedOut, "signed out"}, {Refreshing, "refreshing"}, {Warning, "warning"},
		{Offline, "offline"}, {Retrying, "retrying"}, {NeedsSignIn, "needs sign-in"}, {Broken, "broken"},
	}
	for i, w := range want {
		if int(w.s) != i {
			t.Errorf("%s = %d, want %d (larger is worse; the order is fixed)", w.name, int(w.s), i)
		}
		b, err := json.Marshal(w.s)
		if err != nil || string(b) != `"`+w.name+`"` {
			t.Errorf("json.Marshal(%d) = %s, %v; want %q", int(w.s), b, err, w.name)
		}
		var back State
		if err := json.Unmarshal(b, &back); err != nil || back != w.s {
			t.Errorf("json.Unmarshal(%s) = %d, %v; want %d", b, int(back), err, int(w.s))
		}
	}
	for _, s := range []State{-1, Broken + 1} {
		if s.String() != "unknown" {
			t.Errorf("State(%d).String() = %q, want unknown", int(s), s.String())
		}
	}
	var s State
	if err := s.UnmarshalText([]byte("fine")); err != nil || s != Broken {
		t.Errorf("unknown name read as %v, %v; want broken", s, err)
	}
}
