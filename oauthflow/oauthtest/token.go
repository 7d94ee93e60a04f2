package oauthtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
)

// Recognisable prefixes of the opaque tokens the issuer hands out.
const (
	AccessTokenPrefix  = "tt_at_"
	RefreshTokenPrefix = "tt_rt_"
)

// maxRequestBody bounds token request bodies.
const maxRequestBody = 64 << 10

// sensitiveParams are redacted in the request log.
var sensitiveParams = []string{"refresh_token", "client_secret", "code", "code_verifier", "token", "device_code"}

// family is one login: the chain of refresh tokens descending from one
// sign-in (RFC 9700 §4.14.2).
type family struct {
	id          int
	client      string
	scope       string
	loginExpiry time.Time // zero: never
	revoked     bool
	nonce       string // OpenID Connect nonce of the sign-in, if any
}

type refreshState struct {
	fam     *family
	rotated bool // replaced by a newer refresh token
}

type accessState struct {
	fam    *family
	expiry time.Time // zero: never
}

// grant is the outcome of a successful token request.
type grant struct {
	access, refresh, id string // refresh is "" when not rotated
	scope               string
	accessExpiry        time.Time
	loginExpiry         time.Time
}

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	status     int
	code, desc string
	header     map[string]string
}

func errInvalidRequest(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_request", desc: desc}
}

func errInvalidGrant(desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: "invalid_grant", desc: desc}
}

func newToken(prefix string) string { return prefix + rand.Text() }

// issueLocked issues an access token (and, when rotate is set, a new refresh
// token) for f. i.mu must be held.
func (i *Issuer) issueLocked(f *family, scope string, rotate bool, now time.Time) grant {
	g := grant{scope: scope, loginExpiry: f.loginExpiry}
	if i.opts.AccessTTL > 0 {
		g.accessExpiry = now.Add(i.opts.AccessTTL)
	}
	if i.opts.JWTAccessTokens {
		g.access = i.accessJWT(f, g.accessExpiry, now)
	} else {
		g.access = newToken(AccessTokenPrefix)
	}
	if i.opts.NoRefreshToken {
		rotate = false
	}
	i.access[g.access] = accessState{fam: f, expiry: g.accessExpiry}
	i.issued = append(i.issued, g.access)
	if rotate {
		g.refresh = newToken(RefreshTokenPrefix)
		i.refresh[g.refresh] = &refreshState{fam: f}
		i.issued = append(i.issued, g.refresh)
	}
	if slices.Contains(strings.Fields(scope), "openid") {
		g.id = i.idToken(f, now)
		i.issued = append(i.issued, g.id)
	}
	return g
}

// unsignedJWT returns an unsigned ("alg":"none") JWT with claims c.
func unsignedJWT(c map[string]any) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
	claims, _ := json.Marshal(c)
	return enc.EncodeToString(header) + "." + enc.EncodeToString(claims) + "."
}

// accessJWT returns an unsigned JWT access token (RFC 9068 shape) for f.
func (i *Issuer) accessJWT(f *family, expiry, now time.Time) string {
	c := map[string]any{
		"iss": i.url,
		"sub": i.subject(f),
		"aud": f.client,
		"iat": now.Unix(),
		"jti": AccessTokenPrefix + rand.Text(),
	}
	if !expiry.IsZero() {
		c["exp"] = expiry.Unix()
	}
	return unsignedJWT(c)
}

func (i *Issuer) subject(f *family) string {
	if u := i.opts.User; u.Subject != "" {
		return u.Subject
	}
	return "user-" + strconv.Itoa(f.id)
}

// idToken returns an unsigned ("alg":"none") JWT-shaped ID token. It is
// not meant to be verified, only carried.
func (i *Issuer) idToken(f *family, now time.Time) string {
	c := map[string]any{
		"iss": i.url,
		"sub": i.subject(f),
		"aud": f.client,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
		"jti": rand.Text(),
	}
	if u := i.opts.User; u.Email != "" {
		c["email"] = u.Email
	}
	if u := i.opts.User; u.Name != "" {
		c["name"] = u.Name
	}
	if f.nonce != "" {
		c["nonce"] = f.nonce
	}
	return unsignedJWT(c)
}

// token converts a grant to what a client would store.
func (g grant) token(now time.Time) oauthflow.Token {
	return oauthflow.Token{
		AccessToken:   oauthflow.Secret(g.access),
		RefreshToken:  oauthflow.Secret(g.refresh),
		IDToken:       oauthflow.Secret(g.id),
		TokenType:     "Bearer",
		Scope:         g.scope,
		Expiry:        g.accessExpiry,
		RefreshExpiry: g.loginExpiry,
		ObtainedAt:    now,
	}
}

// response is the RFC 6749 §5.1 JSON body for g.
func (i *Issuer) response(g grant, now time.Time) map[string]any {
	num := func(d time.Duration) any {
		s := int64(d / time.Second)
		if i.opts.StringNumbers {
			return strconv.FormatInt(s, 10)
		}
		return s
	}
	m := map[string]any{"access_token": g.access, "token_type": "Bearer"}
	if !g.accessExpiry.IsZero() {
		m["expires_in"] = num(g.accessExpiry.Sub(now))
		if i.opts.NanosecondExpiresIn {
			m["expires_in"] = int64(g.accessExpiry.Sub(now))
		}
	}
	if g.refresh != "" {
		m["refresh_token"] = g.refresh
	}
	if !g.loginExpiry.IsZero() {
		m["refresh_token_expires_in"] = num(g.loginExpiry.Sub(now))
	}
	if g.scope != "" {
		m["scope"] = g.scope
	}
	if g.id != "" {
		m["id_token"] = g.id
	}
	return m
}

