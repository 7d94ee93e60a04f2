// Package provider holds presets for well-known authorization servers:
// their endpoints and the quirks a generic OAuth client meets there, so an
// account needs only a provider name, a client ID and (for some) a tenant,
// URL, domain or realm — and no discovery request before sign-in.
//
// The presets are data: one entry of [Presets] per provider. To add one,
// append an entry (endpoint templates, scopes, authorization parameters,
// quirks, what to register), a case to the provider table test and a row
// to the README's provider table.
//
// The package lives under oauthflow because everything a preset says is
// about the authorization server (endpoints, request parameters, response
// quirks); it has no notion of files or accounts. keepalive/config turns a
// preset into an account, the CLI lists them.
package provider

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
)

// Param is a value a preset needs from the user, such as a tenant or a
// server URL. Its Name is the command-line flag (--tenant) and the
// config key (tenant = "...").
type Param struct {
	Name    string
	Default string // "" means required
	Help    string
}

// The parameter names presets use in their templates ({tenant} ...).
const (
	ParamTenant = "tenant"
	ParamURL    = "url"
	ParamDomain = "domain"
	ParamRealm  = "realm"
)

// Preset describes one provider. Endpoint fields are templates in which
// {name} is replaced by the value of parameter name; a {url} or {domain}
// value is normalised first (see [Preset.Resolve]).
type Preset struct {
	Name  string // as in --provider NAME and provider = "NAME"
	Title string // for people: "Microsoft Entra ID"
	// Params the templates use, in the order they are documented.
	Params []Param

	AuthURL, TokenURL, RevocationURL string
	// DeviceAuthURL is the device authorization endpoint (RFC 8628), for
	// machines without a browser; "" when the provider has none for this
	// kind of client.
	DeviceAuthURL string

	// Scopes requested when the user gives none.
	Scopes []string
	// AuthParams are added to the authorization request.
	AuthParams map[string]string
	// SecretRequired: the token endpoint wants client_secret even from a
	// desktop ("installed") client, which cannot keep it secret.
	SecretRequired bool
	// AssumedLifetime is the access token lifetime assumed when a token
	// response omits expires_in (see oauthflow.Client.AssumedLifetime).
	AssumedLifetime time.Duration
	// RedirectHost is the loopback host of the redirect URI the provider
	// accepts with any port; "" means 127.0.0.1.
	RedirectHost string
	// GitHost is a template of the host git uses for this provider, when
	// it is a git forge; "tokentray add" lists it in git_hosts.
	GitHost string

	// Register says what the user registers at the provider, for
	// `tokentray add --help` (the README's provider table says more).
	Register string
}

