package oauthtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AuthCodePrefix is the recognisable prefix of authorization codes.
const AuthCodePrefix = "tt_ac_"

// Consent is how the simulated user and server answer a valid
// authorization request.
type Consent struct {
	// Error, when set, is sent back instead of a code (RFC 6749
	// §4.1.2.1): "access_denied" as if the user declined, or any other
	// code, such as "server_error" or "temporarily_unavailable".
	Error string
	// ErrorDescription is sent as error_description with Error.
	ErrorDescription string
	// Delay is how long the user takes before the redirect. A client that
	// gives up first gets no answer and no code is issued (see
	// Stats.Abandoned).
	Delay time.Duration
	// Iss, when set, replaces the iss parameter of the redirect (RFC 9207),
	// as a mix-up attacker's server would; OmitIss leaves it out.
	Iss     string
	OmitIss bool
}

// SetConsent changes how the authorization endpoint answers valid
// requests from now on.
func (i *Issuer) SetConsent(c Consent) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.consent = c
}

// authCode is an issued authorization code (RFC 6749 §4.1.2).
type authCode struct {
	client, redirectURI string
	challenge           string // S256 code challenge (RFC 7636 §4.2)
	scope, nonce        string
	expiry              time.Time
	used                bool
	fam                 *family // the login created by exchanging it
}

// handleAuthorize serves the authorization endpoint (RFC 6749 §4.1.1)
// with mandatory PKCE (RFC 7636, S256 only). Requests that do not identify
// the client and a registered redirect URI get a 400 page and are never
// redirected (§4.1.2.1); other errors are redirected with error and state.
// Every redirect carries iss (RFC 9207).
func (i *Issuer) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	i.mu.Lock()
	i.stats.AuthorizeRequests++
	consent := i.consent
	i.mu.Unlock()

	if len(q["client_id"]) > 1 || len(q["redirect_uri"]) > 1 {
		authorizePage(w, "The request repeats client_id or redirect_uri.")
		return
	}
	client, ok := i.clients[q.Get("client_id")]
	if !ok {
		authorizePage(w, "Unknown or missing client_id.")
		return
	}
	redirectURI := q.Get("redirect_uri")
	if redirectURI == "" || !redirectAllowed(client.RedirectURIs, redirectURI) {
		authorizePage(w, "The redirect_uri is missing or not registered for this client.")
		return
	}
	state := q.Get("state")
	fail := func(code, desc string) {
		i.redirect(w, redirectURI, consent, url.Values{"error": {code}, "error_description": {desc}}, state)
	}
	for k, v := range q {
		if len(v) > 1 {
			fail("invalid_request", "parameter "+k+" is repeated")
			return
		}
	}
	challenge := q.Get("code_challenge")
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only response_type=code is supported")
		return
	case challenge == "":
		fail("invalid_request", "code_challenge is required (PKCE, RFC 7636)")
		return
	case q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "transform algorithm not supported: code_challenge_method must be S256")
		return
	case !validChallenge(challenge):
		fail("invalid_request", "malformed code_challenge")
		return
	}
	for _, s := range strings.Fields(q.Get("scope")) {
		if !slices.Contains(i.scopes, s) {
			fail("invalid_scope", "unknown scope")
			return
		}
	}

	if !i.delay(r, consent.Delay) {
		return
	}
	if consent.Error != "" {
		fail(consent.Error, consent.ErrorDescription)
		return
	}

	code := newToken(AuthCodePrefix)
	i.mu.Lock()
	i.codes[code] = &authCode{
		client:      client.ID,
		redirectURI: redirectURI,
		challenge:   challenge,
		scope:       strings.Join(strings.Fields(q.Get("scope")), " "),
		nonce:       q.Get("nonce"),
		expiry:      i.now().Add(i.opts.CodeTTL),
	}
	i.issued = append(i.issued, code)
	i.stats.Authorizations++
	i.mu.Unlock()
	i.redirect(w, redirectURI, consent, url.Values{"code": {code}}, state)
}

// delay waits d (the simulated user taking their time) and reports true,
// or false without answering when the client went away first (counted in
// Stats.Abandoned) or the issuer is closing.
func (i *Issuer) delay(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		i.abandoned()
	case <-i.done:
	}
	return false
}

