package oauthflow

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrInsecureURL is wrapped by the error returned for an endpoint URL that
// is neither https nor http on a loopback host. See [CheckURL].
var ErrInsecureURL = errors.New("endpoint must use https (plain http is allowed only for loopback hosts)")

// ErrNoRefreshToken is wrapped by the error [Client.Refresh] returns when it
// is called without a refresh token.
var ErrNoRefreshToken = errors.New("no refresh token")

// ErrResponseTooLarge is wrapped by the error returned when a token response
// exceeds [MaxResponseSize].
var ErrResponseTooLarge = errors.New("response body too large")

// maxDescription and maxCode bound the server-supplied description and code
// in an Error (in runes). Descriptions are long enough for the useful part
// that servers such as Hydra put after a generic sentence ("… The refresh
// token was already used.", the client authentication method expected).
const (
	maxDescription = 1000
	maxCode        = 64
)

// Error implements the error interface. The result is meant for people
// (it reaches the tray's tooltip and the CLI), so it names the step in
// words rather than the package:
//
//	refresh failed: 400 invalid_grant: <error_description>
//	refresh failed: 502 Bad Gateway
//	refresh failed: cannot reach https://login.example.com: connection refused
//
// The code and description are server text; they are shortened and stripped
// of control characters here as well as when the Error is built.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(opWords(e.Op))
		b.WriteString(" failed: ")
	}
	switch {
	case e.StatusCode != 0:
		b.WriteString(strconv.Itoa(e.StatusCode))
		if code := sanitize(e.Code, maxCode); code != "" {
			b.WriteString(" ")
			b.WriteString(code)
		} else if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteString(" ")
			b.WriteString(t)
		}
		if d := sanitize(e.Description, maxDescription); d != "" {
			b.WriteString(": ")
			b.WriteString(d)
		}
		if e.Err != nil {
			b.WriteString(": ")
			b.WriteString(e.Err.Error())
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		if code := sanitize(e.Code, maxCode); code != "" {
			b.WriteString(code)
		} else {
			b.WriteString("token request failed")
		}
		if d := sanitize(e.Description, maxDescription); d != "" {
			b.WriteString(": ")
			b.WriteString(d)
		}
	}
	return b.String()
}

// opWords names a token request step for people.
func opWords(op string) string {
	switch op {
	case "exchange":
		return "sign-in (code exchange)"
	case "device":
		return "device sign-in"
	case "discovery":
		return "issuer discovery"
	}
	return op
}

// Unwrap returns the underlying transport or decoding error, so that
// errors.Is(err, context.Canceled) tells a caller's cancellation apart.
func (e *Error) Unwrap() error { return e.Err }

// tokenErrorCodes are the RFC 6749 §5.2 error codes of the token endpoint.
var tokenErrorCodes = map[string]bool{
	"invalid_request":        true,
	"invalid_client":         true,
	"invalid_grant":          true,
	"unauthorized_client":    true,
	"unsupported_grant_type": true,
	"invalid_scope":          true,
}

// Classify tells the keepalive engine what a failed token request means.
//
// With an HTTP response (an *[Error] with a StatusCode):
//
//   - 5xx, 408 and 429 are [Transient], whatever error code they carry;
//   - any other status whose body carries an RFC 6749 §5.2 error code
//     (invalid_request, invalid_client, invalid_grant, unauthorized_client,
//     unsupported_grant_type, invalid_scope) is [Terminal]: the server has
//     rejected the grant or the client, and repeating the request cannot
//     succeed. (§5.2 prescribes 400, or 401 for invalid_client; some servers
//     use 403 or even 200, which are treated alike.)
//   - a 401 without a recognised code is [Terminal]: client authentication
//     failed, and the same credentials will fail again;
//   - every other status (another 4xx without a §5.2 code, a 3xx redirect,
//     an unrecognised code such as "server_error", a 2xx whose body is
//     malformed or lacks access_token) is [Transient]: it usually comes from
//     a proxy, a captive portal or an outage, not from a verdict on the
//     token.
//
// Without an HTTP response:
//
//   - DNS failures (any *net.DNSError), "network is unreachable", "network
//     is down" and "no route to host" are [Offline];
//   - timeouts (context.DeadlineExceeded, net.Error timeouts), connection
//     refused or reset, EOF and every other transport error are [Transient];
//   - [ErrInsecureURL], [ErrNoRefreshToken] and [ErrBadMetadata] are
//     [Terminal]: retrying cannot help and the user has to act.
//
// A request cancelled by the caller also classifies as [Transient]; callers
// that cancel should test errors.Is(err, context.Canceled) first. A nil
// error classifies as Transient.
func Classify(err error) Class {
	if err == nil {
		return Transient
	}
	var oe *Error
	if errors.As(err, &oe) && oe.StatusCode != 0 {
		return classifyStatus(oe.StatusCode, oe.Code)
	}
	switch {
	case errors.Is(err, ErrInsecureURL), errors.Is(err, ErrNoRefreshToken), errors.Is(err, ErrBadMetadata):
		return Terminal
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Transient
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return Offline
	}
	for _, errno := range offlineErrnos {
		if errors.Is(err, errno) {
			return Offline
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Transient
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Transient
	}
	// Some platforms and wrappers only keep the message.
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"no route to host", "network is unreachable", "network is down"} {
		if strings.Contains(msg, s) {
			return Offline
		}
	}
	return Transient
}

func classifyStatus(status int, code string) Class {
	switch {
	case status >= 500, status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return Transient
	case tokenErrorCodes[code]:
		return Terminal
	case status == http.StatusUnauthorized:
		return Terminal
	default:
		return Transient
	}
}

// parseRetryAfter interprets a Retry-After header value (RFC 9110 §10.2.3):
// either a non-negative number of seconds or an HTTP-date. It returns 0 for
// an absent, malformed, overflowing or past value. Capping is the caller's
// business.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 63)
		if err != nil || secs > uint64(maxDurationSeconds) {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}

// maxDurationSeconds is the largest whole number of seconds a Duration holds.
const maxDurationSeconds = int64(1<<63-1) / int64(time.Second)

// sanitize shortens server text to max runes and replaces control and
// invalid characters, so a hostile description cannot forge log lines.
func sanitize(s string, max int) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		switch {
		case r == utf8.RuneError:
			b.WriteRune('?')
		case unicode.IsControl(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
		n++
	}
	return strings.TrimSpace(b.String())
}

// String returns "transient", "terminal" or "offline".
func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case Terminal:
		return "terminal"
	case Offline:
		return "offline"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}
