package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/oauthflow"
)

// ErrAccountExists is returned by AddAccount for a name already in use.
var ErrAccountExists = errors.New("an account with this name already exists")

// AddAccount appends an [account.<name>] table to the configuration file
// at path, creating it if needed. The existing text — comments, order,
// other tables — is kept byte for byte; the result is parsed before it is
// written (atomically), so a mistake never leaves a broken file behind.
func AddAccount(path string, a Account) error {
	_, data, err := withAccount(path, a)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o600)
}

// CheckAccount returns a as AddAccount would write and Load would then
// read it (a preset resolved, defaults applied), without writing: the
// caller can sign in first and write only once that worked.
func CheckAccount(path string, a Account) (Account, error) {
	acc, _, err := withAccount(path, a)
	return acc, err
}

// withAccount returns the file at path with a's table appended, and a as
// read back from that text.
func withAccount(path string, a Account) (Account, []byte, error) {
	old, err := atomicfile.ReadFile(path, maxConfigSize)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Account{}, nil, &Error{Path: path, Msg: err.Error()}
	}
	cur, err := Parse(path, old)
	if err != nil {
		return Account{}, nil, err
	}
	if _, ok := cur.Account(a.Name); ok {
		return Account{}, nil, fmt.Errorf("%s: account %q: %w", path, a.Name, ErrAccountExists)
	}
	table, err := accountTable(a)
	if err != nil {
		return Account{}, nil, err
	}
	var buf bytes.Buffer
	buf.Write(old)
	if len(old) > 0 {
		if !bytes.HasSuffix(old, []byte("\n")) {
			buf.WriteByte('\n')
		}
		buf.WriteByte('\n')
	}
	buf.Write(table)
	next, err := Parse(path, buf.Bytes())
	if err != nil {
		return Account{}, nil, fmt.Errorf("the new account would make the file invalid: %w", err)
	}
	acc, _ := next.Account(a.Name)
	return acc, buf.Bytes(), nil
}

// accountTable renders one account as TOML, leaving defaults out.
func accountTable(a Account) ([]byte, error) {
	c, ep, r := a.Client, a.Client.Endpoint, a.SignIn.Redirect
	t := accountOut{
		Issuer: ep.Issuer, AuthorizeURL: ep.AuthURL, TokenURL: ep.TokenURL, RevocationURL: ep.RevocationURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret.Reveal(), ClientAuth: string(c.ClientAuth), Scopes: c.Scopes, AuthParams: a.SignIn.AuthParams,
		Provider: a.Provider, Tenant: a.ProviderParams["tenant"], URL: a.ProviderParams["url"],
		Domain: a.ProviderParams["domain"], Realm: a.ProviderParams["realm"], GitHosts: a.GitHosts,
	}
	if a.GitUsername != DefaultGitUsername {
		t.GitUsername = a.GitUsername
	}
	if c.TokenBody != "" && c.TokenBody != "form" {
		t.TokenBody = string(c.TokenBody)
	}
	if a.RefreshLead != 0 && a.RefreshLead != DefaultRefreshLead {
		t.RefreshLead = a.RefreshLead.String()
	}
	if a.CheckInterval != 0 && a.CheckInterval != DefaultCheckInterval {
		t.CheckInterval = a.CheckInterval.String()
	}
	if r != (oauthflow.Redirect{}) {
		t.Redirect = &redirectOut{Host: r.Host, Port: r.Port, Path: r.Path}
	}
	out, err := toml.Marshal(map[string]map[string]accountOut{"account": {a.Name: t}})
	// The encoder also writes the implicit super-table header "[account]";
	// a second AddAccount would then define it twice.
	return bytes.TrimPrefix(out, []byte("[account]\n")), err
}

type accountOut struct {
	Provider      string            `toml:"provider,omitempty"`
	Tenant        string            `toml:"tenant,omitempty"`
	URL           string            `toml:"url,omitempty"`
	Domain        string            `toml:"domain,omitempty"`
	Realm         string            `toml:"realm,omitempty"`
	Issuer        string            `toml:"issuer,omitempty"`
	AuthorizeURL  string            `toml:"authorize_url,omitempty"`
	TokenURL      string            `toml:"token_url,omitempty"`
	RevocationURL string            `toml:"revocation_url,omitempty"`
	ClientID      string            `toml:"client_id"`
	ClientSecret  string            `toml:"client_secret,omitempty"`
	ClientAuth    string            `toml:"client_auth,omitempty"`
	Scopes        []string          `toml:"scopes,omitempty"`
	TokenBody     string            `toml:"token_body,omitempty"`
	RefreshLead   string            `toml:"refresh_lead,omitempty"`
	CheckInterval string            `toml:"check_interval,omitempty"`
	GitHosts      []string          `toml:"git_hosts,omitempty"`
	GitUsername   string            `toml:"git_username,omitempty"`
	AuthParams    map[string]string `toml:"auth_params,omitempty,inline"`
	Redirect      *redirectOut      `toml:"redirect,omitempty"`
}

type redirectOut struct {
	Host string `toml:"host,omitempty"`
	Port int    `toml:"port,omitempty"`
	Path string `toml:"path,omitempty"`
}
