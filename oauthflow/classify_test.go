package oauthflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	opErr := func(errno error) error {
		// The shape net/http returns for a failed dial.
		return &url.Error{Op: "Post", URL: "https://auth.example/token", Err: &net.OpError{
			Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno),
		}}
	}
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"400 invalid_grant", &Error{StatusCode: 400, Code: "invalid_grant"}, Terminal},
		{"400 invalid_request", &Error{StatusCode: 400, Code: "invalid_request"}, Terminal},
		{"400 unauthorized_client", &Error{StatusCode: 400, Code: "unauthorized_client"}, Terminal},
		{"400 unsupported_grant_type", &Error{StatusCode: 400, Code: "unsupported_grant_type"}, Terminal},
		{"400 invalid_scope", &Error{StatusCode: 400, Code: "invalid_scope"}, Terminal},
		{"401 invalid_client", &Error{StatusCode: 401, Code: "invalid_client"}, Terminal},
		{"403 invalid_grant", &Error{StatusCode: 403, Code: "invalid_grant"}, Terminal},
		{"200 with error invalid_grant", &Error{StatusCode: 200, Code: "invalid_grant"}, Terminal},
		{"401 without code", &Error{StatusCode: 401}, Terminal},
		{"400 without code", &Error{StatusCode: 400}, Transient},
		{"400 unknown code", &Error{StatusCode: 400, Code: "server_error"}, Transient},
		{"403 without code", &Error{StatusCode: 403}, Transient},
		{"404", &Error{StatusCode: 404}, Transient},
		{"307 redirect", &Error{StatusCode: 307}, Transient},
		{"408", &Error{StatusCode: 408, Code: "invalid_request"}, Transient},
		{"429", &Error{StatusCode: 429, RetryAfter: time.Second}, Transient},
		{"429 with code", &Error{StatusCode: 429, Code: "invalid_grant"}, Transient},
		{"500", &Error{StatusCode: 500}, Transient},
		{"502 html", &Error{StatusCode: 502}, Transient},
		{"503 invalid_grant", &Error{StatusCode: 503, Code: "invalid_grant"}, Transient},
		{"200 malformed json", &Error{StatusCode: 200, Err: &json.SyntaxError{}}, Transient},
		{"200 too large", &Error{StatusCode: 200, Err: ErrResponseTooLarge}, Transient},
		{"deadline", &Error{Err: context.DeadlineExceeded}, Transient},
		{"canceled", &Error{Err: fmt.Errorf("post: %w", context.Canceled)}, Transient},
		{"net timeout", &Error{Err: &url.Error{Op: "Post", Err: &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}}}, Transient},
		{"refused", &Error{Err: opErr(syscall.ECONNREFUSED)}, Transient},
		{"reset", &Error{Err: opErr(syscall.ECONNRESET)}, Transient},
		{"eof", &Error{Err: &url.Error{Op: "Post", Err: io.EOF}}, Transient},
		{"unexpected eof", &Error{Err: io.ErrUnexpectedEOF}, Transient},
		{"dns not found", &Error{Err: &url.Error{Op: "Post", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "auth.example", IsNotFound: true}}}}, Offline},
		{"dns temporary", &Error{Err: &net.DNSError{Err: "server misbehaving", Name: "auth.example", IsTemporary: true}}, Offline},
		{"dns timeout", &Error{Err: &net.DNSError{Err: "i/o timeout", Name: "auth.example", IsTimeout: true}}, Offline},
		{"net unreachable", &Error{Err: opErr(offlineErrnos[0])}, Offline},
		{"host unreachable", &Error{Err: opErr(offlineErrnos[len(offlineErrnos)-1])}, Offline},
		{"no route message", errors.New("dial tcp 10.0.0.1:443: connect: no route to host"), Offline},
		{"insecure url", &Error{Err: fmt.Errorf("x: %w", ErrInsecureURL)}, Terminal},
		{"no refresh token", &Error{Err: ErrNoRefreshToken}, Terminal},
		{"plain error", errors.New("something"), Transient},
		{"nil", nil, Transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"120", 120 * time.Second},
		{" 5 ", 5 * time.Second},
		{"-5", 0},
		{"1.5", 0},
		{"5s", 0},
		{"soon", 0},
		{"99999999999999999999", 0},
		{"9223372037", 0}, // one past the largest Duration in seconds
		{"9223372036", 9223372036 * time.Second},
		{"Tue, 03 Nov 2026 10:01:30 GMT", 90 * time.Second},   // IMF-fixdate
		{"Tuesday, 03-Nov-26 10:00:10 GMT", 10 * time.Second}, // RFC 850
		{"Tue Nov  3 10:02:00 2026", 2 * time.Minute},         // asctime
		{"Tue, 03 Nov 2026 09:59:00 GMT", 0},                  // past
		{"Tue, 03 Nov 2026 10:00:00 GMT", 0},                  // now
		{"2026-11-03T10:05:00Z", 0},                           // not an HTTP-date
		{"Tue, 03 Nov 2026 10:01:30 +0100", 0},                // not GMT
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Op: "refresh", StatusCode: 400, Code: "invalid_grant", Description: "Refresh token expired"},
			"refresh failed: 400 invalid_grant: Refresh token expired"},
		{&Error{Op: "refresh", StatusCode: 502}, "refresh failed: 502 Bad Gateway"},
		{&Error{Op: "refresh", StatusCode: 200, Err: errors.New("response has no access_token")},
			"refresh failed: 200 OK: response has no access_token"},
		{&Error{Op: "exchange", Err: context.Canceled}, "sign-in (code exchange) failed: context canceled"},
		{&Error{Op: "refresh", StatusCode: 400, Code: "invalid_grant", Description: "line1\nline2\x1b[31m"},
			"refresh failed: 400 invalid_grant: line1 line2 [31m"},
		{&Error{}, "token request failed"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	long := &Error{Op: "refresh", StatusCode: 400, Code: "invalid_grant", Description: strings.Repeat("é", 3000)}
	got := long.Error()
	if n := strings.Count(got, "é"); n != 1000 {
		t.Errorf("description kept %d runes, want 1000", n)
	}
	if !strings.HasSuffix(got, "…") {
		t.Errorf("truncated description not marked: %q", got[len(got)-10:])
	}
	wrapped := &Error{Op: "refresh", Err: fmt.Errorf("post: %w", context.Canceled)}
	if !errors.Is(wrapped, context.Canceled) {
		t.Error("errors.Is(err, context.Canceled) = false")
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://auth.example.com/oauth/token", true},
		{"HTTPS://auth.example.com/token", true},
		{"http://127.0.0.1:8080/token", true},
		{"http://127.8.9.10/token", true},
		{"http://[::1]:9000/token", true},
		{"http://localhost/token", true},
		{"http://LocalHost:1234/token", true},
		{"http://auth.example.com/token", false},
		{"http://10.0.0.1/token", false},
		{"http://localhost.evil.example/token", false},
		{"http://127.0.0.1.nip.io/token", false},
		{"http://[::ffff:10.0.0.1]/token", false},
		{"ftp://127.0.0.1/token", false},
		{"/token", false},
		{"", false},
		{"https://", false},
	}
	for _, tt := range tests {
		err := CheckURL(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInsecureURL) {
			t.Errorf("CheckURL(%q) = %v, does not wrap ErrInsecureURL", tt.url, err)
		}
	}
	// A URL that does not parse is said without Go's `parse "…":`.
	if err := CheckURL("http://127.0.0.1:35241x"); err == nil || err.Error() != `invalid URL: invalid port ":35241x" after host` {
		t.Errorf("bad port: %v", err)
	}
	err := CheckURL("http://user:hunter2@auth.example.com/token?key=abc")
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "abc") {
		t.Errorf("CheckURL error leaks URL credentials: %v", err)
	}
}

func TestSecondsField(t *testing.T) {
	tests := []struct {
		raw    string
		want   time.Duration
		wantOK bool
	}{
		{`3600`, time.Hour, true},
		{`"3600"`, time.Hour, true},
		{`" 3600 "`, time.Hour, true},
		{`3599.6`, 3600 * time.Second, true},
		{`"1e3"`, 1000 * time.Second, true},
		{`0`, 0, false},
		{`-5`, 0, false},
		{`"abc"`, 0, false},
		{`""`, 0, false},
		{`null`, 0, false},
		{`true`, 0, false},
		{`[3600]`, 0, false},
		{`1e300`, 0, false},
		{``, 0, false},
	}
	for _, tt := range tests {
		got, ok := secondsField(json.RawMessage(tt.raw))
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("secondsField(%s) = %v, %v; want %v, %v", tt.raw, got, ok, tt.want, tt.wantOK)
		}
	}
}
