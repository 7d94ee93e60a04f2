package provider_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/provider"
	"github.com/tokentray/tokentray/oauthflow/provider/providertest"
)

// presetCase is what a preset must produce: the provider's real URLs
// (written out here, not taken from the table) and its quirks.
type presetCase struct {
	name       string
	params     map[string]string
	auth       string // authorization endpoint (scheme, host, path)
	token      string
	revoke     string
	device     string
	query      map[string]string // required authorization request parameters
	scopes     []string          // scopes that must be requested
	secret     bool              // the token requests carry client_secret
	redirect   string            // redirect URI host
	lifetime   time.Duration     // expected access token lifetime
	loginLasts time.Duration     // expected refresh_token_expires_in, 0 for none
	gitHost    string
}

var presetCases = []presetCase{
	{
		name: "google", auth: "https://accounts.google.com/o/oauth2/v2/auth",
		token: "https://oauth2.googleapis.com/token", revoke: "https://oauth2.googleapis.com/revoke",
		query:  map[string]string{"access_type": "offline", "prompt": "consent"},
		scopes: []string{"openid"}, secret: true, redirect: "127.0.0.1", lifetime: time.Hour,
	},
	{
		name: "microsoft", params: map[string]string{"tenant": "contoso.example"},
		auth:   "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/authorize",
		token:  "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token",
		device: "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/devicecode",
		scopes: []string{"offline_access"}, redirect: "localhost", lifetime: time.Hour,
	},
	{
		name: "github", auth: "https://github.com/login/oauth/authorize", token: "https://github.com/login/oauth/access_token",
		device: "https://github.com/login/device/code",
		secret: true, redirect: "127.0.0.1", lifetime: 8 * time.Hour, loginLasts: 4380 * time.Hour, gitHost: "github.com",
	},
	{
		name: "gitlab", params: map[string]string{"url": "gitlab.example.com/"},
		auth: "https://gitlab.example.com/oauth/authorize", token: "https://gitlab.example.com/oauth/token",
		revoke: "https://gitlab.example.com/oauth/revoke", device: "https://gitlab.example.com/oauth/authorize_device", redirect: "127.0.0.1", lifetime: 2 * time.Hour,
		gitHost: "gitlab.example.com",
	},
	{
		name: "okta", params: map[string]string{"domain": "dev-123.okta.example"},
		auth:   "https://dev-123.okta.example/oauth2/default/v1/authorize",
		token:  "https://dev-123.okta.example/oauth2/default/v1/token",
		revoke: "https://dev-123.okta.example/oauth2/default/v1/revoke",
		device: "https://dev-123.okta.example/oauth2/default/v1/device/authorize",
		scopes: []string{"offline_access"}, redirect: "127.0.0.1", lifetime: time.Hour,
	},
	{
		name: "auth0", params: map[string]string{"domain": "https://example.eu.auth0.example"},
		auth: "https://example.eu.auth0.example/authorize", token: "https://example.eu.auth0.example/oauth/token",
		revoke: "https://example.eu.auth0.example/oauth/revoke", device: "https://example.eu.auth0.example/oauth/device/code",
		scopes: []string{"offline_access"}, redirect: "127.0.0.1", lifetime: time.Hour,
	},
	{
		name: "keycloak", params: map[string]string{"url": "https://sso.example.com/auth", "realm": "main"},
		auth:   "https://sso.example.com/auth/realms/main/protocol/openid-connect/auth",
		token:  "https://sso.example.com/auth/realms/main/protocol/openid-connect/token",
		revoke: "https://sso.example.com/auth/realms/main/protocol/openid-connect/revoke",
		device: "https://sso.example.com/auth/realms/main/protocol/openid-connect/auth/device",
		scopes: []string{"offline_access"}, redirect: "127.0.0.1", lifetime: time.Hour,
	},
}

func TestEveryPresetIsDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range provider.Presets {
		if !strings.Contains(string(readme), "| `"+p.Name+"` |") {
			t.Errorf("README's provider table has no row for %s", p.Name)
		}
		if p.Register == "" || p.Title == "" {
			t.Errorf("%s: Title and Register are needed for the help", p.Name)
		}
	}
}

func TestEveryPresetIsTested(t *testing.T) {
	var tested []string
	for _, c := range presetCases {
		tested = append(tested, c.name)
	}
	if !slices.Equal(tested, provider.Names()) {
		t.Fatalf("presets %v, tested %v: add a case for every preset", provider.Names(), tested)
	}
}

