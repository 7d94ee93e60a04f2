package oauthflow

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// The fuzz targets feed every parser of outside input (token endpoint
// answers, metadata documents, device authorization answers, pasted
// redirects, callback queries, ID token claims) with arbitrary data. They
// check that nothing panics, that results keep their promises, and that no
// error or displayed text carries a control character or a credential that
// was sent. Seed corpora live in testdata/fuzz/<FuzzName>/; run one with
// e.g. `go test -fuzz=FuzzTokenResponse ./oauthflow`.

// fuzzSecret is the credential the fuzzed requests "sent"; it must never
// show in an error.
const fuzzSecret = "rt-fuzz-5ecret-value"

var fuzzNow = time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)

// checkText fails when s, text shown to people, has a control character,
// invalid UTF-8 or the fuzz secret.
func checkText(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s is not valid UTF-8: %q", what, s)
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		t.Fatalf("%s has a control character: %q", what, s)
	}
	if strings.Contains(s, fuzzSecret) {
		t.Fatalf("%s leaks the credential: %q", what, s)
	}
}

// checkServerText checks server text kept in an error: sanitized and at
// most max runes plus the ellipsis.
func checkServerText(t *testing.T, what, s string, max int) {
	t.Helper()
	checkText(t, what, s)
	if n := utf8.RuneCountInString(s); n > max+1 {
		t.Fatalf("%s has %d runes, more than %d", what, n, max)
	}
}

func FuzzTokenResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, status uint16, retryAfter string, body []byte) {
		c := &Client{Now: func() time.Time { return fuzzNow }}
		resp := &http.Response{StatusCode: int(status%600) + 1, Header: http.Header{}}
		resp.Header.Set("Retry-After", retryAfter)
		tok, err := c.tokenResponse("refresh", resp, body, []string{fuzzSecret})
		if err != nil {
			if tok != nil {
				t.Fatal("a token with an error")
			}
			var oe *Error
			if !errors.As(err, &oe) {
				t.Fatalf("error %T is not *Error", err)
			}
			checkServerText(t, "code", oe.Code, maxCode)
			checkServerText(t, "description", oe.Description, maxDescription)
			if oe.RetryAfter < 0 {
				t.Fatalf("negative RetryAfter %v", oe.RetryAfter)
			}
			if strings.Contains(err.Error(), fuzzSecret) {
				t.Fatalf("error leaks the credential: %q", err)
			}
			return
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 || tok.AccessToken.IsZero() {
			t.Fatalf("token from status %d: %+v", resp.StatusCode, tok)
		}
		switch tok.ExpirySource {
		case ExpiryFromServer:
			if d := tok.Expiry.Sub(fuzzNow); d <= 0 || d > MaxExpiresIn {
				t.Fatalf("server expiry %v from now", d)
			}
		case ExpiryFromJWT:
			if tok.Expiry.IsZero() || tok.Expiry.After(fuzzNow.Add(MaxExpiresIn)) {
				t.Fatalf("JWT expiry %v", tok.Expiry)
			}
		case ExpiryUnknown:
			if !tok.Expiry.IsZero() {
				t.Fatalf("unknown source with expiry %v", tok.Expiry)
			}
		default:
			t.Fatalf("expiry source %q", tok.ExpirySource)
		}
		if !tok.RefreshExpiry.IsZero() && !tok.RefreshExpiry.After(fuzzNow) {
			t.Fatalf("refresh expiry %v not after now", tok.RefreshExpiry)
		}
		if tok.ObtainedAt != fuzzNow {
			t.Fatalf("ObtainedAt %v", tok.ObtainedAt)
		}
	})
}

func FuzzDiscoveryDocument(f *testing.F) {
	const issuer = "https://login.example.com/tenant"
	f.Fuzz(func(t *testing.T, data []byte) {
		md, err := parseMetadata(issuer, data)
		if err != nil {
			if md != nil {
				t.Fatal("metadata with an error")
			}
			checkText(t, "error", err.Error())
			return
		}
		if !sameIssuer(md.Issuer, issuer) || md.TokenEndpoint == "" {
			t.Fatalf("accepted %+v", md)
		}
		for _, u := range []string{md.AuthorizationEndpoint, md.TokenEndpoint, md.RevocationEndpoint, md.DeviceAuthorizationEndpoint} {
			if u != "" && CheckURL(u) != nil {
				t.Fatalf("accepted endpoint %q", u)
			}
		}
	})
}