// Presets is the table of providers, in the order they are documented.
var Presets = []Preset{
	{
		Name: "google", Title: "Google",
		AuthURL:       "https://accounts.google.com/o/oauth2/v2/auth",
		TokenURL:      "https://oauth2.googleapis.com/token",
		RevocationURL: "https://oauth2.googleapis.com/revoke",
		Scopes:        []string{"openid", "email"},
		// Without access_type=offline Google issues no refresh token; after
		// the first consent only prompt=consent brings one again.
		AuthParams:     map[string]string{"access_type": "offline", "prompt": "consent"},
		SecretRequired: true,
		Register:       `OAuth client ID of type "Desktop app" (Google Cloud console, APIs & Services, Credentials); pass its ID and secret`,
	},
	{
		Name: "microsoft", Title: "Microsoft Entra ID",
		Params:        []Param{{Name: ParamTenant, Default: "common", Help: "tenant: common, organizations, consumers, a domain or a tenant ID"}},
		AuthURL:       "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
		TokenURL:      "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
		DeviceAuthURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
		// A refresh token only with offline_access; add API scopes
		// (https://graph.microsoft.com/User.Read) as needed.
		Scopes:       []string{"openid", "profile", "offline_access"},
		RedirectHost: "localhost",
		Register:     `app registration, platform "Mobile and desktop applications", redirect URI http://localhost/callback (any port)`,
	},
	{
		Name: "github", Title: "GitHub",
		AuthURL:       "https://github.com/login/oauth/authorize",
		TokenURL:      "https://github.com/login/oauth/access_token",
		DeviceAuthURL: "https://github.com/login/device/code",
		// The token endpoint answers form-encoded unless the request
		// says Accept: application/json, which every token request does.
		SecretRequired: true,
		GitHost:        "github.com",
		Register:       `GitHub App (user tokens expire: 8 h access, 6 months refresh) or OAuth App, callback URL http://127.0.0.1/callback (any port); pass its client ID and a client secret`,
	},
	{
		Name: "gitlab", Title: "GitLab",
		Params:        []Param{{Name: ParamURL, Default: "https://gitlab.com", Help: "GitLab instance URL"}},
		AuthURL:       "{url}/oauth/authorize",
		TokenURL:      "{url}/oauth/token",
		RevocationURL: "{url}/oauth/revoke",
		DeviceAuthURL: "{url}/oauth/authorize_device",
		Scopes:        []string{"openid", "read_repository", "write_repository"},
		// Some versions omit expires_in; tokens live 2 h from created_at.
		AssumedLifetime: 2 * time.Hour,
		GitHost:         "{host}",
		Register:        `application (User settings, Applications), not confidential, redirect URI http://127.0.0.1/callback, scopes openid read_repository write_repository`,
	},
	{
		Name: "okta", Title: "Okta",
		Params:        []Param{{Name: ParamDomain, Help: "Okta domain, e.g. dev-123456.okta.com"}},
		AuthURL:       "{domain}/oauth2/default/v1/authorize",
		TokenURL:      "{domain}/oauth2/default/v1/token",
		RevocationURL: "{domain}/oauth2/default/v1/revoke",
		DeviceAuthURL: "{domain}/oauth2/default/v1/device/authorize",
		Scopes:        []string{"openid", "profile", "offline_access"},
		Register:      `app integration "OIDC - OpenID Connect", type "Native Application", grant types Authorization Code and Refresh Token, sign-in redirect URI http://127.0.0.1/callback; uses the "default" authorization server`,
	},
	{
		Name: "auth0", Title: "Auth0",
		Params:        []Param{{Name: ParamDomain, Help: "Auth0 domain, e.g. example.eu.auth0.com"}},
		AuthURL:       "{domain}/authorize",
		TokenURL:      "{domain}/oauth/token",
		RevocationURL: "{domain}/oauth/revoke",
		DeviceAuthURL: "{domain}/oauth/device/code",
		Scopes:        []string{"openid", "profile", "offline_access"},
		Register:      `application of type "Native", allowed callback URL http://127.0.0.1/callback, refresh token rotation as you like; for an API's tokens add auth_params = { audience = "..." }`,
	},
	{
		Name: "keycloak", Title: "Keycloak",
		Params: []Param{
			{Name: ParamURL, Help: "Keycloak server URL, e.g. https://sso.example.com"},
			{Name: ParamRealm, Help: "realm name"},
		},
		AuthURL:       "{url}/realms/{realm}/protocol/openid-connect/auth",
		TokenURL:      "{url}/realms/{realm}/protocol/openid-connect/token",
		RevocationURL: "{url}/realms/{realm}/protocol/openid-connect/revoke",
		DeviceAuthURL: "{url}/realms/{realm}/protocol/openid-connect/auth/device",
		// offline_access gives an offline session: it survives the SSO
		// session and dies only after 30 idle days, which the keepalive
		// prevents.
		Scopes:   []string{"openid", "offline_access"},
		Register: `OpenID Connect client with Client authentication off and Standard flow on, valid redirect URI http://127.0.0.1/callback`,
	},
}

// ErrUnknown is wrapped by Lookup's error.
var ErrUnknown = errors.New("unknown provider")

// Names returns the preset names in table order.
func Names() []string {
	out := make([]string, len(Presets))
	for i, p := range Presets {
		out[i] = p.Name
	}
	return out
}

