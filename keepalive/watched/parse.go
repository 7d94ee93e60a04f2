package watched

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"math"
	"net/url"
	"strings"
	"time"
)

// Meta is what tokentray keeps of a watched login: timestamps, whether a
// refresh token is stored, and non-secret account details. It never holds a
// token value.
type Meta struct {
	// Mode says what kind of login the store holds; the other fields
	// matter only for [OAuthLogin].
	Mode Mode
	// Method names a login that is not OAuth ("API key") or where it is
	// kept ("the OS keyring"), for the UI.
	Method string
	// HasRefreshToken reports whether a non-empty refresh token is stored;
	// without one the owner cannot renew the login.
	HasRefreshToken bool
	// AccessExpiry is when the stored access token expires (zero: unknown).
	// An expired access token is normal: the owner refreshes it on next use.
	AccessExpiry time.Time
	// LoginDeadline is the hard end of the login, after which only a new
	// sign-in helps (Claude Code's refreshTokenExpiresAt; zero: none known).
	LoginDeadline time.Time
	// LastRefresh is when the owner last refreshed (Codex last_refresh).
	LastRefresh time.Time
	// Email, Plan and AccountID describe the account when the store says
	// so: Claude subscriptionType; Codex/Gemini id_token email claim, Codex
	// chatgpt_plan_type claim and account_id.
	Email     string
	Plan      string
	AccountID string
}

// Who names the account for the UI: the e-mail, with the plan when both
// are known ("ada@example.com (plus)"), the plan alone (Claude's "max"),
// or the host of an AWS IAM Identity Center start URL; "" when the store
// says nothing.
func (m Meta) Who() string {
	switch {
	case m.Email != "" && m.Plan != "":
		return m.Email + " (" + m.Plan + ")"
	case m.Email != "":
		return m.Email
	case m.Plan != "":
		return m.Plan
	}
	if u, err := url.Parse(m.AccountID); err == nil && u.Scheme == "https" && u.Host != "" {
		return u.Host
	}
	return ""
}

// Mode is the kind of login a store holds.
type Mode int

const (
	// OAuthLogin: an OAuth login whose expiry the store shows.
	OAuthLogin Mode = iota
	// NotOAuthLogin: an API key, agent identity or similar: nothing expires
	// and nothing needs keeping alive.
	NotOAuthLogin
	// KeyringLogin: the tool's own settings keep the login in the OS keyring
	// (or memory): it exists, but its expiry cannot be read.
	KeyringLogin
	// SignedOut: the store exists but holds no login.
	SignedOut
)

func malformed(field, problem string) *atomicfile.MalformedError {
	return &atomicfile.MalformedError{Field: field, Problem: problem}
}

// geminiLike reads the flat {access, refresh, expiry ms, id_token} shape
// shared by Gemini and opencode entries.
func geminiLike(o map[string]json.RawMessage, access, refresh, expiry, idToken string) (Meta, error) {
	var m Meta
	if _, err := optString(o, access, access); err != nil {
		return Meta{}, err
	}
	rt, err := optString(o, refresh, refresh)
	if err != nil {
		return Meta{}, err
	}
	m.HasRefreshToken = rt != ""
	if m.AccessExpiry, err = optMillis(o, expiry, expiry); err != nil {
		return Meta{}, err
	}
	if idToken != "" {
		idt, err := optString(o, idToken, idToken)
		if err != nil {
			return Meta{}, err
		}
		if c, ok := jwtClaims(idt); ok {
			m.Email = c.Email
		}
	}
	return m, nil
}

// parseObject decodes a JSON object without ever echoing its bytes in an
// error.
func parseObject(data []byte) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, malformed("", "empty file")
	}
	if trimmed[0] != '{' {
		return nil, malformed("", "want a JSON object")
	}
	var root map[string]json.RawMessage
	if err := json.Unmarshal(data, &root); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// se.Error() quotes the offending character: use the offset only.
			e := malformed("", "invalid JSON")
			e.Offset = se.Offset
			return nil, e
		}
		return nil, malformed("", "invalid JSON")
	}
	return root, nil
}

