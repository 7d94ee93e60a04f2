package config

import (
	"errors"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
)

func TestProviderAccount(t *testing.T) {
	c, err := Parse("config.toml", []byte(`
[account.corp]
provider  = "keycloak"
url       = "https://sso.example.com"
realm     = "main"
client_id = "tokentray"
auth_params = { kc_idp_hint = "github" }

[account.gl]
provider  = "gitlab"
client_id = "abc"
scopes    = ["read_api"]
git_hosts = ["GitLab.com"]

[account.g]
provider  = "google"
client_id = "x.apps.googleusercontent.com"
client_secret = "GOCSPX-desktop"
auth_params = { prompt = "select_account consent" }
`))
	if err != nil {
		t.Fatal(err)
	}
	kc, _ := c.Account("corp")
	if kc.Client.Endpoint.AuthURL != "https://sso.example.com/realms/main/protocol/openid-connect/auth" ||
		kc.Client.Endpoint.TokenURL != "https://sso.example.com/realms/main/protocol/openid-connect/token" ||
		kc.Client.Endpoint.DeviceAuthURL != "https://sso.example.com/realms/main/protocol/openid-connect/auth/device" ||
		strings.Join(kc.Client.Scopes, " ") != "openid offline_access" || kc.SignIn.AuthParams["kc_idp_hint"] != "github" ||
		kc.Provider != "keycloak" || kc.ProviderParams["realm"] != "main" || kc.GitUsername != "oauth2" {
		t.Errorf("keycloak account = %+v", kc)
	}
	gl, _ := c.Account("gl")
	if gl.Client.Endpoint.TokenURL != "https://gitlab.com/oauth/token" || strings.Join(gl.Client.Scopes, " ") != "read_api" ||
		gl.Client.AssumedLifetime != 2*time.Hour || strings.Join(gl.GitHosts, ",") != "gitlab.com" {
		t.Errorf("gitlab account = %+v", gl)
	}
	g, _ := c.Account("g")
	if g.SignIn.AuthParams["access_type"] != "offline" || g.SignIn.AuthParams["prompt"] != "select_account consent" {
		t.Errorf("google auth params = %v (the table's own must win, the preset's stay)", g.SignIn.AuthParams)
	}
	if c, ok := c.GitAccount("gitlab.COM", ""); !ok || c.Name != "gl" {
		t.Errorf("GitAccount(gitlab.com) = %v, %v", c.Name, ok)
	}
	if _, ok := c.GitAccount("gitlab.com", "someone"); ok {
		t.Error("GitAccount matched another user name")
	}
	if _, ok := c.GitAccount("github.com", ""); ok {
		t.Error("GitAccount matched an unlisted host")
	}
}

func TestProviderErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"[account.a]\nprovider = \"gogle\"\nclient_id = \"x\"\n", `config.toml:2: account "a".provider: unknown provider "gogle" (known: google, microsoft`},
		{"[account.a]\nprovider = \"google\"\nclient_id = \"x\"\n", `account "a".client_secret: is required for provider google`},
		{"[account.a]\nprovider = \"okta\"\nclient_id = \"x\"\n", `account "a".domain: is required`},
		{"[account.a]\nprovider = \"github\"\nclient_id = \"x\"\nclient_secret = \"s\"\nrealm = \"r\"\n", `config.toml:5: account "a".realm: not used by this provider`},
		{"[account.a]\nissuer = \"https://x.example\"\nclient_id = \"x\"\ntenant = \"t\"\n", `account "a".tenant: is a provider setting`},
		{"[account.a]\nissuer = \"https://x.example\"\nclient_id = \"x\"\ngit_hosts = [\"https://gitlab.com\"]\n", `git_hosts: "https://gitlab.com" is not a host name`},
	} {
		_, err := Parse("config.toml", []byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestAddProviderAccountWritesThePresetNotItsURLs(t *testing.T) {
	path := filepath.Join(testfs.TempDir(t), "config.toml")
	a := Account{Name: "ms", Provider: "microsoft", ProviderParams: map[string]string{"tenant": "contoso.example"}, Client: oauthflow.Client{ClientID: "cid"},
		GitUsername: DefaultGitUsername}
	got, err := CheckAccount(path, a)
	if err != nil {
		t.Fatal(err)
	}
	if got.Client.Endpoint.TokenURL != "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token" || got.SignIn.Redirect.Host != "localhost" {
		t.Errorf("checked account = %+v", got)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("CheckAccount wrote the file: %v", err)
	}
	if err := AddAccount(path, a); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	want := "[account.ms]\nprovider = 'microsoft'\ntenant = 'contoso.example'\nclient_id = 'cid'\n"
	if string(data) != want {
		t.Errorf("written:\n%s\nwant:\n%s", data, want)
	}
}

func TestRemoveAccount(t *testing.T) {
	const before = `# tokentray config
# (comments stay)

[account.home]
authorize_url = "https://idp.example/authorize"
token_url     = "https://idp.example/token"
client_id     = "xyz"

[account.work]   # the one to remove
issuer    = "https://login.example.com"
client_id = "abc"
# a comment inside work

[account.work.redirect]
port = 8765

# about gemini
[watch.gemini]
enabled = false
# trailing comment
`
	const after = `# tokentray config
# (comments stay)

[account.home]
authorize_url = "https://idp.example/authorize"
token_url     = "https://idp.example/token"
client_id     = "xyz"

# about gemini
[watch.gemini]
enabled = false
# trailing comment
`
	path := filepath.Join(testfs.TempDir(t), "config.toml")
	if err := os.WriteFile(path, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := RemoveAccount(path, "work"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != after {
		t.Fatalf("after remove:\n%s\nwant:\n%s", data, after)
	}
	if err := RemoveAccount(path, "work"); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("second remove: %v, want ErrNoAccount", err)
	}
	// The last table, then the file holds no account.
	if err := RemoveAccount(path, "home"); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(path)
	if want := "# tokentray config\n# (comments stay)\n\n# about gemini\n[watch.gemini]\nenabled = false\n# trailing comment\n"; string(data) != want {
		t.Fatalf("after second remove:\n%q\nwant:\n%q", data, want)
	}
}

func TestRemoveAccountRefusesWhatItCannotCut(t *testing.T) {
	const text = "[account]\nwork = { issuer = \"https://x.example\", client_id = \"a\" }\n"
	path := filepath.Join(testfs.TempDir(t), "config.toml")
	os.WriteFile(path, []byte(text), 0o600)
	if err := RemoveAccount(path, "work"); err == nil || !strings.Contains(err.Error(), "remove it by hand") {
		t.Fatalf("err = %v", err)
	}
	data, _ := os.ReadFile(path)
	if string(data) != text {
		t.Fatalf("file changed: %q", data)
	}
}
