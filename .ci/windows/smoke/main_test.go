package main

import (
	"errors"
	"fmt"
	"testing"
)

func TestOnlyStartFreezes(t *testing.T) {
	freeze := fmt.Errorf("wine x: %w after 30s", errTimedOut)
	other := errors.New("wine x: exit status 1")
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{freeze, true},
		{errors.Join(fmt.Errorf("round 1: %w", freeze), fmt.Errorf("round 2: %w", freeze)), true},
		{errors.Join(fmt.Errorf("round 1: %w", freeze), other), false},
		{other, false},
		{errors.New("issuer after 18 refreshes: reuse"), false},
	} {
		if got := onlyTimeouts(tc.err); got != tc.want {
			t.Errorf("onlyTimeouts(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
