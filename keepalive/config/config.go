// Package config reads tokentray's TOML configuration file.
//
// The file lives at <user config dir>/tokentray/config.toml. A missing file
// is not an error: tokentray then runs with no accounts. Every error names the
// file, the line and the field, e.g.
//
//	config.toml:7: account "work": client_id is required
//
// Owned accounts are tables under [account.<name>]; watched stores of other
// tools are tuned under [watch.<name>].
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/atomicfile"

	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
)

// Defaults for optional account settings.
const (
	DefaultRefreshLead   = 10 * time.Minute
	DefaultCheckInterval = 30 * time.Minute
)

// Config is the parsed configuration.
type Config struct {
	// Path is the file the configuration was read from (it may not exist).
	Path string
	// Exists reports whether Path existed.
	Exists bool
	// Accounts are the owned accounts, sorted by name.
	Accounts []Account
	// Watch holds per-store settings for watched accounts, keyed by the
	// table name ([watch.claude-code] -> "claude-code").
	Watch map[string]Watch
	// Warnings are problems that do not stop tokentray, such as a file
	// holding a client_secret that other users can read.
	Warnings []string
	// Source is the file's contents as read (nil when it did not exist):
	// what Follow compares later versions against.
	Source []byte
}

// Account is one owned account: tokentray is the OAuth client, with the
// client registration the user supplies.
//
// The file decodes straight into the types the engine and the OAuth
// client use (Client, SignIn), so a new setting touches its TOML field and
// its target type only; Owned is the account as the engine runs it.
type Account struct {
	Name string
	// Client is the OAuth client: the client registration (client_id,
	// client_secret, client_auth), the endpoints (issuer for OIDC
	// discovery, or explicit URLs that override it), scopes, token_body.
	Client oauthflow.Client
	// SignIn is the browser sign-in: the loopback redirect and extra
	// authorization request parameters (auth_params).
	SignIn        oauthflow.SignInOptions
	RefreshLead   time.Duration
	CheckInterval time.Duration
	// SignInMethod is how the account signs in: "browser" (the authorization
	// code flow), "device" (the device authorization grant, RFC 8628) or
	// "" (the browser, or the device grant on a machine without a display
	// when the server offers it).
	SignInMethod string

	// Provider names a preset (oauthflow/provider) that supplies the
	// endpoints, scopes and quirks; ProviderParams are its parameters
	// (tenant, url, domain, realm) as written in the file. Settings given
	// explicitly override the preset's.
	Provider       string
	ProviderParams map[string]string
	// GitHosts are the hosts `tokentray git-credential` serves this
	// account's token to, as password for GitUsername (default "oauth2").
	GitHosts    []string
	GitUsername string
}

// DefaultGitUsername is the user name git is given with an access token.
const DefaultGitUsername = "oauth2"

// Owned is the account as the engine runs it. Each call returns its own
// client, so an engine never shares one with the configuration.
func (a Account) Owned() keepalive.OwnedAccount {
	c := a.Client
	return keepalive.OwnedAccount{Name: a.Name, Client: &c, RefreshLead: a.RefreshLead, CheckInterval: a.CheckInterval,
		SignIn: a.SignIn, Device: a.SignInMethod == "device"}
}

// Owned is every owned account as the engine runs it.
func (c *Config) Owned() []keepalive.OwnedAccount {
	out := make([]keepalive.OwnedAccount, 0, len(c.Accounts))
	for _, a := range c.Accounts {
		out = append(out, a.Owned())
	}
	return out
}

// Watch tunes one watched store (another tool's credentials).
type Watch struct {
	Name string // table name
	// Enabled is false when the user switched the store off.
	Enabled      bool
	Kind         string   // for custom entries: claude-code, codex, gemini, opencode
	Path         string   // custom path
	Rename       string   // display name
	LoginCommand []string // replaces the owner's default login command
	CheckCommand []string // optional status command run on a schedule
	// Check runs the owner's own status command as the check command.
	Check bool
	// LoginTerminal runs the login command in a terminal window; nil
	// keeps the tool's default.
	LoginTerminal *bool
	WarnBefore    time.Duration
}

