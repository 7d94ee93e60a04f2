package oauthflow

import (
	"net/url"
	"strings"
)

// sensitiveFields are the members of a server answer whose values are
// credentials; an error built from that answer never repeats them.
var sensitiveFields = []string{"access_token", "refresh_token", "id_token", "device_code", "code"}

// minSecret is the shortest credential that is replaced in server text;
// shorter values would blank out ordinary words.
const minSecret = 4

// minPart is the shortest piece of a credential that is replaced when a
// server repeats only part of one (a shortened token in a message).
const minPart = 8

// minTokenLike is the shortest word that is replaced because it looks like
// a token, although it is no credential of the request (a server may
// repeat an access token it issued, or another login's token).
const minTokenLike = 20

// scrub makes server text safe to show: every credential in secrets, in
// the forms a server may repeat it (as sent, form- or path-encoded), every
// piece of at least minPart characters of one, and every word that looks
// like a token (see tokenLike) become "[redacted]"; then the text is
// sanitized and shortened to max runes.
func scrub(s string, secrets []string, max int) string {
	if s == "" {
		return ""
	}
	var all []string
	for _, v := range secrets {
		if len(v) < minSecret {
			continue
		}
		all = append(all, v)
		for _, enc := range []string{url.QueryEscape(v), url.PathEscape(v)} {
			if enc != v {
				all = append(all, enc)
			}
		}
	}
	for _, v := range all {
		s = strings.ReplaceAll(s, v, redacted)
	}
	s = replaceWords(s, func(w string) bool {
		if tokenLike(w) {
			return true
		}
		if len(w) < minPart {
			return false
		}
		for _, v := range all {
			if strings.Contains(v, w) {
				return true
			}
		}
		return false
	})
	return sanitize(s, max)
}

// tokenChar reports whether r can be part of a token: the characters of
// base64, base64url, JWTs and RFC 6749 Appendix A token syntax, except the
// ones that also separate words in prose.
func tokenChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("-._~+/=%", r)
}

// replaceWords replaces every maximal run of token characters for which
// match holds with "[redacted]".
func replaceWords(s string, match func(string) bool) string {
	var b strings.Builder
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		if w := s[start:end]; match(strings.Trim(w, ".")) {
			b.WriteString(redacted)
		} else {
			b.WriteString(w)
		}
		start = -1
	}
	for i, r := range s {
		if tokenChar(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		b.WriteRune(r)
	}
	flush(len(s))
	return b.String()
}

// tokenLike reports whether w (a run of token characters) looks like a
// token rather than a word: at least minTokenLike characters with a digit
// or, from 32 characters on, upper- and lower-case letters mixed. The rest
// of a URL after its scheme ("//host/path") and UUIDs (trace and
// correlation IDs, which help support) are kept.
func tokenLike(w string) bool {
	if len(w) < minTokenLike || strings.HasPrefix(w, "//") || isUUID(w) {
		return false
	}
	var digit, upper, lower bool
	for _, r := range w {
		switch {
		case r >= '0' && r <= '9':
			digit = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		}
	}
	return digit || (upper && lower && len(w) >= 32)
}

// isUUID reports whether w is a UUID in its 8-4-4-4-12 hex form.
func isUUID(w string) bool {
	if len(w) != 36 {
		return false
	}
	for i, r := range w {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
