package oauthflow

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxResponseSize bounds the token endpoint responses that are read (1 MiB,
// as in golang.org/x/oauth2).
const MaxResponseSize = 1 << 20

// DefaultTimeout applies to token requests when Client.HTTPClient is nil.
const DefaultTimeout = 30 * time.Second

// sensitiveParams are request parameters whose values are credentials.
var sensitiveParams = []string{"refresh_token", "client_secret", "code", "code_verifier", "token", "device_code"}

// CheckURL reports whether raw is acceptable as an OAuth endpoint: an
// absolute https URL, or an http URL whose host is "localhost" or a loopback
// IP address (127.0.0.0/8, ::1), as RFC 8252 §8.3 allows for native apps.
// The error wraps [ErrInsecureURL] when the scheme is the problem.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		// Not url.Error's `parse "…": `: the caller names the URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("invalid URL: %w", err)
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("endpoint URL %q is not an absolute http(s) URL: %w", redactURL(u), ErrInsecureURL)
	}
	if u.Scheme == "https" || isLoopbackHost(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("endpoint URL %q: %w", redactURL(u), ErrInsecureURL)
}

// redactURL drops user info and query, which could hold credentials.
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	c.Fragment = ""
	return c.String()
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// httpClient returns the client for token requests: a copy of c.HTTPClient
// (or a client with DefaultTimeout) that never follows redirects, so a
// credential in the body is never re-sent to another location.
func (c *Client) httpClient() *http.Client {
	var hc http.Client
	if c.HTTPClient != nil {
		hc = *c.HTTPClient
	} else {
		hc.Timeout = DefaultTimeout
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// tokenRequest POSTs a token request (RFC 6749 §3.2) to c.Endpoint.TokenURL
// and parses the response (§5.1) or error (§5.2). It adds client_id, and
// client_secret when set, to params; empty params are not sent. op names the
// operation in errors ("refresh", "exchange").
//
// Every failure is an *Error. Its Code and Description never contain a
// value of a sensitive parameter (refresh_token, client_secret, code,
// code_verifier, token), even if the server echoed one.
func (c *Client) tokenRequest(ctx context.Context, op string, params map[string]string) (*Token, error) {
	resp, data, secrets, err := c.post(ctx, op, c.Endpoint.TokenURL, params)
	if err != nil {
		return nil, err
	}
	return c.tokenResponse(op, resp, data, secrets)
}

// tokenResponse parses a token endpoint answer: a token (RFC 6749 §5.1)
// or an error (§5.2), scrubbed of secrets.
func (c *Client) tokenResponse(op string, resp *http.Response, data []byte, secrets []string) (*Token, error) {
	fields, jsonErr := decodeObject(data)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.statusError(op, resp, fields, jsonErr, secrets)
	}
	if jsonErr != nil {
		return nil, &Error{Op: op, StatusCode: resp.StatusCode, Err: fmt.Errorf("decoding response: %w", jsonErr)}
	}
	access := stringField(fields, "access_token")
	if access == "" {
		// Some servers (GitHub) answer 200 with an error object.
		e := &Error{Op: op, StatusCode: resp.StatusCode}
		e.Code, e.Description = errorFields(fields, secrets)
		if e.Code == "" {
			e.Err = errors.New("response has no access_token")
		}
		return nil, e
	}
	return c.buildToken(fields, access), nil
}

// post sends params with the client's authentication (client_id and
// client_secret in the body, or an HTTP Basic header; see ClientAuth) to
// endpoint as a POST body encoded as c.TokenBody says, without following
// redirects, and reads at most MaxResponseSize bytes of the answer. Empty
// params are not sent. It returns the response (its body already closed),
// the body, and the credential values that were sent, for scrubbing. Every
// failure is an *Error with Op op.
func (c *Client) post(ctx context.Context, op, endpoint string, params map[string]string) (*http.Response, []byte, []string, error) {
	if err := CheckURL(endpoint); err != nil {
		return nil, nil, nil, &Error{Op: op, Err: err}
	}
	all := make(map[string]string, len(params)+2)
	for k, v := range params {
		if v != "" {
			all[k] = v
		}
	}
	// Client authentication, RFC 6749 §2.3.1.
	var basic string
	switch m := c.authMethod(); m {
	case AuthBasic:
		// The ID and secret are form-urlencoded before they are joined
		// and base64-encoded (§2.3.1, Appendix B).
		basic = "Basic " + base64.StdEncoding.EncodeToString(
			[]byte(url.QueryEscape(c.ClientID)+":"+url.QueryEscape(c.ClientSecret.Reveal())))
	case AuthPost:
		all["client_id"] = c.ClientID
		all["client_secret"] = c.ClientSecret.Reveal()
	case AuthNone:
		all["client_id"] = c.ClientID
	default:
		return nil, nil, nil, &Error{Op: op, Err: fmt.Errorf("unknown client authentication method %q (want basic, post or none)", sanitize(string(m), maxCode))}
	}
	for k, v := range all {
		if v == "" {
			delete(all, k)
		}
	}
	var secrets []string
	for _, k := range sensitiveParams {
		if v := all[k]; v != "" {
			secrets = append(secrets, v)
		}
	}
	if !c.ClientSecret.IsZero() {
		secrets = append(secrets, c.ClientSecret.Reveal())
	}
	if basic != "" {
		secrets = append(secrets, strings.TrimPrefix(basic, "Basic "))
	}

	var body []byte
	var contentType string
	switch c.TokenBody {
	case "", BodyForm:
		form := url.Values{}
		for k, v := range all {
			form.Set(k, v)
		}
		body, contentType = []byte(form.Encode()), "application/x-www-form-urlencoded"
	case BodyJSON:
		var err error
		if body, err = json.Marshal(all); err != nil {
			return nil, nil, nil, &Error{Op: op, Err: fmt.Errorf("encoding request: %w", err)}
		}
		contentType = "application/json"
	default:
		return nil, nil, nil, &Error{Op: op, Err: fmt.Errorf("unknown token body encoding %q", c.TokenBody)}
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, nil, nil, &Error{Op: op, Err: err}
	}
	req.Header.Set("Content-Type", contentType)
	if basic != "" {
		req.Header.Set("Authorization", basic)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "tokentray/"+Version)

	resp, data, err := c.do(req)
	if err != nil {
		return nil, nil, nil, &Error{Op: op, StatusCode: statusOf(resp), Err: err}
	}
	return resp, data, secrets, nil
}

// do sends req with c.httpClient and reads at most MaxResponseSize bytes of
// the response body, then closes it. On a read failure the response is
// returned with the error.
func (c *Client) do(req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.httpClient().Do(req)
	if err != nil {
		// Neither the whole URL (its query may hold a key) nor Go's
		// transport text: the server and the reason in words.
		return nil, nil, unreachable(req.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return resp, nil, fmt.Errorf("reading response: %w", err)
	}
	if len(data) > MaxResponseSize {
		return resp, nil, fmt.Errorf("%w (over %d bytes)", ErrResponseTooLarge, MaxResponseSize)
	}
	return resp, data, nil
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

// statusError builds the *Error for a non-2xx answer: status, Retry-After
// and, when the body is a JSON object, the RFC 6749 §5.2 fields (scrubbed
// of secrets).
func (c *Client) statusError(op string, resp *http.Response, fields map[string]json.RawMessage, jsonErr error, secrets []string) *Error {
	e := &Error{Op: op, StatusCode: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now())}
	if jsonErr == nil {
		e.Code, e.Description = errorFields(fields, secrets)
	}
	return e
}

// buildToken turns a successful response into a Token. Optional fields are
// parsed leniently: once the server has answered with a new access token it
// may already have rotated the refresh token, so failing over a malformed
// expires_in would lose the login (see accessExpiry).
func (c *Client) buildToken(fields map[string]json.RawMessage, access string) *Token {
	now := c.now().Round(0)
	t := &Token{
		AccessToken:  Secret(access),
		RefreshToken: Secret(stringField(fields, "refresh_token")),
		IDToken:      Secret(stringField(fields, "id_token")),
		TokenType:    stringField(fields, "token_type"),
		Scope:        scopeField(fields["scope"]),
		ObtainedAt:   now,
	}
	t.Expiry, t.ExpirySource = accessExpiry(fields["expires_in"], access, now)
	if t.ExpirySource == ExpiryUnknown && c.AssumedLifetime > 0 {
		t.Expiry, t.ExpirySource = now.Add(c.AssumedLifetime), ExpiryAssumed
		if at, ok := createdAt(fields["created_at"], now); ok {
			t.Expiry = at.Add(c.AssumedLifetime)
		}
	}
	if d, ok := secondsField(fields["refresh_token_expires_in"]); ok {
		t.RefreshExpiry = now.Add(d)
	}
	return t
}

// createdAt parses a created_at member (seconds since the epoch) and
// accepts it only when it is not after now and less than a day before, so
// a skewed or bogus value cannot make a token look valid for long.
func createdAt(raw json.RawMessage, now time.Time) (time.Time, bool) {
	var n json.Number
	if len(raw) == 0 || json.Unmarshal(raw, &n) != nil {
		return time.Time{}, false
	}
	secs, err := n.Int64()
	if err != nil {
		return time.Time{}, false
	}
	at := time.Unix(secs, 0)
	if at.After(now) || now.Sub(at) > 24*time.Hour {
		return time.Time{}, false
	}
	return at, true
}

// accessExpiry decides when the access token expires: after expires_in
// when it is plausible (positive, at most MaxExpiresIn); otherwise at the
// access token's JWT "exp" when it is a JWT whose exp lies no further than
// MaxExpiresIn ahead (an exp in the past is kept: the token is then already
// expired); otherwise unknown.
func accessExpiry(expiresIn json.RawMessage, access string, now time.Time) (time.Time, ExpirySource) {
	if d, ok := secondsField(expiresIn); ok && d <= MaxExpiresIn {
		return now.Add(d), ExpiryFromServer
	}
	if exp, ok := jwtExpiry(access); ok && !exp.After(now.Add(MaxExpiresIn)) {
		return exp, ExpiryFromJWT
	}
	return time.Time{}, ExpiryUnknown
}

func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("response is not a JSON object")
	}
	return m, nil
}

