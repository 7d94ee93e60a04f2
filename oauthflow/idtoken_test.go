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

func TestIDTokenIdentity(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		claims string
		want   Identity
		str    string
	}{
		{`{"sub":"42","email":"a@example.com","name":"Ada"}`, Identity{"42", "a@example.com", "Ada"}, "a@example.com"},
		{`{"sub":"42","name":"Ada\u001b[2J\nL"}`, Identity{Subject: "42", Name: "Ada [2J L"}, "Ada [2J L"},
		{`{"sub":"42"}`, Identity{Subject: "42"}, "42"},
		{`[1]`, Identity{}, ""},
	} {
		tok := Secret(enc(`{"alg":"none"}`) + "." + enc(tc.claims) + ".")
		if got := IDTokenIdentity(tok); got != tc.want || got.String() != tc.str {
			t.Errorf("IDTokenIdentity(%s) = %+v (%q), want %+v (%q)", tc.claims, got, got.String(), tc.want, tc.str)
		}
	}
}
