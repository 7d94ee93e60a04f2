package oauthtest

import (
	"crypto/rand"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Device authorization grant (RFC 8628) defaults and prefixes.
const (
	// DeviceCodePrefix is the recognisable prefix of device codes.
	DeviceCodePrefix = "tt_dc_"
	// DefaultDeviceTTL is the device code lifetime when
	// Options.DeviceTTL is 0.
	DefaultDeviceTTL = 10 * time.Minute
	// DefaultDeviceInterval is the polling interval sent when
	// Options.DeviceInterval is 0.
	DefaultDeviceInterval = 5 * time.Second
)

// ErrUnknownUserCode is returned by the device controls for a user code
// the issuer did not hand out.
var ErrUnknownUserCode = errors.New("oauthtest: unknown user code")

// deviceStatus is where a device authorization stands.
type deviceStatus int

const (
	devicePending  deviceStatus = iota // the user has not decided yet
	deviceApproved                     // approved; the next poll gets tokens
	deviceDenied                       // the user declined
	deviceUsed                         // tokens were issued
)

// deviceAuth is one device authorization request (RFC 8628 §3.1).
type deviceAuth struct {
	client, scope string
	userCode      string
	expiry        time.Time
	interval      time.Duration // the minimum between polls, as sent
	expected      time.Duration // the interval the client should now use; grows with slow_down
	lastPoll      time.Time     // or the issue time
	status        deviceStatus
	slowDowns     int // the next polls that answer slow_down whatever their timing
}

// userCodeAlphabet is RFC 8628 §6.1's base-20 set: no vowels, no
// look-alike characters.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// newUserCode returns a code like "WDJB-MJHT" (RFC 8628 §6.1).
func newUserCode() string {
	b := make([]byte, 8)
	rand.Read(b)
	for n := range b {
		b[n] = userCodeAlphabet[int(b[n])%len(userCodeAlphabet)]
	}
	return string(b[:4]) + "-" + string(b[4:])
}

// normUserCode makes user input comparable: case and dashes or spaces do
// not matter (RFC 8628 §6.1).
func normUserCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
}

// DeviceAuthorizationURL returns the device authorization endpoint URL
// (RFC 8628 §3.1).
func (i *Issuer) DeviceAuthorizationURL() string { return i.url + DeviceAuthorizationPath }

// VerificationURL returns the verification page the user opens to enter a
// user code (RFC 8628 §3.3).
func (i *Issuer) VerificationURL() string { return i.url + VerificationPath }

// handleDeviceAuthorization serves the device authorization endpoint
// (RFC 8628 §3.1-3.2). Clients authenticate as at the token endpoint.
func (i *Issuer) handleDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	params, client, ok := i.clientPost(w, r)
	if !ok {
		return
	}
	scope := strings.Join(strings.Fields(params["scope"]), " ")
	for _, s := range strings.Fields(scope) {
		if !slices.Contains(i.scopes, s) {
			writeError(w, &oauthError{status: http.StatusBadRequest, code: "invalid_scope", desc: "unknown scope"})
			return
		}
	}
	i.mu.Lock()
	now := i.now()
	ttl := i.opts.DeviceTTL
	if ttl <= 0 {
		ttl = DefaultDeviceTTL
	}
	interval := i.opts.DeviceInterval
	if interval == 0 {
		interval = DefaultDeviceInterval
	}
	code := newToken(DeviceCodePrefix)
	d := &deviceAuth{client: client.ID, scope: scope, expiry: now.Add(ttl), interval: max(interval, 0), lastPoll: now}
	d.expected = d.interval
	for {
		d.userCode = newUserCode()
		if i.deviceByUser[normUserCode(d.userCode)] == "" {
			break
		}
	}
	i.devices[code] = d
	i.deviceByUser[normUserCode(d.userCode)] = code
	i.issued = append(i.issued, code)
	i.stats.DeviceAuthorizations++
	i.mu.Unlock()

	complete := i.VerificationURL() + "?" + url.Values{"user_code": {d.userCode}}.Encode()
	body := map[string]any{
		"device_code":               code,
		"user_code":                 d.userCode,
		"verification_uri":          i.VerificationURL(),
		"verification_uri_complete": complete,
		"expires_in":                int64(ttl / time.Second),
	}
	if interval > 0 {
		body["interval"] = int64(interval / time.Second)
	}
	writeJSON(w, http.StatusOK, body)
}

