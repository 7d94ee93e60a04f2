package oauthflow

import (
	"encoding/base64"
	"testing"
)

func TestIDTokenEmail(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		tok  string
		want string
	}{
		{enc(`{"alg":"none"}`) + "." + enc(`{"sub":"1","email":"dev@example.com"}`) + ".sig", "dev@example.com"},
		{enc(`{}`) + "." + enc(`{"sub":"1"}`) + ".", ""},
		{enc(`{}`) + "." + enc(`{"email":5}`) + ".x", ""},
		{"not-a-jwt", ""},
		{"a.%%%.c", ""},
		{"", ""},
	} {
		if got := IDTokenEmail(Secret(tc.tok)); got != tc.want {
			t.Errorf("IDTokenEmail(%q) = %q, want %q", tc.tok, got, tc.want)
		}
	}
}
