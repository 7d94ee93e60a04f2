package oauthflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// Device authorization grant (RFC 8628) constants.
const (
	// DeviceGrantType is the grant_type of the device access token request
	// (RFC 8628 §3.4).
	DeviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"
	// DefaultDeviceInterval is the polling interval when the server names
	// none (RFC 8628 §3.2).
	DefaultDeviceInterval = 5 * time.Second
	// DefaultDeviceLifetime is assumed when the device authorization
	// response lacks a usable expires_in.
	DefaultDeviceLifetime = 10 * time.Minute
	// slowDownStep is what every slow_down adds to the interval (§3.5).
	slowDownStep = 5 * time.Second
	// maxDeviceInterval caps the polling interval, whatever the server or
	// the backoff asks for.
	maxDeviceInterval = time.Minute
	// maxDeviceLifetime caps the lifetime of a device code.
	maxDeviceLifetime = 24 * time.Hour
	// maxUserCode bounds the user_code (runes); RFC 8628 §6.1 recommends
	// short codes that people type.
	maxUserCode = 64
)

// Errors that end a device sign-in. Test them with errors.Is.
var (
	// ErrDeviceDenied: the user (or the server) declined the request on
	// the verification page (access_denied, RFC 8628 §3.5).
	ErrDeviceDenied = errors.New("the sign-in was denied on the verification page")
	// ErrDeviceExpired: the code expired before it was approved
	// (expired_token, RFC 8628 §3.5, or the expires_in of the device
	// authorization response has passed).
	ErrDeviceExpired = errors.New("the sign-in code expired before it was approved; start the sign-in again")
	// ErrNoDeviceEndpoint: the server offers no device authorization
	// endpoint (neither discovery nor the configuration names one).
	ErrNoDeviceEndpoint = errors.New("the server offers no device sign-in (no device authorization endpoint)")
)

// DeviceAuthorization is the answer of the device authorization endpoint
// (RFC 8628 §3.2): what the user is shown, and what [Client.PollDevice]
// needs. The device code itself is kept unexported: it is a credential.
type DeviceAuthorization struct {
	// UserCode is what the user enters on the verification page.
	UserCode string
	// VerificationURI is the page where the user enters UserCode.
	VerificationURI string
	// VerificationURIComplete, when the server sent one, is a page that
	// already carries the code (RFC 8628 §3.3.1); "" otherwise.
	VerificationURIComplete string
	// ExpiresAt is when the device code expires.
	ExpiresAt time.Time
	// Interval is the minimum time between two polls; PollDevice raises
	// it when the server answers slow_down.
	Interval time.Duration

	deviceCode Secret
}

// StartDevice begins a device sign-in (RFC 8628 §3.1): it POSTs client_id
// (and client credentials when the client has a secret) and scope to the
// device authorization endpoint and returns its answer (§3.2). scopes nil
// means c.Scopes; an empty list sends no scope.
//
// The endpoint is Endpoint.DeviceAuthURL; when it is empty and an issuer is
// configured it is discovered (device_authorization_endpoint, RFC 8628 §4);
// c is not modified. Without one the error wraps [ErrNoDeviceEndpoint].
//
// The caller shows UserCode and VerificationURI (or
// VerificationURIComplete) to the user, then calls PollDevice. Failures
// are *Error with Op "device authorization" or errors wrapping
// [ErrNoDeviceEndpoint]; no error contains the device code.
func (c *Client) StartDevice(ctx context.Context, scopes []string) (*DeviceAuthorization, error) {
	if c.ClientID == "" {
		return nil, errors.New("device sign-in: no client ID configured")
	}
	r, err := c.resolveIf(ctx, c.Endpoint.DeviceAuthURL == "" || c.Endpoint.TokenURL == "")
	if err != nil {
		return nil, err
	}
	if r.Endpoint.DeviceAuthURL == "" {
		return nil, fmt.Errorf("device sign-in: %w", ErrNoDeviceEndpoint)
	}
	if r.Endpoint.TokenURL == "" {
		return nil, errors.New("device sign-in: no token endpoint (set it, or an issuer that publishes one)")
	}
	if scopes == nil {
		scopes = c.Scopes
	}
	const op = "device authorization"
	resp, data, secrets, err := r.post(ctx, op, r.Endpoint.DeviceAuthURL, map[string]string{
		"scope": strings.Join(scopes, " "),
	})
	if err != nil {
		return nil, err
	}
	fields, jsonErr := decodeObject(data)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, r.statusError(op, resp, fields, jsonErr, secrets)
	}
	if jsonErr != nil {
		return nil, &Error{Op: op, StatusCode: resp.StatusCode, Err: fmt.Errorf("decoding response: %w", jsonErr)}
	}
	da, err := parseDeviceAuthorization(fields, r.now())
	if err != nil {
		// Some servers (GitHub) answer 200 with an error object.
		e := &Error{Op: op, StatusCode: resp.StatusCode}
		if e.Code, e.Description = errorFields(fields, secrets); e.Code == "" {
			e.Err = err
		}
		return nil, e
	}
	return da, nil
}

