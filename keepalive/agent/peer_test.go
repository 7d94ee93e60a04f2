package agent

import "testing"

func TestAdmit(t *testing.T) {
	for _, tc := range []struct {
		peer, own int
		ok        bool
	}{
		{1000, 1000, true},
		{0, 0, true},
		{1001, 1000, false},
		{0, 1000, false},     // root is another user too
		{1000, 0, false},     // an agent running as root serves root only
		{65534, 1000, false}, // nobody
	} {
		err := admit(tc.peer, tc.own)
		if (err == nil) != tc.ok {
			t.Errorf("admit(peer %d, own %d) = %v, want ok %v", tc.peer, tc.own, err, tc.ok)
		}
	}
}