// Lookup returns the preset with the given name.
func Lookup(name string) (Preset, error) {
	for _, p := range Presets {
		if p.Name == name {
			return p, nil
		}
	}
	return Preset{}, fmt.Errorf("%w %q (known: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// Settings are a preset resolved with the user's parameters.
type Settings struct {
	Endpoint        oauthflow.Endpoint
	Scopes          []string
	AuthParams      map[string]string
	SecretRequired  bool
	AssumedLifetime time.Duration
	RedirectHost    string
	GitHost         string // "" when the provider is no git forge
}

// ParamError is a missing or invalid preset parameter.
type ParamError struct {
	Provider, Param, Msg string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("provider %s: %s: %s", e.Provider, e.Param, e.Msg)
}

// Resolve fills the templates with params (missing ones take their
// defaults). A url or domain value may be a bare host ("gitlab.example.com")
// or an https URL (http only for loopback hosts, as in tests); a trailing
// slash is dropped. A parameter the preset does not take is an error, so
// a typo is not silently ignored.
func (p Preset) Resolve(params map[string]string) (Settings, error) {
	vals := map[string]string{}
	for k, v := range params {
		if v == "" {
			continue
		}
		if !slices.ContainsFunc(p.Params, func(q Param) bool { return q.Name == k }) {
			return Settings{}, &ParamError{p.Name, k, "not used by this provider" + p.takes()}
		}
	}
	for _, q := range p.Params {
		v := params[q.Name]
		if v == "" {
			v = q.Default
		}
		if v == "" {
			return Settings{}, &ParamError{p.Name, q.Name, "is required (" + q.Help + ")"}
		}
		switch q.Name {
		case ParamURL, ParamDomain:
			u, err := baseURL(v)
			if err != nil {
				return Settings{}, &ParamError{p.Name, q.Name, err.Error()}
			}
			vals[q.Name] = u.String()
			vals["host"] = u.Host // with a port, as git names the host
		default:
			if strings.ContainsAny(v, "/?#% ") {
				return Settings{}, &ParamError{p.Name, q.Name, fmt.Sprintf("%q must not contain /, ?, #, %% or spaces", v)}
			}
			vals[q.Name] = url.PathEscape(v)
		}
	}
	fill := func(t string) string {
		for k, v := range vals {
			t = strings.ReplaceAll(t, "{"+k+"}", v)
		}
		return t
	}
	s := Settings{
		Endpoint: oauthflow.Endpoint{
			AuthURL: fill(p.AuthURL), TokenURL: fill(p.TokenURL), RevocationURL: fill(p.RevocationURL),
			DeviceAuthURL: fill(p.DeviceAuthURL),
		},
		Scopes:          slices.Clone(p.Scopes),
		SecretRequired:  p.SecretRequired,
		AssumedLifetime: p.AssumedLifetime,
		RedirectHost:    p.RedirectHost,
		GitHost:         fill(p.GitHost),
	}
	if len(p.AuthParams) > 0 {
		s.AuthParams = make(map[string]string, len(p.AuthParams))
		for k, v := range p.AuthParams {
			s.AuthParams[k] = v
		}
	}
	for _, u := range []string{s.Endpoint.AuthURL, s.Endpoint.TokenURL, s.Endpoint.RevocationURL, s.Endpoint.DeviceAuthURL} {
		if u == "" {
			continue
		}
		if err := oauthflow.CheckURL(u); err != nil {
			return Settings{}, &ParamError{p.Name, "url", err.Error()}
		}
	}
	return s, nil
}

func (p Preset) takes() string {
	if len(p.Params) == 0 {
		return " (it takes none)"
	}
	var names []string
	for _, q := range p.Params {
		names = append(names, q.Name)
	}
	return " (it takes " + strings.Join(names, ", ") + ")"
}

// baseURL accepts "host", "host:port" or an http(s) URL without query or
// fragment, and returns it without a trailing slash; https is assumed.
func baseURL(v string) (*url.URL, error) {
	if !strings.Contains(v, "://") {
		v = "https://" + v
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not a host name or URL", v)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q must not have a query, fragment or user name", v)
	}
	if err := oauthflow.CheckURL(u.String()); err != nil {
		return nil, err
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}