// Account returns the owned account with the given name.
func (c *Config) Account(name string) (Account, bool) {
	for _, a := range c.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return Account{}, false
}

// Error is a configuration error with its location.
type Error struct {
	Path  string
	Line  int // 0 when unknown
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.Path
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

type duration time.Duration

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (use e.g. \"10m\" or \"1h30m\")", b)
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", b)
	}
	*d = duration(v)
	return nil
}

type fileTOML struct {
	Account map[string]accountTOML `toml:"account"`
	Watch   map[string]watchTOML   `toml:"watch"`
}

type accountTOML struct {
	Issuer        string            `toml:"issuer"`
	AuthorizeURL  string            `toml:"authorize_url"`
	TokenURL      string            `toml:"token_url"`
	RevocationURL string            `toml:"revocation_url"`
	DeviceAuthURL string            `toml:"device_authorization_url"`
	ClientID      string            `toml:"client_id"`
	ClientSecret  string            `toml:"client_secret"`
	ClientAuth    string            `toml:"client_auth"`
	Scopes        []string          `toml:"scopes"`
	AuthParams    map[string]string `toml:"auth_params"`
	TokenBody     string            `toml:"token_body"`
	Redirect      struct {
		Host string `toml:"host"`
		Port *int   `toml:"port"`
		Path string `toml:"path"`
	} `toml:"redirect"`
	RefreshLead   *duration `toml:"refresh_lead"`
	CheckInterval *duration `toml:"check_interval"`
	SignIn        string    `toml:"sign_in"`
	Provider      string    `toml:"provider"`
	Tenant        string    `toml:"tenant"`
	URL           string    `toml:"url"`
	Domain        string    `toml:"domain"`
	Realm         string    `toml:"realm"`
	GitHosts      []string  `toml:"git_hosts"`
	GitUsername   string    `toml:"git_username"`
}

type watchTOML struct {
	Enabled       *bool     `toml:"enabled"`
	Kind          string    `toml:"kind"`
	Path          string    `toml:"path"`
	Name          string    `toml:"name"`
	LoginCommand  []string  `toml:"login_command"`
	CheckCommand  []string  `toml:"check_command"`
	Check         bool      `toml:"check"`
	LoginTerminal *bool     `toml:"login_terminal"`
	WarnBefore    *duration `toml:"warn_before"`
}

// Load reads the configuration at path. A missing file yields an empty
// configuration with Exists false.
func Load(path string) (*Config, error) {
	data, err := atomicfile.ReadFile(path, maxConfigSize)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{Path: path, Watch: map[string]Watch{}}, nil
	}
	if err != nil {
		return nil, &Error{Path: path, Msg: errText(err)}
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	c.Exists = true
	c.Source = data
	if fi, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o044 != 0 {
		for _, a := range c.Accounts {
			if !a.Client.ClientSecret.IsZero() {
				c.Warnings = append(c.Warnings, fmt.Sprintf(
					"%s holds a client_secret (account %q) and other users can read it (mode %04o); run: chmod 600 %s",
					path, a.Name, fi.Mode().Perm(), path))
				break
			}
		}
	}
	return c, nil
}

// maxConfigSize bounds what Load reads.
const maxConfigSize = 1 << 20

// errText is the system's description of a read error; the caller names
// the file.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse parses configuration text; path is used in error messages only.
func Parse(path string, data []byte) (*Config, error) {
	var f fileTOML
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, decodeError(path, err)
	}
	lines := keyLines(data)
	c := &Config{Path: path, Watch: map[string]Watch{}}
	for name, a := range f.Account {
		acc, err := a.account(name)
		if err != nil {
			err.Path = path
			err.Line = lines.find("account", name, err.key)
			return nil, &err.Error
		}
		c.Accounts = append(c.Accounts, acc)
	}
	sort.Slice(c.Accounts, func(i, j int) bool { return c.Accounts[i].Name < c.Accounts[j].Name })
	if err := caseClash(c.Accounts); err != nil {
		err.Path = path
		err.Line = lines.find("account", err.key, "")
		return nil, &err.Error
	}
	for name, w := range f.Watch {
		ww := Watch{Name: name, Enabled: w.Enabled == nil || *w.Enabled, Kind: w.Kind, Path: w.Path,
			Rename: w.Name, LoginCommand: w.LoginCommand, CheckCommand: w.CheckCommand,
			Check: w.Check, LoginTerminal: w.LoginTerminal}
		if w.WarnBefore != nil {
			ww.WarnBefore = time.Duration(*w.WarnBefore)
		}
		c.Watch[name] = ww
	}
	return c, nil
}