// TestPresetSignInAndRefresh signs in with each preset against the fake
// issuer behaving like that provider, on the preset's real URLs, then
// refreshes: the authorization URL, the token requests and the stored
// lifetimes must be what the provider needs and says.
func TestPresetSignInAndRefresh(t *testing.T) {
	for _, c := range presetCases {
		t.Run(c.name, func(t *testing.T) {
			p, err := provider.Lookup(c.name)
			if err != nil {
				t.Fatal(err)
			}
			s, err := p.Resolve(c.params)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Endpoint; got.AuthURL != c.auth || got.TokenURL != c.token || got.RevocationURL != c.revoke || got.DeviceAuthURL != c.device {
				t.Fatalf("endpoints = %q %q %q %q, want %q %q %q %q", got.AuthURL, got.TokenURL, got.RevocationURL, got.DeviceAuthURL,
					c.auth, c.token, c.revoke, c.device)
			}
			if s.GitHost != c.gitHost {
				t.Errorf("git host = %q, want %q", s.GitHost, c.gitHost)
			}
			b := providertest.For(c.name)
			srv, err := providertest.Start(s, b)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			client := &oauthflow.Client{
				ClientID: providertest.ClientID, Scopes: s.Scopes, Endpoint: s.Endpoint,
				HTTPClient: srv.Client(), AssumedLifetime: s.AssumedLifetime,
			}
			if s.SecretRequired {
				client.ClientSecret = oauthflow.Secret(b.ClientSecret)
			}
			start := time.Now()
			tok := signIn(t, srv, client, s)

			seen := srv.Seen()
			authReq := seen[0]
			if authReq.Path != mustURL(t, c.auth).Path {
				t.Errorf("first request %s %s, want the authorization endpoint", authReq.Method, authReq.Path)
			}
			for k, v := range c.query {
				if got := authReq.Query.Get(k); got != v {
					t.Errorf("authorization request %s=%q, want %q", k, got, v)
				}
			}
			for _, sc := range c.scopes {
				if !slices.Contains(strings.Fields(authReq.Query.Get("scope")), sc) {
					t.Errorf("scope %q not requested: %q", sc, authReq.Query.Get("scope"))
				}
			}
			ru := mustURL(t, authReq.Query.Get("redirect_uri"))
			if ru.Hostname() != c.redirect {
				t.Errorf("redirect_uri %s, want host %s", ru, c.redirect)
			}

			if tok.RefreshToken.IsZero() {
				t.Fatal("no refresh token: the preset misses what the provider needs for one")
			}
			checkLifetime(t, "access token", tok.Expiry, start, c.lifetime)
			if c.loginLasts > 0 {
				checkLifetime(t, "login", tok.RefreshExpiry, start, c.loginLasts)
			} else if !tok.RefreshExpiry.IsZero() {
				t.Errorf("login expiry %v, want none", tok.RefreshExpiry)
			}

			next, err := client.Refresh(context.Background(), tok.RefreshToken)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			checkLifetime(t, "refreshed access token", next.Expiry, start, c.lifetime)
			if !srv.Issuer.Valid(next.AccessToken.Reveal()) {
				t.Error("refreshed access token is not valid at the issuer")
			}

			seen = srv.Seen()
			var tokenReqs []providertest.Seen
			for _, r := range seen {
				if r.Path == mustURL(t, c.token).Path && r.Method == "POST" {
					tokenReqs = append(tokenReqs, r)
				}
			}
			if len(tokenReqs) != 2 || len(seen) != 3 {
				t.Fatalf("requests %+v, want authorization, code exchange and refresh (no discovery)", seen)
			}
			for n, r := range tokenReqs {
				if !strings.Contains(r.Accept, "application/json") {
					t.Errorf("token request %d: Accept %q", n, r.Accept)
				}
				if _, has := r.Params["client_secret"]; has != c.secret {
					t.Errorf("token request %d: client_secret sent = %v, want %v", n, has, c.secret)
				}
				if r.Params["client_id"] != providertest.ClientID {
					t.Errorf("token request %d: client_id %q", n, r.Params["client_id"])
				}
			}
			if tokenReqs[0].Params["grant_type"] != "authorization_code" || tokenReqs[1].Params["grant_type"] != "refresh_token" {
				t.Errorf("grant types %q, %q", tokenReqs[0].Params["grant_type"], tokenReqs[1].Params["grant_type"])
			}
		})
	}
}

