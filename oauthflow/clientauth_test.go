package oauthflow_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// An ID and a secret with characters that RFC 6749 §2.3.1 form-encoding
// changes: a colon in the ID would split it wrongly without it.
const (
	authClientID = "my client:1"
	authSecret   = "p@ss w+rd:ü/1%"
)

func authIssuer(t *testing.T, method string, advertised []string) *oauthtest.Issuer {
	t.Helper()
	return startIssuer(t, oauthtest.Options{
		Clients:          []oauthtest.ClientReg{{ID: authClientID, Secret: authSecret, AuthMethod: method, RedirectURIs: oauthtest.DefaultRedirectURIs}},
		TokenAuthMethods: advertised,
		DeviceInterval:   -1, // no timing enforced: the polls use a real timer
	})
}

// allGrants runs a browser sign-in (code exchange), a refresh, a device
// sign-in and a revocation with c, and fails on the first error.
func allGrants(t *testing.T, iss *oauthtest.Issuer, c *oauthflow.Client) {
	t.Helper()
	ctx := context.Background()
	tok, err := browserSignIn(t, c)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if tok, err = c.Refresh(ctx, tok.RefreshToken); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	da, err := c.StartDevice(ctx, nil)
	if err != nil {
		t.Fatalf("device authorization: %v", err)
	}
	iss.ApproveDevice(da.UserCode)
	da.Interval = time.Millisecond
	if _, err := c.PollDevice(ctx, da); err != nil {
		t.Fatalf("device poll: %v", err)
	}
	if err := c.Revoke(ctx, tok.RefreshToken, "refresh_token"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if st := iss.Stats(); st.Revocations != 1 {
		t.Errorf("revocations %d", st.Revocations)
	}
}

// usedBasic checks how every token request authenticated.
func assertTokenRequests(t *testing.T, iss *oauthtest.Issuer, basic bool) {
	t.Helper()
	for _, r := range iss.Requests() {
		_, inBody := r.Params["client_secret"]
		if r.BasicAuth != basic || inBody == basic {
			t.Errorf("request %v: Basic %v, client_secret in the body %v", r.Params["grant_type"], r.BasicAuth, inBody)
		}
	}
}

func TestClientSecretBasic(t *testing.T) {
	iss := authIssuer(t, "client_secret_basic", nil)
	// Discovery offers client_secret_basic, so it is the default.
	c := &oauthflow.Client{ClientID: authClientID, ClientSecret: authSecret, Scopes: []string{"openid", "offline_access"},
		Endpoint: oauthflow.Endpoint{Issuer: iss.URL()}}
	allGrants(t, iss, c)
	assertTokenRequests(t, iss, true)
	// Discover keeps the choice along with the endpoints.
	d := &oauthflow.Client{ClientID: authClientID, ClientSecret: authSecret, Endpoint: oauthflow.Endpoint{Issuer: iss.URL()}}
	if err := d.Discover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Refresh(context.Background(), iss.Mint(authClientID, "").RefreshToken); err != nil {
		t.Errorf("refresh after Discover: %v", err)
	}

	// Without discovery the default is the body; the server's answer
	// names the method it wants.
	post := &oauthflow.Client{ClientID: authClientID, ClientSecret: authSecret, Endpoint: iss.Endpoint()}
	_, err := post.Refresh(context.Background(), iss.Mint(authClientID, "").RefreshToken)
	oe := asError(t, err)
	if oe.Code != "invalid_client" || !strings.Contains(err.Error(), "supports client authentication method 'client_secret_basic'") {
		t.Errorf("post to a basic-only client: %v", err)
	}
	assertNoSecrets(t, iss, err.Error(), authSecret)

	// Saying so explicitly works without discovery.
	post.ClientAuth = oauthflow.AuthBasic
	post.Scopes = []string{"openid", "offline_access"}
	iss2 := authIssuer(t, "client_secret_basic", nil)
	post.Endpoint = iss2.Endpoint()
	allGrants(t, iss2, post)
	assertTokenRequests(t, iss2, true)
}

func TestClientSecretPost(t *testing.T) {
	iss := authIssuer(t, "client_secret_post", nil)
	c := &oauthflow.Client{ClientID: authClientID, ClientSecret: authSecret, Scopes: []string{"openid", "offline_access"},
		Endpoint: oauthflow.Endpoint{Issuer: iss.URL()}, ClientAuth: oauthflow.AuthPost}
	allGrants(t, iss, c)
	assertTokenRequests(t, iss, false)

	basic := *c
	basic.ClientAuth = oauthflow.AuthBasic
	_, err := basic.Refresh(context.Background(), iss.Mint(authClientID, "").RefreshToken)
	if oe := asError(t, err); oe.Code != "invalid_client" || !strings.Contains(err.Error(), "'client_secret_post'") {
		t.Errorf("basic to a post-only client: %v", err)
	}

	// A server that offers only client_secret_post gets it by default.
	iss2 := authIssuer(t, "client_secret_post", []string{"client_secret_post"})
	auto := &oauthflow.Client{ClientID: authClientID, ClientSecret: authSecret, Scopes: []string{"openid", "offline_access"},
		Endpoint: oauthflow.Endpoint{Issuer: iss2.URL()}}
	allGrants(t, iss2, auto)
	assertTokenRequests(t, iss2, false)
}

func TestClientAuthNone(t *testing.T) {
	iss := startIssuer(t, oauthtest.Options{DeviceInterval: -1})
	c := signInClient(iss)
	c.ClientSecret = "not-to-be-sent"
	c.ClientAuth = oauthflow.AuthNone
	allGrants(t, iss, c)
	for _, r := range iss.Requests() {
		if _, ok := r.Params["client_secret"]; ok || r.BasicAuth || r.Params["client_id"] != oauthtest.DefaultClientID {
			t.Errorf("request %v", r.Params)
		}
	}
	c.ClientAuth = "mtls"
	if _, err := c.Refresh(context.Background(), "rt"); err == nil || !strings.Contains(err.Error(), `unknown client authentication method "mtls"`) {
		t.Errorf("err = %v", err)
	}
}