// parseDeviceAuthorization checks and converts a device authorization
// response (RFC 8628 §3.2). device_code, user_code and verification_uri
// are required (Google's verification_url is accepted); a missing or
// implausible expires_in means DefaultDeviceLifetime, a missing interval
// DefaultDeviceInterval.
func parseDeviceAuthorization(fields map[string]json.RawMessage, now time.Time) (*DeviceAuthorization, error) {
	now = now.Round(0)
	da := &DeviceAuthorization{
		deviceCode:              Secret(stringField(fields, "device_code")),
		UserCode:                strings.TrimSpace(stringField(fields, "user_code")),
		VerificationURI:         stringField(fields, "verification_uri"),
		VerificationURIComplete: stringField(fields, "verification_uri_complete"),
		Interval:                DefaultDeviceInterval,
	}
	if da.VerificationURI == "" {
		da.VerificationURI = stringField(fields, "verification_url")
	}
	switch {
	case da.deviceCode.IsZero():
		return nil, errors.New("response has no device_code")
	case da.UserCode == "":
		return nil, errors.New("response has no user_code")
	case da.VerificationURI == "":
		return nil, errors.New("response has no verification_uri")
	}
	if n := len([]rune(da.UserCode)); n > maxUserCode || strings.ContainsFunc(da.UserCode, unicode.IsControl) {
		return nil, errors.New("response has a malformed user_code")
	}
	for _, u := range []struct{ name, val string }{
		{"verification_uri", da.VerificationURI},
		{"verification_uri_complete", da.VerificationURIComplete},
	} {
		if u.val == "" {
			continue
		}
		if err := CheckURL(u.val); err != nil {
			return nil, fmt.Errorf("%s: %w", u.name, err)
		}
	}
	life, ok := secondsField(fields["expires_in"])
	if !ok || life > maxDeviceLifetime {
		life = DefaultDeviceLifetime
	}
	da.ExpiresAt = now.Add(life)
	if d, ok := secondsField(fields["interval"]); ok {
		da.Interval = min(d, maxDeviceInterval)
	}
	return da, nil
}

// PollDevice waits until the user has approved the device sign-in da on
// the verification page and returns the tokens (RFC 8628 §3.4-3.5). It
// polls the token endpoint with the device_code grant every da.Interval
// (waiting with c.Sleep, timed with c.Now):
//
//   - authorization_pending: it keeps polling;
//   - slow_down: the interval grows by 5 s, for this and every later poll
//     (da.Interval is updated);
//   - access_denied: it returns an error wrapping [ErrDeviceDenied];
//   - expired_token, or da.ExpiresAt passing: an error wrapping
//     [ErrDeviceExpired];
//   - a transient failure (5xx, 429, a connection error or timeout, see
//     [Classify]): it keeps polling with the interval doubled (§3.5
//     asks for a backoff), up to one minute;
//   - any other error (invalid_client, invalid_grant, …) is returned as an
//     *Error with Op "device".
//
// A done ctx ends it with an error wrapping ctx.Err(). da must come from
// StartDevice of a client with the same endpoints.
func (c *Client) PollDevice(ctx context.Context, da *DeviceAuthorization) (*Token, error) {
	if da == nil || da.deviceCode.IsZero() {
		return nil, errors.New("device sign-in: no device authorization (call StartDevice first)")
	}
	r, err := c.resolveIf(ctx, c.Endpoint.TokenURL == "")
	if err != nil {
		return nil, err
	}
	if da.Interval <= 0 {
		da.Interval = DefaultDeviceInterval
	}
	backoff := time.Duration(0)
	for {
		wait := max(da.Interval, backoff)
		if !r.now().Add(wait).Before(da.ExpiresAt) {
			// The code expires before the next poll could be answered.
			if d := da.ExpiresAt.Sub(r.now()); d > 0 {
				if err := r.sleep(ctx, d); err != nil {
					return nil, fmt.Errorf("device sign-in abandoned: %w", err)
				}
			}
			return nil, fmt.Errorf("device sign-in: %w", ErrDeviceExpired)
		}
		if err := r.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("device sign-in abandoned: %w", err)
		}
		tok, err := r.tokenRequest(ctx, "device", map[string]string{
			"grant_type":  DeviceGrantType,
			"device_code": da.deviceCode.Reveal(),
		})
		if err == nil {
			return tok, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("device sign-in abandoned: %w", ctx.Err())
		}
		var oe *Error
		if !errors.As(err, &oe) {
			return nil, err
		}
		switch oe.Code {
		case "authorization_pending":
			backoff = 0
			continue
		case "slow_down":
			da.Interval = min(da.Interval+slowDownStep, maxDeviceInterval)
			backoff = 0
			continue
		case "access_denied":
			return nil, deviceEnd(ErrDeviceDenied, oe)
		case "expired_token":
			return nil, deviceEnd(ErrDeviceExpired, oe)
		}
		if retryStatus(oe.StatusCode) && Classify(err) != Terminal {
			backoff = min(2*max(wait, da.Interval), maxDeviceInterval)
			continue
		}
		return nil, err
	}
}

// retryStatus reports whether a failed poll with this status (0: no
// answer) is worth repeating.
func retryStatus(status int) bool {
	return status == 0 || status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

// deviceEnd is the error that ends a device sign-in with sentinel, with the
// server's description when it gave one.
func deviceEnd(sentinel error, oe *Error) error {
	if d := sanitize(oe.Description, maxDescription); d != "" {
		return fmt.Errorf("device sign-in: %w (%s)", sentinel, d)
	}
	return fmt.Errorf("device sign-in: %w", sentinel)
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
