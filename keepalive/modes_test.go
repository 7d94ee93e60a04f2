//go:build !windows

package keepalive

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestLooseModesAreShown: a token file other users can read is shown in
// the account's status (not only logged), and the warning goes once the
// refresh has rewritten the file with mode 0600.
func TestLooseModesAreShown(t *testing.T) {
	r := newRig(t)
	if err := os.Chmod(r.store.Path("work"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.eng.reload("work")
	a := r.account()
	if a.State != OK || !strings.Contains(a.FileWarning, "accessible by other users (mode 0644)") {
		t.Fatalf("a token file others can read: %+v", a)
	}
	if _, _, err := r.eng.Refresh(context.Background(), "work", true); err != nil {
		t.Fatal(err)
	}
	if a := r.account(); a.FileWarning != "" {
		t.Errorf("after the file was rewritten: %q", a.FileWarning)
	}
	fi, err := os.Stat(r.store.Path("work"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after the write: %v %v", fi.Mode(), err)
	}
}