func FuzzDeviceAuthorization(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		fields, err := decodeObject(body)
		if err != nil {
			return
		}
		da, err := parseDeviceAuthorization(fields, fuzzNow)
		if err != nil {
			if da != nil {
				t.Fatal("a device authorization with an error")
			}
			checkText(t, "error", err.Error())
			return
		}
		if da.deviceCode.IsZero() || da.UserCode == "" || CheckURL(da.VerificationURI) != nil {
			t.Fatalf("accepted %+v", da)
		}
		checkServerText(t, "user code", da.UserCode, maxUserCode)
		if da.VerificationURIComplete != "" && CheckURL(da.VerificationURIComplete) != nil {
			t.Fatalf("accepted verification_uri_complete %q", da.VerificationURIComplete)
		}
		if d := da.ExpiresAt.Sub(fuzzNow); d <= 0 || d > maxDeviceLifetime {
			t.Fatalf("lifetime %v", d)
		}
		if da.Interval <= 0 || da.Interval > maxDeviceInterval {
			t.Fatalf("interval %v", da.Interval)
		}
	})
}

func FuzzParsePasted(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		code, state, err := ParsePasted(s)
		if err != nil {
			var ae *AuthorizationError
			if !errors.As(err, &ae) && !errors.Is(err, ErrInvalidPaste) {
				t.Fatalf("error %T %v", err, err)
			}
			msg := err.Error()
			checkText(t, "error", msg)
			// No error repeats the input.
			if trimmed := strings.TrimSpace(s); len(trimmed) >= 12 && strings.Contains(msg, trimmed) && ae == nil {
				t.Fatalf("error repeats the input: %q", msg)
			}
			return
		}
		if strings.TrimSpace(code) == "" {
			t.Fatalf("no code and no error for %q", s)
		}
		if strings.ContainsFunc(code, unicode.IsControl) || strings.ContainsFunc(state, unicode.IsControl) {
			t.Fatalf("code %q state %q", code, state)
		}
	})
}

func FuzzCallbackQuery(f *testing.F) {
	const state = "st-FUZZ"
	flow := &Flow{
		client: &Client{Endpoint: Endpoint{Issuer: "https://login.example.com", IssParameterSupported: true}},
		state:  state,
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery) // what net/http gives the handler
		code, final, reject := flow.inspect(q, true)
		switch {
		case reject != nil:
			if code != "" || final != nil {
				t.Fatal("a rejected response with a result")
			}
			if len(q["state"]) == 1 && q.Get("state") == state {
				t.Fatalf("own state rejected: %v", reject)
			}
		case final != nil:
			if code != "" {
				t.Fatal("a code with a final error")
			}
			checkText(t, "error", final.Error())
			var ae *AuthorizationError
			if errors.As(final, &ae) {
				checkServerText(t, "error code", ae.Code, maxCode)
				checkServerText(t, "error description", ae.Description, maxDescription)
				checkServerText(t, "error URI", ae.URI, maxDescription)
			}
		default:
			if code == "" || q.Get("state") != state || q.Get("iss") != "https://login.example.com" {
				t.Fatalf("accepted %v", q)
			}
		}
	})
}

func FuzzIDTokenClaims(f *testing.F) {
	f.Fuzz(func(t *testing.T, tok string) {
		id := IDTokenIdentity(Secret(tok))
		for _, s := range []string{id.Subject, id.Email, id.Name, id.String()} {
			checkServerText(t, "claim", s, maxClaim)
		}
		if (&Token{AccessToken: Secret(tok)}).Identity() != id {
			t.Fatal("Token.Identity differs from IDTokenIdentity of the access token")
		}
		if exp, ok := jwtExpiry(tok); ok && (exp.IsZero() || exp.Year() > 9999) {
			t.Fatalf("expiry %v", exp)
		}
	})
}
