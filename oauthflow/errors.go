package oauthflow

import "time"

// Class tells the keepalive engine what to do after a failed token request.
type Class int

const (
	// Transient failures (5xx, 429, timeouts, connection reset or refused,
	// a malformed response) are retried with backoff.
	Transient Class = iota
	// Terminal failures (400/401 carrying an RFC 6749 §5.2 error code such
	// as invalid_grant) mean the refresh token is dead: the user must sign
	// in again.
	Terminal
	// Offline means the network itself is unavailable (DNS failure, network
	// unreachable). Such attempts do not count as failures.
	Offline
)

// Error describes a failed token request. It never contains a token: the
// response body is not kept, only the RFC 6749 §5.2 fields.
type Error struct {
	Op          string // "refresh", "exchange", "discovery", ...
	StatusCode  int    // 0 when no HTTP response arrived
	Code        string // OAuth "error", e.g. "invalid_grant"
	Description string // OAuth "error_description"
	// RetryAfter is the server's Retry-After (RFC 9110 §10.2.3) as a delay,
	// 0 when absent.
	RetryAfter time.Duration
	// Err is the underlying transport or decoding error, if any.
	Err error
}
