package config

import (
	"errors"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
)

const good = `# my accounts
[account.work]
issuer    = "https://login.example.com"
client_id = "abc"
client_secret = "s3cr3t-value"
scopes    = ["openid", "offline_access"]
token_body = "json"
refresh_lead = "15m"
auth_params = { prompt = "consent" }

[account.work.redirect]
port = 8765
path = "/cb"

[account.home]
authorize_url = "https://idp.example/authorize"
token_url     = "https://idp.example/token"
client_id     = "xyz"
sign_in       = "device"

[watch.gemini]
enabled = false

[watch.claude-code]
warn_before = "72h"
login_command = ["claude", "auth", "login"]
check = true

[watch.opencode]
login_terminal = false
`

func TestParseGood(t *testing.T) {
	c, err := Parse("config.toml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Accounts) != 2 || c.Accounts[0].Name != "home" || c.Accounts[1].Name != "work" {
		t.Fatalf("accounts %+v", c.Accounts)
	}
	w, _ := c.Account("work")
	if w.Client.Endpoint.Issuer != "https://login.example.com" || w.Client.ClientID != "abc" || w.Client.ClientSecret.Reveal() != "s3cr3t-value" ||
		w.Client.TokenBody != oauthflow.BodyJSON || w.RefreshLead != 15*time.Minute || w.CheckInterval != DefaultCheckInterval ||
		w.SignIn.Redirect != (oauthflow.Redirect{Port: 8765, Path: "/cb"}) || w.SignIn.AuthParams["prompt"] != "consent" ||
		strings.Join(w.Client.Scopes, " ") != "openid offline_access" {
		t.Errorf("work = %+v", w)
	}
	h, _ := c.Account("home")
	if h.Client.TokenBody != oauthflow.BodyForm || h.RefreshLead != DefaultRefreshLead || h.Client.Endpoint.TokenURL != "https://idp.example/token" ||
		h.SignInMethod != "device" || w.SignInMethod != "" {
		t.Errorf("home = %+v", h)
	}
	if c.Watch["gemini"].Enabled || !c.Watch["claude-code"].Enabled || c.Watch["claude-code"].WarnBefore != 72*time.Hour {
		t.Errorf("watch = %+v", c.Watch)
	}
	if cc, oc := c.Watch["claude-code"], c.Watch["opencode"]; !cc.Check || cc.LoginTerminal != nil || oc.Check ||
		oc.LoginTerminal == nil || *oc.LoginTerminal {
		t.Errorf("check / login_terminal: %+v %+v", cc, oc)
	}
}

func TestParseErrorsNameFileLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"missing client_id", "[account.w]\nissuer = \"https://x.example\"\n", `c.toml:1: account "w".client_id: is required`},
		{"no endpoints", "\n[account.w]\nclient_id = \"a\"\n", `c.toml:2: account "w".issuer: set issuer`},
		{"bad token_body", "[account.w]\nclient_id = \"a\"\nissuer = \"https://x.example\"\ntoken_body = \"xml\"\n", `c.toml:4: account "w".token_body: must be "form" or "json"`},
		{"bad sign_in", "[account.w]\nclient_id = \"a\"\nissuer = \"https://x.example\"\nsign_in = \"paste\"\n", `c.toml:4: account "w".sign_in: must be "browser" or "device", not "paste"`},
		{"http not loopback", "[account.w]\nclient_id = \"a\"\nissuer = \"http://x.example\"\n", `c.toml:3: account "w".issuer:`},
		{"bad duration", "[account.w]\nclient_id = \"a\"\nissuer = \"https://x.example\"\nrefresh_lead = \"soon\"\n", `c.toml:4: account "w".refresh_lead: invalid duration "soon"`},
		{"wrong type", "[account.w]\nclient_id = 5\n", `c.toml:2: account "w".client_id: expected a string, not a number`},
		{"scopes not a list", "[account.w]\nclient_id = \"a\"\nscopes = \"openid\"\n", `c.toml:3: account "w".scopes: expected a list of strings, not a string`},
		{"redirect not a table", "[account.w]\nclient_id = \"a\"\nredirect = 5\n", `c.toml:3: account "w".redirect: expected a table, not a number`},
		{"port not a number", "[account.w]\nclient_id = \"a\"\n[account.w.redirect]\nport = \"x\"\n", `c.toml:4: account "w".redirect.port: expected a whole number, not a string`},
		{"auth_params not a table", "[account.w]\nclient_id = \"a\"\nauth_params = [1]\n", `c.toml:3: account "w".auth_params: expected a table of strings, not a list`},
		{"enabled not a bool", "[watch.x]\nenabled = \"yes\"\n", `c.toml:2: watch "x".enabled: expected true or false, not a string`},
		{"login_command not a list", "[watch.x]\nlogin_command = \"claude login\"\n", `c.toml:2: watch "x".login_command: expected a list of strings, not a string`},
		{"account not a table", "account = 5\n", `c.toml:1: account: expected tables, not a number`},
		{"unknown key", "[account.w]\nclient_id = \"a\"\nissuer = \"https://x.example\"\nscope = \"x\"\n", `c.toml:4: account "w".scope: unknown setting`},
		{"syntax", "[account.w\n", `c.toml:1:`},
		{"redirect host", "[account.w]\nclient_id = \"a\"\nissuer = \"https://x.example\"\n[account.w.redirect]\nhost = \"example.com\"\n", `c.toml:5: account "w".redirect.host: must be a loopback host`},
		{"names differing in case", "[account.work]\nclient_id = \"a\"\nissuer = \"https://x.example\"\n\n[account.WORK]\nclient_id = \"b\"\nissuer = \"https://y.example\"\n",
			`c.toml:1: account "work": differs from account "WORK" only in case; rename one`},
		{"bad name", "[account.\"a b\"]\nclient_id = \"a\"\nissuer = \"https://x.example\"\n", `c.toml:1: account "a b": invalid account name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.toml", []byte(tc.text))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %q\nwant prefix %q", err, tc.want)
			}
		})
	}
}

func TestSecretNotInErrors(t *testing.T) {
	_, err := Parse("c.toml", []byte("[account.w]\nclient_secret = \"hunter2-secret\"\nissuer = \"https://x.example\"\n"))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v", err)
	}
}

func TestLoadMissingFileIsEmpty(t *testing.T) {
	c, err := Load(filepath.Join(testfs.TempDir(t), "nope.toml"))
	if err != nil || c.Exists || len(c.Accounts) != 0 {
		t.Fatalf("Load missing: %+v, %v", c, err)
	}
	p := filepath.Join(testfs.TempDir(t), "config.toml")
	os.WriteFile(p, []byte(good), 0o600)
	c, err = Load(p)
	if err != nil || !c.Exists || len(c.Accounts) != 2 {
		t.Fatalf("Load: %+v, %v", c, err)
	}
}

func TestDefaultPathsFollowXDG(t *testing.T) {
	if os.PathSeparator != '/' {
		t.Skip("XDG layout is Linux/BSD")
	}
	t.Setenv("XDG_CONFIG_HOME", "/x/config")
	t.Setenv("XDG_DATA_HOME", "/x/data")
	t.Setenv("XDG_STATE_HOME", "/x/state")
	t.Setenv("XDG_RUNTIME_DIR", "/x/run")
	p, err := DefaultPaths()
	if err != nil {
		t.Fatal(err)
	}
	want := Paths{Config: "/x/config/tokentray/config.toml", Data: "/x/data/tokentray/tokens", State: "/x/state/tokentray", Runtime: "/x/run/tokentray"}
	if p != want && runtime.GOOS == "linux" {
		t.Errorf("paths = %+v, want %+v", p, want)
	}
}

func TestReadableClientSecretWarns(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	for _, tc := range []struct {
		name string
		text string
		mode os.FileMode
		warn bool
	}{
		{"secret, 0644", good, 0o644, true},
		{"secret, 0640", good, 0o640, true},
		{"secret, 0600", good, 0o600, false},
		{"no secret, 0644", "[account.w]\nclient_id = \"a\"\nissuer = \"https://x.example\"\n", 0o644, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(testfs.TempDir(t), "config.toml")
			if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(c.Warnings) > 0; got != tc.warn {
				t.Fatalf("warnings %q, want some: %v", c.Warnings, tc.warn)
			}
			if tc.warn {
				w := c.Warnings[0]
				if !strings.Contains(w, "client_secret") || !strings.Contains(w, "chmod 600 "+path) || strings.Contains(w, "s3cr3t") {
					t.Errorf("warning %q", w)
				}
			}
		})
	}
}

func TestDeviceAuthorizationURL(t *testing.T) {
	c, err := Parse("c.toml", []byte("[account.tv]\nclient_id = \"a\"\ntoken_url = \"https://x.example/token\"\ndevice_authorization_url = \"https://x.example/device\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := c.Account("tv"); a.Client.Endpoint.DeviceAuthURL != "https://x.example/device" {
		t.Errorf("account %+v", a)
	}
	_, err = Parse("c.toml", []byte("[account.tv]\nclient_id = \"a\"\nissuer = \"https://x.example\"\ndevice_authorization_url = \"http://x.example/device\"\n"))
	if err == nil || !strings.HasPrefix(err.Error(), `c.toml:4: account "tv".device_authorization_url:`) {
		t.Errorf("err = %v", err)
	}
}

func TestClientAuth(t *testing.T) {
	base := "[account.w]\nclient_id = \"a\"\nissuer = \"https://x.example\"\n"
	for _, tc := range []struct {
		text, want string
		auth       oauthflow.ClientAuth
	}{
		{base + "client_secret = \"s\"\nclient_auth = \"basic\"\n", "", oauthflow.AuthBasic},
		{base + "client_secret = \"s\"\nclient_auth = \"post\"\n", "", oauthflow.AuthPost},
		{base + "client_auth = \"none\"\n", "", oauthflow.AuthNone},
		{base + "client_secret = \"s\"\n", "", oauthflow.AuthAuto},
		{base + "client_auth = \"basic\"\n", `c.toml:4: account "w".client_auth: "basic" needs a client_secret`, ""},
		{base + "client_secret = \"s\"\nclient_auth = \"none\"\n", `c.toml:5: account "w".client_auth: "none" sends no secret`, ""},
		{base + "client_secret = \"s\"\nclient_auth = \"mtls\"\n", `c.toml:5: account "w".client_auth: must be "basic", "post" or "none", not "mtls"`, ""},
	} {
		c, err := Parse("c.toml", []byte(tc.text))
		if tc.want != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%q: err = %v, want %q", tc.text, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		if a, _ := c.Account("w"); a.Client.ClientAuth != tc.auth {
			t.Errorf("%q: ClientAuth %q, want %q", tc.text, a.Client.ClientAuth, tc.auth)
		}
	}
}
