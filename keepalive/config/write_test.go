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

func TestAddAccountKeepsExistingText(t *testing.T) {
	path := filepath.Join(testfs.TempDir(t), "tokentray", "config.toml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(good), 0o640); err != nil {
		t.Fatal(err)
	}
	add := Account{
		Name: "new", RefreshLead: 5 * time.Minute,
		Client: oauthflow.Client{Endpoint: oauthflow.Endpoint{Issuer: "https://idp.example"}, ClientID: "cid",
			Scopes: []string{"openid", "offline_access"}, TokenBody: oauthflow.BodyJSON},
		SignIn: oauthflow.SignInOptions{Redirect: oauthflow.Redirect{Port: 9000}, AuthParams: map[string]string{"prompt": "consent"}},
	}
	if err := AddAccount(path, add); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), good) {
		t.Fatalf("existing text changed:\n%s", data)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatalf("result does not parse: %v\n%s", err, data)
	}
	got, ok := c.Account("new")
	if !ok || got.Client.Endpoint.Issuer != add.Client.Endpoint.Issuer || got.Client.TokenBody != oauthflow.BodyJSON || got.RefreshLead != 5*time.Minute ||
		got.SignIn.Redirect.Port != 9000 || got.SignIn.AuthParams["prompt"] != "consent" || len(got.Client.Scopes) != 2 {
		t.Errorf("added account = %+v\n%s", got, data)
	}
	if len(c.Accounts) != 3 {
		t.Errorf("%d accounts", len(c.Accounts))
	}
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600: a write tightens the original 0640 (the file may hold a client secret)", st.Mode().Perm())
	}
	add2 := add
	add2.Name = "newer"
	if err := AddAccount(path, add2); err != nil {
		t.Fatalf("second account: %v", err)
	}
	if err := AddAccount(path, add); !errors.Is(err, ErrAccountExists) {
		t.Errorf("adding twice: %v", err)
	}
}

func TestAddAccountCreatesFile(t *testing.T) {
	path := filepath.Join(testfs.TempDir(t), "sub", "config.toml")
	if err := AddAccount(path, Account{Name: "w", Client: oauthflow.Client{Endpoint: oauthflow.Endpoint{TokenURL: "https://x.example/t", AuthURL: "https://x.example/a"}, ClientID: "c"}}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil || len(c.Accounts) != 1 {
		t.Fatalf("%+v %v", c, err)
	}
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
}

func TestAddAccountRefusesBadInputAndKeepsFile(t *testing.T) {
	path := filepath.Join(testfs.TempDir(t), "config.toml")
	os.WriteFile(path, []byte(good), 0o600)
	err := AddAccount(path, Account{Name: "x", Client: oauthflow.Client{ClientID: "c"}}) // no endpoints
	if err == nil || !strings.Contains(err.Error(), "issuer") {
		t.Fatalf("err = %v", err)
	}
	broken := "[account.w\n"
	os.WriteFile(path, []byte(broken), 0o600)
	if err := AddAccount(path, Account{Name: "x", Client: oauthflow.Client{ClientID: "c", Endpoint: oauthflow.Endpoint{Issuer: "https://i.example"}}}); err == nil {
		t.Fatal("appended to a broken file")
	}
	if data, _ := os.ReadFile(path); string(data) != broken {
		t.Error("broken file was modified")
	}
}