// handleToken serves the token endpoint (RFC 6749 §3.2).
func (i *Issuer) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	params, perr := readParams(r)
	_, _, basic := r.BasicAuth()
	rec := Request{
		ContentType: r.Header.Get("Content-Type"),
		UserAgent:   r.UserAgent(),
		Accept:      r.Header.Get("Accept"),
		Params:      redactParams(params),
		BasicAuth:   basic,
	}
	i.mu.Lock()
	i.stats.Requests++
	f, faulted := i.takeFaultLocked()
	if faulted {
		rec.Fault = f.Kind
		i.stats.FaultsServed++
	}
	i.logLocked(rec)
	i.mu.Unlock()

	if faulted && !i.serveFault(w, r, f) {
		return
	}
	resp, oerr := i.token(r, params, perr)
	if oerr != nil {
		i.mu.Lock()
		i.stats.Rejected++
		i.mu.Unlock()
		writeError(w, oerr)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// token runs the grant named by the request.
func (i *Issuer) token(r *http.Request, p map[string]string, perr *oauthError) (map[string]any, *oauthError) {
	if perr != nil {
		return nil, perr
	}
	client, oerr := i.authenticate(r, p)
	if oerr != nil {
		return nil, oerr
	}
	switch gt := p["grant_type"]; gt {
	case "refresh_token":
		return i.refreshGrant(client, p)
	case "authorization_code":
		return i.codeGrant(client, p)
	case oauthflow.DeviceGrantType:
		return i.deviceGrant(client, p)
	case "":
		return nil, errInvalidRequest("missing grant_type")
	default:
		return nil, &oauthError{status: http.StatusBadRequest, code: "unsupported_grant_type", desc: "grant_type not supported"}
	}
}

// refreshGrant implements RFC 6749 §6 with refresh token rotation and reuse
// detection (RFC 9700 §4.14.2): a rotated refresh token that comes back
// revokes its whole family.
func (i *Issuer) refreshGrant(c ClientReg, p map[string]string) (map[string]any, *oauthError) {
	rt := p["refresh_token"]
	if rt == "" {
		return nil, errInvalidRequest("missing refresh_token")
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.stats.Refreshes++
	now := i.now()
	st := i.refresh[rt]
	switch {
	case st == nil:
		return nil, errInvalidGrant("unknown refresh token")
	case st.fam.client != c.ID:
		return nil, errInvalidGrant("refresh token was issued to another client")
	case st.rotated:
		i.stats.ReuseDetected++
		if !st.fam.revoked {
			st.fam.revoked = true
			i.stats.FamiliesRevoked++
		}
		return nil, errInvalidGrant("refresh token was already used; all tokens of this login have been revoked")
	case st.fam.revoked:
		return nil, errInvalidGrant("refresh token has been revoked")
	case !st.fam.loginExpiry.IsZero() && !now.Before(st.fam.loginExpiry):
		return nil, errInvalidGrant("refresh token has expired")
	}
	scope := st.fam.scope
	if req, ok := p["scope"]; ok {
		if !hasScopes(st.fam.scope, req) {
			return nil, &oauthError{status: http.StatusBadRequest, code: "invalid_scope", desc: "requested scope exceeds the granted scope"}
		}
		scope = req
	}
	rotate := !i.opts.NoRotation
	g := i.issueLocked(st.fam, scope, rotate, now)
	if rotate {
		st.rotated = true
	}
	i.stats.Succeeded++
	return i.response(g, now), nil
}

// readParams reads a form-encoded or JSON token request body. JSON members
// must be strings (numbers and booleans are accepted and converted).
func readParams(r *http.Request) (map[string]string, *oauthError) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return nil, errInvalidRequest("cannot read request body")
	}
	if len(body) > maxRequestBody {
		return nil, errInvalidRequest("request body too large")
	}
	p := make(map[string]string)
	switch mt {
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errInvalidRequest("malformed form body")
		}
		for k, v := range vals {
			if len(v) > 1 {
				// RFC 6749 §3.2: parameters MUST NOT be repeated.
				return nil, errInvalidRequest("repeated parameter " + k)
			}
			p[k] = v[0]
		}
	case "application/json":
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil || m == nil {
			return nil, errInvalidRequest("malformed JSON body")
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				p[k] = v
			case float64, bool:
				b, _ := json.Marshal(v)
				p[k] = string(b)
			case nil:
			default:
				return nil, errInvalidRequest("parameter " + k + " must be a string")
			}
		}
	default:
		return nil, errInvalidRequest("unsupported content type")
	}
	return p, nil
}

func redactParams(p map[string]string) map[string]string {
	if p == nil {
		return nil
	}
	out := cloneMap(p)
	for _, k := range sensitiveParams {
		if _, ok := out[k]; ok {
			out[k] = "[redacted]"
		}
	}
	return out
}

func formUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func (i *Issuer) logLocked(r Request) {
	if len(i.requests) == maxRequestLog {
		i.requests = slices.Delete(i.requests, 0, 1)
	}
	i.requests = append(i.requests, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *oauthError) {
	for k, v := range e.header {
		w.Header().Set(k, v)
	}
	body := map[string]string{"error": e.code}
	if e.desc != "" {
		body["error_description"] = e.desc
	}
	writeJSON(w, e.status, body)
}