// redirect sends the authorization response to redirectURI (RFC 6749
// §4.1.2), adding state when the request had one and iss (RFC 9207).
func (i *Issuer) redirect(w http.ResponseWriter, redirectURI string, c Consent, params url.Values, state string) {
	u, _ := url.Parse(redirectURI) // validated by redirectAllowed
	q := u.Query()
	for k, v := range params {
		if v[0] != "" {
			q[k] = v
		}
	}
	if state != "" {
		q.Set("state", state)
	}
	switch {
	case c.OmitIss:
	case c.Iss != "":
		q.Set("iss", c.Iss)
	default:
		q.Set("iss", i.url)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
}

// redirectAllowed reports whether got matches a registered redirect URI:
// exactly, or for an http URI on a loopback host with any port (RFC 8252
// §7.3).
func redirectAllowed(registered []string, got string) bool {
	gu, err := url.Parse(got)
	if err != nil || gu.Fragment != "" || gu.User != nil || !gu.IsAbs() {
		return false
	}
	for _, reg := range registered {
		if got == reg {
			return true
		}
		ru, err := url.Parse(reg)
		if err != nil || ru.Scheme != "http" || gu.Scheme != "http" || !loopback(ru.Hostname()) {
			continue
		}
		if strings.EqualFold(ru.Hostname(), gu.Hostname()) && ru.EscapedPath() == gu.EscapedPath() && ru.RawQuery == gu.RawQuery {
			return true
		}
	}
	return false
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validChallenge checks an S256 code challenge: the base64url encoding,
// without padding, of a SHA-256 hash (RFC 7636 §4.2).
func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// validVerifier checks the code verifier syntax (RFC 7636 §4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, r := range v {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', strings.ContainsRune("-._~", r):
		default:
			return false
		}
	}
	return true
}

// codeGrant implements the authorization_code grant (RFC 6749 §4.1.3)
// with PKCE verification (RFC 7636 §4.6). A code is burnt by its first
// use; using it again revokes the login it created (RFC 6749 §4.1.2).
func (i *Issuer) codeGrant(c ClientReg, p map[string]string) (map[string]any, *oauthError) {
	code := p["code"]
	if code == "" {
		return nil, errInvalidRequest("missing code")
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	now := i.now()
	ac := i.codes[code]
	switch {
	case ac == nil:
		return nil, errInvalidGrant("unknown authorization code")
	case ac.client != c.ID:
		return nil, errInvalidGrant("authorization code was issued to another client")
	case ac.used:
		i.stats.CodeReplays++
		if ac.fam != nil && !ac.fam.revoked {
			ac.fam.revoked = true
			i.stats.FamiliesRevoked++
		}
		return nil, errInvalidGrant("authorization code was already used; tokens issued from it have been revoked")
	}
	ac.used = true
	verifier := p["code_verifier"]
	switch {
	case !now.Before(ac.expiry):
		return nil, errInvalidGrant("authorization code has expired")
	case p["redirect_uri"] != ac.redirectURI:
		return nil, errInvalidGrant("redirect_uri does not match the authorization request")
	case verifier == "":
		return nil, errInvalidGrant("missing code_verifier (PKCE)")
	case !validVerifier(verifier):
		return nil, errInvalidGrant("malformed code_verifier")
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ac.challenge)) != 1 {
		return nil, errInvalidGrant("code_verifier does not match the code_challenge")
	}
	f := i.newFamilyLocked(c.ID, ac.scope, ac.nonce, now)
	ac.fam = f
	g := i.issueLocked(f, ac.scope, true, now)
	i.stats.CodeExchanges++
	i.stats.Succeeded++
	return i.response(g, now), nil
}

var authorizeErrorPage = template.Must(template.New("err").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Authorization error</title></head>
<body><h1>Authorization error</h1><p>{{.}}</p></body></html>
`))

// authorizePage answers 400 with an HTML page: the request cannot be
// redirected because the client or redirect URI is not trustworthy.
func authorizePage(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	authorizeErrorPage.Execute(w, msg)
}