// caseClash reports two accounts whose names differ only in case: their
// token files would be one file on Windows and macOS, whose file systems
// ignore case.
func caseClash(accounts []Account) *fieldError {
	seen := map[string]string{}
	for _, a := range accounts {
		folded := strings.ToLower(a.Name)
		if other, ok := seen[folded]; ok {
			return &fieldError{Error: Error{
				Field: fmt.Sprintf("account %q", a.Name),
				Msg:   fmt.Sprintf("differs from account %q only in case; rename one (both would share one token file on Windows and macOS)", other),
			}, key: a.Name}
		}
		seen[folded] = a.Name
	}
	return nil
}

type fieldError struct {
	Error
	key string
}

func (a accountTOML) account(name string) (Account, *fieldError) {
	fail := func(key, format string, args ...any) (Account, *fieldError) {
		return Account{}, &fieldError{Error: Error{
			Field: fmt.Sprintf("account %q", name) + keySuffix(key),
			Msg:   fmt.Sprintf(format, args...),
		}, key: key}
	}
	if err := store.ValidName(name); err != nil {
		return fail("", "%v", err)
	}
	acc := Account{
		Name: name,
		Client: oauthflow.Client{
			ClientID: a.ClientID, ClientSecret: oauthflow.Secret(a.ClientSecret), Scopes: a.Scopes,
			TokenBody: oauthflow.BodyForm,
			Endpoint: oauthflow.Endpoint{Issuer: a.Issuer, AuthURL: a.AuthorizeURL, TokenURL: a.TokenURL,
				RevocationURL: a.RevocationURL, DeviceAuthURL: a.DeviceAuthURL},
		},
		SignIn: oauthflow.SignInOptions{
			AuthParams: a.AuthParams,
			Redirect:   oauthflow.Redirect{Host: a.Redirect.Host, Path: a.Redirect.Path},
		},
		RefreshLead: DefaultRefreshLead, CheckInterval: DefaultCheckInterval,
	}
	if acc.Client.ClientID == "" {
		return fail("client_id", "is required (the client ID of your own OAuth client registration)")
	}
	if key, msg := a.applyProvider(&acc); msg != "" {
		return fail(key, "%s", msg)
	}
	if key, msg := a.applyGit(&acc); msg != "" {
		return fail(key, "%s", msg)
	}
	if a.Provider == "" && a.Issuer == "" && (a.TokenURL == "" || (a.AuthorizeURL == "" && a.DeviceAuthURL == "")) {
		return fail("issuer", "set issuer (for OIDC discovery) or token_url and authorize_url (or device_authorization_url)")
	}
	for _, u := range []struct{ key, val string }{
		{"issuer", a.Issuer}, {"authorize_url", a.AuthorizeURL}, {"token_url", a.TokenURL}, {"revocation_url", a.RevocationURL},
		{"device_authorization_url", a.DeviceAuthURL},
	} {
		if u.val == "" {
			continue
		}
		if err := oauthflow.CheckURL(u.val); err != nil {
			return fail(u.key, "%v", err)
		}
	}
	switch a.SignIn {
	case "", "browser", "device":
		acc.SignInMethod = a.SignIn
	default:
		return fail("sign_in", "must be \"browser\" or \"device\", not %q", a.SignIn)
	}
	switch a.ClientAuth {
	case "":
	case "basic", "post":
		if a.ClientSecret == "" {
			return fail("client_auth", "%q needs a client_secret", a.ClientAuth)
		}
	case "none":
		if a.ClientSecret != "" {
			return fail("client_auth", "\"none\" sends no secret: remove client_secret, or choose \"basic\" or \"post\"")
		}
	default:
		return fail("client_auth", "must be \"basic\", \"post\" or \"none\", not %q", a.ClientAuth)
	}
	acc.Client.ClientAuth = oauthflow.ClientAuth(a.ClientAuth)
	switch a.TokenBody {
	case "", "form":
	case "json":
		acc.Client.TokenBody = oauthflow.BodyJSON
	default:
		return fail("token_body", "must be \"form\" or \"json\", not %q", a.TokenBody)
	}
	if a.Redirect.Port != nil {
		if p := *a.Redirect.Port; p < 0 || p > 65535 {
			return fail("redirect.port", "must be between 0 (any free port) and 65535")
		}
		acc.SignIn.Redirect.Port = *a.Redirect.Port
	}
	switch h := a.Redirect.Host; h {
	case "", "127.0.0.1", "localhost", "[::1]", "::1":
	default:
		return fail("redirect.host", "must be a loopback host (127.0.0.1, [::1] or localhost), not %q", h)
	}
	if p := a.Redirect.Path; p != "" && !strings.HasPrefix(p, "/") {
		return fail("redirect.path", "must start with /")
	}
	if a.RefreshLead != nil {
		acc.RefreshLead = time.Duration(*a.RefreshLead)
	}
	if a.CheckInterval != nil {
		if *a.CheckInterval < duration(time.Minute) {
			return fail("check_interval", "must be at least 1m")
		}
		acc.CheckInterval = time.Duration(*a.CheckInterval)
	}
	return acc, nil
}

