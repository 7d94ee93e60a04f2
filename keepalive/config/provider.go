package config

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/tokentray/tokentray/oauthflow/provider"
)

// params returns the preset parameters written in the table.
func (a accountTOML) params() map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{
		provider.ParamTenant: a.Tenant, provider.ParamURL: a.URL,
		provider.ParamDomain: a.Domain, provider.ParamRealm: a.Realm,
	} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// applyProvider completes acc from the preset named by provider = "...":
// endpoints, scopes, authorization parameters and quirks the table does not
// set itself. It returns the offending key and a message on error.
func (a accountTOML) applyProvider(acc *Account) (key, msg string) {
	params := a.params()
	if a.Provider == "" {
		for k := range params {
			return k, "is a provider setting: set provider too (" + strings.Join(provider.Names(), ", ") + ")"
		}
		return "", ""
	}
	p, err := provider.Lookup(a.Provider)
	if err != nil {
		return "provider", err.Error()
	}
	s, err := p.Resolve(params)
	var pe *provider.ParamError
	if errors.As(err, &pe) {
		return pe.Param, pe.Msg
	}
	if err != nil {
		return "provider", err.Error()
	}
	acc.Provider, acc.ProviderParams = a.Provider, params
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&acc.Client.Endpoint.AuthURL, s.Endpoint.AuthURL)
	fill(&acc.Client.Endpoint.TokenURL, s.Endpoint.TokenURL)
	fill(&acc.Client.Endpoint.RevocationURL, s.Endpoint.RevocationURL)
	fill(&acc.Client.Endpoint.DeviceAuthURL, s.Endpoint.DeviceAuthURL)
	fill(&acc.SignIn.Redirect.Host, s.RedirectHost)
	if acc.Client.Scopes == nil {
		acc.Client.Scopes = s.Scopes
	}
	if len(s.AuthParams) > 0 {
		merged := maps.Clone(s.AuthParams)
		maps.Copy(merged, acc.SignIn.AuthParams) // the table's own win
		acc.SignIn.AuthParams = merged
	}
	acc.Client.AssumedLifetime = s.AssumedLifetime
	if s.SecretRequired && acc.Client.ClientSecret.IsZero() {
		return "client_secret", fmt.Sprintf("is required for provider %s (its token endpoint wants the secret, even of a desktop client)", p.Name)
	}
	return "", ""
}

// applyGit checks git_hosts and git_username.
func (a accountTOML) applyGit(acc *Account) (key, msg string) {
	for _, h := range a.GitHosts {
		if h == "" || strings.ContainsAny(h, "/ \t") || strings.Contains(h, "://") {
			return "git_hosts", fmt.Sprintf("%q is not a host name (write e.g. \"gitlab.example.com\")", h)
		}
		acc.GitHosts = append(acc.GitHosts, strings.ToLower(h))
	}
	acc.GitUsername = a.GitUsername
	if acc.GitUsername == "" {
		acc.GitUsername = DefaultGitUsername
	}
	return "", ""
}

// GitAccount returns the account that serves git credentials for host
// (and, when user is not "", that user name), or false.
func (c *Config) GitAccount(host, user string) (Account, bool) {
	host = strings.ToLower(host)
	for _, a := range c.Accounts {
		for _, h := range a.GitHosts {
			if h == host && (user == "" || user == a.GitUsername) {
				return a, true
			}
		}
	}
	return Account{}, false
}