// kindOf names the JSON type of a raw value for error messages.
func kindOf(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "missing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func requireObject(o map[string]json.RawMessage, key, field string) (map[string]json.RawMessage, error) {
	raw, ok := o[key]
	if !ok || kindOf(raw) == "null" {
		return nil, malformed(field, "missing")
	}
	if k := kindOf(raw); k != "an object" {
		return nil, malformed(field, "want an object, got "+k)
	}
	var sub map[string]json.RawMessage
	if err := json.Unmarshal(raw, &sub); err != nil {
		return nil, malformed(field, "invalid object")
	}
	return sub, nil
}

// optString returns the string at key; absent or null gives "".
func optString(o map[string]json.RawMessage, key, field string) (string, error) {
	raw, ok := o[key]
	if !ok || kindOf(raw) == "null" {
		return "", nil
	}
	if k := kindOf(raw); k != "a string" {
		return "", malformed(field, "want a string, got "+k)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", malformed(field, "invalid string")
	}
	return s, nil
}

// maxMillis bounds timestamps to year 9999, far beyond any real expiry.
const maxMillis = 253402300799999

// optMillis returns the Unix-milliseconds time at key; absent, null or 0
// gives the zero time.
func optMillis(o map[string]json.RawMessage, key, field string) (time.Time, error) {
	raw, ok := o[key]
	if !ok || kindOf(raw) == "null" {
		return time.Time{}, nil
	}
	if k := kindOf(raw); k != "a number" {
		return time.Time{}, malformed(field, "want a number of milliseconds, got "+k)
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return time.Time{}, malformed(field, "invalid number")
	}
	ms, err := n.Int64()
	if err != nil {
		f, ferr := n.Float64()
		if ferr != nil || math.IsNaN(f) || f < math.MinInt64 || f > math.MaxInt64 {
			return time.Time{}, malformed(field, "number out of range")
		}
		ms = int64(f)
	}
	switch {
	case ms < 0:
		return time.Time{}, malformed(field, "negative time")
	case ms > maxMillis:
		return time.Time{}, malformed(field, "time out of range")
	case ms == 0:
		return time.Time{}, nil
	}
	return time.UnixMilli(ms), nil
}

// claims are the JWT claims this package reads (RFC 7519 §4.1; OpenAI puts
// the plan under "https://api.openai.com/auth").
type claims struct {
	Exp      json.Number // "exp", seconds since the epoch
	Email    string      // "email"
	PlanType string      // "https://api.openai.com/auth".chatgpt_plan_type
}

func (c claims) expiry() time.Time {
	if c.Exp == "" {
		return time.Time{}
	}
	sec, err := c.Exp.Int64()
	if err != nil {
		f, ferr := c.Exp.Float64()
		if ferr != nil || math.IsNaN(f) || f <= 0 || f > maxMillis/1000 {
			return time.Time{}
		}
		sec = int64(f)
	}
	if sec <= 0 || sec > maxMillis/1000 {
		return time.Time{}
	}
	return time.Unix(sec, 0)
}

// jwtClaims decodes a JWT's payload (RFC 7519 §3, base64url per RFC 7515
// §2) WITHOUT verifying it: the values only drive warnings. ok is false for
// anything that is not a readable JWT.
func jwtClaims(tok string) (c claims, ok bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return claims{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return claims{}, false
	}
	defer clear(payload)
	// Decode field by field so a claim of an unexpected type does not throw
	// away the others.
	var raw map[string]json.RawMessage
	if json.Unmarshal(payload, &raw) != nil {
		return claims{}, false
	}
	if kindOf(raw["exp"]) == "a number" {
		_ = json.Unmarshal(raw["exp"], &c.Exp)
	}
	if kindOf(raw["email"]) == "a string" {
		_ = json.Unmarshal(raw["email"], &c.Email)
	}
	if a := raw["https://api.openai.com/auth"]; kindOf(a) == "an object" {
		var sub map[string]json.RawMessage
		if json.Unmarshal(a, &sub) == nil && kindOf(sub["chatgpt_plan_type"]) == "a string" {
			_ = json.Unmarshal(sub["chatgpt_plan_type"], &c.PlanType)
		}
	}
	return c, true
}
