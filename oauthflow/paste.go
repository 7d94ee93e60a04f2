package oauthflow

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// maxPaste bounds a pasted input.
const maxPaste = 16 << 10

// pasteForm is what kind of input the user pasted.
type pasteForm int

const (
	pasteURL       pasteForm = iota // a redirect URL or its query
	pasteCodeState                  // code#state
	pasteBareCode                   // just the code
)

// parsePasted parses what the user pasted in the manual sign-in fallback
// and says which form it had:
//
//   - the full redirect URL, "http://127.0.0.1:PORT/callback?code=C&state=S"
//     (any URL whose query holds code or error), or just its query
//     ("?code=C&state=S" or "code=C&state=S");
//   - "C#S", a code and state as some servers display them;
//   - a bare code "C" (state is then "").
//
// Surrounding white space and quotes are ignored; a failure wraps
// [ErrInvalidPaste] and never repeats the input.
func parsePasted(s string) (url.Values, pasteForm, error) {
	invalid := func(why string) (url.Values, pasteForm, error) {
		return nil, 0, fmt.Errorf("pasted input: %s: %w", why, ErrInvalidPaste)
	}
	s = strings.TrimSpace(s)
	for _, q := range []string{`"`, `'`, "`", "<"} {
		closing := q
		if q == "<" {
			closing = ">"
		}
		if len(s) >= 2 && strings.HasPrefix(s, q) && strings.HasSuffix(s, closing) {
			s = strings.TrimSpace(s[1 : len(s)-1])
		}
	}
	switch {
	case s == "":
		return invalid("it is empty")
	case len(s) > maxPaste:
		return invalid("it is too long")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return invalid("it contains spaces or control characters")
		}
	}

	var query string
	isQuery := false
	switch {
	case strings.Contains(s, "://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return invalid("it is not a valid URL")
		}
		query, isQuery = u.RawQuery, true
	case strings.HasPrefix(s, "?"):
		query, isQuery = s[1:], true
	case strings.HasPrefix(s, "code="), strings.HasPrefix(s, "state="), strings.HasPrefix(s, "error="):
		query, isQuery = s, true
	}
	if isQuery {
		vals, err := url.ParseQuery(query)
		if err != nil {
			return invalid("its query is malformed")
		}
		if strings.TrimSpace(vals.Get("code")) == "" && vals.Get("error") == "" {
			return invalid("it has no code")
		}
		if strings.ContainsFunc(vals.Get("code"), unicode.IsControl) || strings.ContainsFunc(vals.Get("state"), unicode.IsControl) {
			return invalid("its code or state contains control characters")
		}
		for _, k := range []string{"code", "state", "error", "iss"} {
			if len(vals[k]) > 1 {
				return invalid("it repeats " + k)
			}
		}
		return vals, pasteURL, nil
	}

	if code, state, ok := strings.Cut(s, "#"); ok {
		if code == "" || state == "" || strings.Contains(state, "#") {
			return invalid("expected code#state")
		}
		return url.Values{"code": {code}, "state": {state}}, pasteCodeState, nil
	}
	if strings.Contains(s, "&") && strings.Contains(s, "=") {
		return invalid("it looks like a partial URL")
	}
	return url.Values{"code": {s}}, pasteBareCode, nil
}

// authorizationError builds the error of an authorization error response
// (RFC 6749 §4.1.2.1) q, scrubbed of secrets, of any code q also carries
// and of token-like words.
func authorizationError(q url.Values, secrets ...string) *AuthorizationError {
	secrets = append(secrets, q["code"]...)
	return &AuthorizationError{
		Code:        scrub(q.Get("error"), secrets, maxCode),
		Description: scrub(q.Get("error_description"), secrets, maxDescription),
		URI:         scrub(q.Get("error_uri"), secrets, maxDescription),
	}
}
