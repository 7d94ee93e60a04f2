package tray

import (
	"fmt"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive"
)

// BenchmarkRender is the cost of turning a snapshot of 20 accounts into
// the tray's view (done on every health change and every redraw tick).
func BenchmarkRender(b *testing.B) {
	var accs []keepalive.Account
	for i := range 20 {
		a := owned(fmt.Sprintf("acct-%d", i), keepalive.State(i%8))
		a.Expiry = t0.Add(time.Duration(i) * time.Hour)
		a.LastError = "refresh failed: 503 temporarily_unavailable"
		accs = append(accs, a)
	}
	s := snap(accs...)
	b.ReportAllocs()
	for b.Loop() {
		Render(s, t0)
	}
}