// stringField returns a JSON string member, or "" when absent or not a string.
func stringField(m map[string]json.RawMessage, key string) string {
	var s string
	if raw, ok := m[key]; ok && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// scopeField accepts the RFC 6749 §3.3 space-delimited string and, leniently,
// an array of strings.
func scopeField(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, " ")
	}
	return ""
}

// secondsField parses a lifetime in seconds given as a JSON number or a
// numeric string. It reports false for absent, malformed, non-positive or
// absurdly large values.
func secondsField(raw json.RawMessage) (time.Duration, bool) {
	if len(raw) == 0 {
		return 0, false
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		n = json.Number(strings.TrimSpace(s))
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || f <= 0 || f >= float64(maxDurationSeconds) {
		return 0, false
	}
	return time.Duration(math.Round(f)) * time.Second, true
}

// errorFields extracts the RFC 6749 §5.2 error code and description, also
// accepting {"error":{"code"|"type", "message"}} objects some APIs send.
// Any credential that was sent is scrubbed, and both are sanitized.
func errorFields(m map[string]json.RawMessage, secrets []string) (code, desc string) {
	code = stringField(m, "error")
	desc = stringField(m, "error_description")
	if raw, ok := m["error"]; ok && code == "" {
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) == nil {
			if code = stringField(obj, "code"); code == "" {
				code = stringField(obj, "type")
			}
			if desc == "" {
				desc = stringField(obj, "message")
			}
		}
	}
	// A credential in the answer itself (a 200 without access_token may
	// still carry a refresh token or device code) is never shown either.
	for _, k := range sensitiveFields {
		if v := stringField(m, k); v != "" {
			secrets = append(secrets, v)
		}
	}
	return scrub(code, secrets, maxCode), scrub(desc, secrets, maxDescription)
}