func keySuffix(key string) string {
	if key == "" {
		return ""
	}
	return "." + key
}

func decodeError(path string, err error) error {
	var de *toml.DecodeError
	var se *toml.StrictMissingError
	switch {
	case errors.As(err, &se) && len(se.Errors) > 0:
		e := se.Errors[0]
		row, _ := e.Position()
		return &Error{Path: path, Line: row, Field: fieldName(e.Key()), Msg: "unknown setting"}
	case errors.As(err, &de):
		row, _ := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if m := typeMismatch.FindStringSubmatch(msg); m != nil {
			// go-toml names Go types ("struct field config.accountTOML.Scopes
			// of type []string"); people need the expected kind of value.
			msg = "expected " + goTypeWords(m[2]) + ", not " + tomlKindWords(m[1])
		}
		return &Error{Path: path, Line: row, Field: fieldName(de.Key()), Msg: msg}
	}
	return &Error{Path: path, Msg: err.Error()}
}

var typeMismatch = regexp.MustCompile(`^cannot decode TOML (\w+(?: \w+)?) into .* of type (.+)$`)

// fieldName spells a key as the other errors do: account "work".scopes.
func fieldName(key []string) string {
	if len(key) >= 2 && (key[0] == "account" || key[0] == "watch") {
		return fmt.Sprintf("%s %q", key[0], key[1]) + keySuffix(strings.Join(key[2:], "."))
	}
	return strings.Join(key, ".")
}

func goTypeWords(t string) string {
	switch {
	case t == "[]string":
		return "a list of strings"
	case t == "string":
		return "a string"
	case t == "bool", t == "*bool":
		return "true or false"
	case strings.HasSuffix(t, "int"), strings.HasSuffix(t, "int64"):
		return "a whole number"
	case strings.HasSuffix(t, "duration"):
		return "a duration such as \"10m\""
	case t == "map[string]string":
		return "a table of strings"
	case strings.HasPrefix(t, "map["):
		return "tables"
	case strings.HasPrefix(t, "struct"), strings.HasPrefix(t, "*struct"):
		return "a table"
	}
	return "another kind of value"
}

func tomlKindWords(k string) string {
	switch k {
	case "string":
		return "a string"
	case "integer", "float":
		return "a number"
	case "boolean":
		return "true or false"
	case "array":
		return "a list"
	case "inline table", "table":
		return "a table"
	}
	return "a " + k
}
