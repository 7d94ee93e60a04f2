package oauthtest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// deviceCode asks iss's device authorization endpoint for a code.
func deviceCode(t *testing.T, iss *oauthtest.Issuer, client string) (deviceCode, userCode string) {
	t.Helper()
	resp, err := http.PostForm(iss.DeviceAuthorizationURL(), url.Values{"client_id": {client}, "scope": {"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 200 {
		t.Fatalf("device authorization: %d %v", resp.StatusCode, body)
	}
	dc, _ := body["device_code"].(string)
	uc, _ := body["user_code"].(string)
	if !strings.HasPrefix(dc, oauthtest.DeviceCodePrefix) || len(uc) != 9 || body["interval"] != float64(5) || body["expires_in"] != float64(600) {
		t.Fatalf("device authorization %v", body)
	}
	return dc, uc
}

func devicePoll(dc, client string) map[string]string {
	return map[string]string{"grant_type": oauthflow.DeviceGrantType, "device_code": dc, "client_id": client}
}

func TestDeviceGrant(t *testing.T) {
	var clk fakeClock
	clk.t = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	iss := start(t, oauthtest.Options{Now: clk.Now, Clients: []oauthtest.ClientReg{{ID: "tv"}, {ID: "other"}}})
	dc, uc := deviceCode(t, iss, "tv")

	clk.Advance(time.Second) // too early: slow_down
	if r := post(t, iss, devicePoll(dc, "tv"), false); r.status != 400 || r.str("error") != "slow_down" {
		t.Errorf("early poll: %d %s", r.status, r.raw)
	}
	clk.Advance(5 * time.Second)
	if r := post(t, iss, devicePoll(dc, "tv"), false); r.str("error") != "authorization_pending" {
		t.Errorf("pending: %d %s", r.status, r.raw)
	}
	clk.Advance(5 * time.Second)
	if r := post(t, iss, devicePoll(dc, "other"), false); r.str("error") != "invalid_grant" {
		t.Errorf("another client's device code: %d %s", r.status, r.raw)
	}
	if r := post(t, iss, map[string]string{"grant_type": oauthflow.DeviceGrantType, "client_id": "tv"}, false); r.str("error") != "invalid_request" {
		t.Errorf("no device code: %d %s", r.status, r.raw)
	}
	if err := iss.ApproveDevice(strings.ToLower(strings.ReplaceAll(uc, "-", " "))); err != nil {
		t.Fatal(err)
	}
	clk.Advance(5 * time.Second)
	r := post(t, iss, devicePoll(dc, "tv"), false)
	if r.status != 200 || !strings.HasPrefix(r.str("refresh_token"), oauthtest.RefreshTokenPrefix) || r.str("id_token") == "" {
		t.Fatalf("approved: %d %s", r.status, r.raw)
	}
	clk.Advance(5 * time.Second)
	if r := post(t, iss, devicePoll(dc, "tv"), false); r.str("error") != "invalid_grant" {
		t.Errorf("spent device code: %d %s", r.status, r.raw)
	}
	if err := iss.ApproveDevice("XXXX-XXXX"); err != oauthtest.ErrUnknownUserCode {
		t.Errorf("unknown user code: %v", err)
	}
	// The device code is redacted in the request log.
	for _, req := range iss.Requests() {
		if v, ok := req.Params["device_code"]; ok && v != "[redacted]" {
			t.Errorf("logged device code %q", v)
		}
	}
	st := iss.Stats()
	if st.DeviceAuthorizations != 1 || st.DeviceGrants != 1 || st.DeviceSlowDowns != 1 {
		t.Errorf("stats %+v", st)
	}

	// Expiry and denial.
	dc, uc = deviceCode(t, iss, "tv")
	clk.Advance(10 * time.Minute)
	if r := post(t, iss, devicePoll(dc, "tv"), false); r.str("error") != "expired_token" {
		t.Errorf("expired: %d %s", r.status, r.raw)
	}
	dc, uc = deviceCode(t, iss, "tv")
	iss.DenyDevice(uc)
	clk.Advance(5 * time.Second)
	if r := post(t, iss, devicePoll(dc, "tv"), false); r.str("error") != "access_denied" {
		t.Errorf("denied: %d %s", r.status, r.raw)
	}
}

func TestClientAuthMethodRequired(t *testing.T) {
	iss := start(t, oauthtest.Options{Clients: []oauthtest.ClientReg{
		{ID: "b", Secret: "s", AuthMethod: "client_secret_basic"},
		{ID: "p", Secret: "s", AuthMethod: "client_secret_post"},
	}})
	basic := func(id string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(id, "s") }
	}
	for _, tc := range []struct {
		id     string
		params map[string]string
		mod    []func(*http.Request)
		want   int
	}{
		{"b", map[string]string{"client_id": "b", "client_secret": "s"}, nil, 401},
		{"b", map[string]string{}, []func(*http.Request){basic("b")}, 200},
		{"p", map[string]string{}, []func(*http.Request){basic("p")}, 401},
		{"p", map[string]string{"client_id": "p", "client_secret": "s"}, nil, 200},
	} {
		tc.params["grant_type"] = "refresh_token"
		tc.params["refresh_token"] = iss.Mint(tc.id, "").RefreshToken.Reveal()
		r := post(t, iss, tc.params, false, tc.mod...)
		if r.status != tc.want {
			t.Errorf("%s, basic %v: %d %s", tc.id, tc.mod != nil, r.status, r.raw)
		}
		if r.status == 401 && !strings.Contains(r.str("error_description"), "supports client authentication method") {
			t.Errorf("description %q", r.str("error_description"))
		}
	}
	if _, err := oauthtest.Start(oauthtest.Options{Clients: []oauthtest.ClientReg{{ID: "x", AuthMethod: "private_key_jwt"}}}); err == nil {
		t.Error("unknown AuthMethod accepted")
	}
}

func TestMockOIDCOptions(t *testing.T) {
	iss := start(t, oauthtest.Options{AccessTTL: 2 * time.Minute, NanosecondExpiresIn: true, JWTAccessTokens: true, NoRefreshToken: true})
	tok := iss.Mint(oauthtest.DefaultClientID, "openid")
	parts := strings.Split(tok.AccessToken.Reveal(), ".")
	if len(parts) != 3 || !tok.RefreshToken.IsZero() || !iss.Valid(tok.AccessToken.Reveal()) {
		t.Fatalf("token %+v", tok)
	}
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Exp int64  `json:"exp"`
		Jti string `json:"jti"`
	}
	if json.Unmarshal(claims, &c) != nil || c.Exp != tok.Expiry.Unix() || !strings.HasPrefix(c.Jti, oauthtest.AccessTokenPrefix) {
		t.Errorf("claims %s", claims)
	}
}