// deviceGrant implements the device access token request (RFC 8628 §3.4)
// and its answers (§3.5): authorization_pending until the user decides,
// slow_down when polled sooner than the interval sent after the previous
// poll, or when SlowDownDevice asked for it, access_denied after a denial,
// expired_token once the code has expired, and tokens, once, after an
// approval.
func (i *Issuer) deviceGrant(c ClientReg, p map[string]string) (map[string]any, *oauthError) {
	dc := p["device_code"]
	if dc == "" {
		return nil, errInvalidRequest("missing device_code")
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.stats.DevicePolls++
	now := i.now()
	d := i.devices[dc]
	fail := func(code, desc string) (map[string]any, *oauthError) {
		return nil, &oauthError{status: http.StatusBadRequest, code: code, desc: desc}
	}
	switch {
	case d == nil:
		return nil, errInvalidGrant("unknown device code")
	case d.client != c.ID:
		return nil, errInvalidGrant("device code was issued to another client")
	case d.status == deviceUsed:
		return nil, errInvalidGrant("device code was already used")
	case !now.Before(d.expiry):
		return fail("expired_token", "the device code has expired")
	case d.status == deviceDenied:
		return fail("access_denied", "the user denied the request")
	}
	early := now.Sub(d.lastPoll) < d.interval
	d.lastPoll = now
	if d.slowDowns > 0 || early {
		if d.slowDowns > 0 {
			d.slowDowns--
		}
		d.expected += 5 * time.Second
		i.stats.DeviceSlowDowns++
		return fail("slow_down", "polling too fast")
	}
	if d.status == devicePending {
		return fail("authorization_pending", "the user has not approved the request yet")
	}
	d.status = deviceUsed
	f := i.newFamilyLocked(c.ID, d.scope, "", now)
	g := i.issueLocked(f, d.scope, true, now)
	i.stats.DeviceGrants++
	i.stats.Succeeded++
	return i.response(g, now), nil
}

// device returns the device authorization of userCode. i.mu must be held.
func (i *Issuer) deviceLocked(userCode string) (*deviceAuth, error) {
	d := i.devices[i.deviceByUser[normUserCode(userCode)]]
	if d == nil {
		return nil, ErrUnknownUserCode
	}
	return d, nil
}

// decideDevice records the user's decision on the verification page.
func (i *Issuer) decideDevice(userCode string, s deviceStatus) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	d, err := i.deviceLocked(userCode)
	if err != nil {
		return err
	}
	if d.status == devicePending {
		d.status = s
	}
	return nil
}

// ApproveDevice approves the device sign-in of userCode, as the user would
// on the verification page: its next poll gets tokens.
func (i *Issuer) ApproveDevice(userCode string) error {
	return i.decideDevice(userCode, deviceApproved)
}

// DenyDevice declines the device sign-in of userCode: its polls get
// access_denied.
func (i *Issuer) DenyDevice(userCode string) error { return i.decideDevice(userCode, deviceDenied) }

// SlowDownDevice makes the next n polls of userCode's device code answer
// slow_down (each adding 5 s to its interval), however they are timed.
func (i *Issuer) SlowDownDevice(userCode string, n int) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	d, err := i.deviceLocked(userCode)
	if err != nil {
		return err
	}
	d.slowDowns += n
	return nil
}

// ExpireDevice makes userCode's device code expire now: its polls get
// expired_token.
func (i *Issuer) ExpireDevice(userCode string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	d, err := i.deviceLocked(userCode)
	if err != nil {
		return err
	}
	d.expiry = i.now()
	return nil
}

// DeviceInterval returns the polling interval userCode's client should now
// use: the one sent plus 5 s for every slow_down answered.
func (i *Issuer) DeviceInterval(userCode string) (time.Duration, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	d, err := i.deviceLocked(userCode)
	if err != nil {
		return 0, err
	}
	return d.expected, nil
}

var verifyPage = template.Must(template.New("verify").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Device sign-in</title></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p>
{{- if .Form}}
<form method="get"><label>Code <input name="user_code" autocomplete="off"></label> <button>Continue</button></form>
{{- end}}
</body></html>
`))

// handleVerification serves the verification page (RFC 8628 §3.3). Without
// user_code it shows a form; with one it decides at once as the Consent
// says (after Consent.Delay): Consent.Error denies, otherwise the sign-in
// is approved. So a Browser opening verification_uri_complete plays a user
// who approves.
func (i *Issuer) handleVerification(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	page := func(status int, title, msg string, form bool) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		verifyPage.Execute(w, struct {
			Title, Message string
			Form           bool
		}{title, msg, form})
	}
	uc := r.URL.Query().Get("user_code")
	if uc == "" {
		page(http.StatusOK, "Device sign-in", "Enter the code shown by the application.", true)
		return
	}
	i.mu.Lock()
	consent := i.consent
	_, err := i.deviceLocked(uc)
	i.mu.Unlock()
	if err != nil {
		page(http.StatusNotFound, "Unknown code", "This code is not valid. Check it and try again.", true)
		return
	}
	if !i.delay(r, consent.Delay) {
		return
	}
	if consent.Error != "" {
		i.DenyDevice(uc)
		page(http.StatusOK, "Sign-in denied", "You denied the request. You can close this tab.", false)
		return
	}
	i.ApproveDevice(uc)
	page(http.StatusOK, "Device approved", "The application is now signed in. You can close this tab.", false)
}
