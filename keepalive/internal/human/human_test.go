package human

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{45 * time.Second, "45s"},
		{90 * time.Second, "1m"},
		{59 * time.Minute, "59m"},
		{time.Hour, "1h"},
		{6*time.Hour + 12*time.Minute + 30*time.Second, "6h 12m"},
		{47 * time.Hour, "47h"},
		{3*24*time.Hour + 4*time.Hour, "3d 4h"},
		{-5 * time.Minute, "5m"},
	} {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