// TestQuirksMatter shows the emulated providers are strict where the real
// ones are: without the preset's quirk there is no refresh token, or no
// token at all.
func TestQuirksMatter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		strip func(*provider.Settings, *oauthflow.Client)
	}{
		{"google", func(s *provider.Settings, c *oauthflow.Client) { s.AuthParams = nil }},
		{"microsoft", func(s *provider.Settings, c *oauthflow.Client) { c.Scopes = []string{"openid"} }},
		{"keycloak", func(s *provider.Settings, c *oauthflow.Client) { c.Scopes = []string{"openid"} }},
		{"gitlab", func(s *provider.Settings, c *oauthflow.Client) { c.AssumedLifetime = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var params map[string]string
			for _, c := range presetCases {
				if c.name == tc.name {
					params = c.params
				}
			}
			p, _ := provider.Lookup(tc.name)
			s, err := p.Resolve(params)
			if err != nil {
				t.Fatal(err)
			}
			b := providertest.For(tc.name)
			srv, err := providertest.Start(s, b)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			client := &oauthflow.Client{ClientID: providertest.ClientID, Scopes: s.Scopes, Endpoint: s.Endpoint,
				HTTPClient: srv.Client(), AssumedLifetime: s.AssumedLifetime, ClientSecret: oauthflow.Secret(b.ClientSecret)}
			tc.strip(&s, client)
			tok := signIn(t, srv, client, s)
			if tc.name == "gitlab" {
				if !tok.Expiry.IsZero() {
					t.Fatalf("expiry %v without the assumed lifetime", tok.Expiry)
				}
				return
			}
			if !tok.RefreshToken.IsZero() {
				t.Fatal("got a refresh token without the quirk: the emulation is not strict")
			}
		})
	}
	t.Run("github without Accept json", func(t *testing.T) {
		// The form-encoded answer GitHub gives without Accept:
		// application/json is not a token response to a JSON client.
		srv, err := providertest.Start(provider.Settings{Endpoint: oauthflow.Endpoint{
			AuthURL: "https://github.com/login/oauth/authorize", TokenURL: "https://github.com/login/oauth/access_token"}},
			providertest.For("github"))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		resp, err := srv.Client().PostForm("https://github.com/login/oauth/access_token", url.Values{
			"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {providertest.ClientID}, "client_secret": {"github-secret"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			t.Fatalf("content type %q, want form-encoded", ct)
		}
	})
	t.Run("google secret", func(t *testing.T) {
		p, _ := provider.Lookup("google")
		s, _ := p.Resolve(nil)
		srv, err := providertest.Start(s, providertest.For("google"))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		client := &oauthflow.Client{ClientID: providertest.ClientID, Scopes: s.Scopes, Endpoint: s.Endpoint, HTTPClient: srv.Client()}
		flow, err := client.StartSignIn(context.Background(), oauthflow.SignInOptions{AuthParams: s.AuthParams})
		if err != nil {
			t.Fatal(err)
		}
		defer flow.Close()
		srv.Browser().Open(flow.URL())
		_, err = flow.Wait(context.Background())
		var oe *oauthflow.Error
		if !errors.As(err, &oe) || oe.Code != "invalid_client" {
			t.Fatalf("sign-in without the desktop client's secret: %v, want invalid_client", err)
		}
	})
}

func TestResolveErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"okta", nil, "domain: is required"},
		{"keycloak", map[string]string{"url": "sso.example.com"}, "realm: is required"},
		{"google", map[string]string{"tenant": "x"}, "tenant: not used by this provider (it takes none)"},
		{"microsoft", map[string]string{"tenant": "a/b"}, "must not contain"},
		{"gitlab", map[string]string{"url": "http://gitlab.example.com"}, "must use https"},
		{"gitlab", map[string]string{"url": "https://gitlab.example.com/?x=1"}, "query"},
	} {
		p, err := provider.Lookup(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Resolve(tc.params)
		var pe *provider.ParamError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: %v, want a ParamError containing %q", tc.name, tc.params, err, tc.want)
		}
	}
	if _, err := provider.Lookup("gogle"); !errors.Is(err, provider.ErrUnknown) || !strings.Contains(err.Error(), "google") {
		t.Errorf("Lookup(gogle) = %v", err)
	}
}

// signIn runs the browser sign-in against the emulated provider.
func signIn(t *testing.T, srv *providertest.Server, client *oauthflow.Client, s provider.Settings) *oauthflow.Token {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	flow, err := client.StartSignIn(ctx, oauthflow.SignInOptions{
		AuthParams: s.AuthParams, Redirect: oauthflow.Redirect{Host: s.RedirectHost}})
	if err != nil {
		t.Fatal(err)
	}
	defer flow.Close()
	if err := srv.Browser().Open(flow.URL()); err != nil {
		t.Fatal(err)
	}
	tok, err := flow.Wait(ctx)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	return tok
}

func checkLifetime(t *testing.T, what string, exp, start time.Time, want time.Duration) {
	t.Helper()
	if got := exp.Sub(start); got < want-time.Minute || got > want+time.Minute {
		t.Errorf("%s lives %v, want about %v", what, got, want)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
