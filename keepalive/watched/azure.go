package watched

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Azure is the Azure CLI (`az`).
const Azure Kind = "azure"

// azureRefreshIdle is how long Microsoft Entra ID keeps an unused refresh
// token (its default inactivity lifetime, AADSTS700082): the login ends
// that long after the Azure CLI last used (and so replaced) it.
const azureRefreshIdle = 90 * 24 * time.Hour

// azureTool: ${AZURE_CONFIG_DIR:-~/.azure}/msal_token_cache.json, the MSAL
// token cache (json.dumps(cache, indent=4)), one watched login per MSAL
// account, named "azure-<username>" ("azure" while there is none). With
// `encrypt_token_cache` on (the default on Windows; [core] in
// $AZURE_CONFIG_DIR/config or AZURE_CORE_ENCRYPT_TOKEN_CACHE) the cache is
// msal_token_cache.bin, encrypted by the OS (DPAPI, Keychain, libsecret):
// kept in the OS keyring. Service principals are not OAuth user logins
// and are not shown.
var azureTool = Tool{
	Kind:    Azure,
	Title:   "Azure CLI",
	EnvVars: []string{"AZURE_CONFIG_DIR", "AZURE_CORE_ENCRYPT_TOKEN_CACHE"},
	Discover: func(env Env) []Source {
		dir := env.Var("AZURE_CONFIG_DIR")
		if dir == "" {
			dir = filepath.Join(env.Home, ".azure")
		}
		return azureSources(env, string(Azure), dir, nil)
	},
	NewSource: func(env Env, name, path string) []Source {
		dir := filepath.Dir(path)
		var loginEnv []string
		if dir != filepath.Join(env.Home, ".azure") {
			loginEnv = []string{"AZURE_CONFIG_DIR=" + dir}
		}
		return azureSources(env, name, dir, loginEnv)
	},
	Parse: parseAzureAccount,
	Read: func(src Source) (Meta, error) {
		if src.Keyring {
			return Meta{Mode: KeyringLogin, Method: "the OS keyring"}, nil
		}
		return readFile(src)
	},
	Status:     []string{"az", "account", "show"},
	MultiLogin: true,
}

func azureSources(env Env, prefix, dir string, loginEnv []string) []Source {
	base := Source{Kind: Azure, Name: prefix, Path: filepath.Join(dir, "msal_token_cache.json"),
		Settings: filepath.Join(dir, "config"), DefaultLogin: []string{"az", "login"}, LoginEnv: loginEnv}
	if azureEncrypted(env, base.Settings) {
		base.Path, base.Keyring = filepath.Join(dir, "msal_token_cache.bin"), true
		base.Exists = fileExists(base.Path)
		return []Source{base}
	}
	return perLogin(base, ParseAzureMSAL, func(s Source, a AzureAccount) Source {
		s.Name, s.Provider = prefix+"-"+safeName(a.Username), a.HomeAccountID
		return s
	})
}

// azureEncrypted reports the Azure CLI's encrypt_token_cache setting:
// AZURE_CORE_ENCRYPT_TOKEN_CACHE, else [core] encrypt_token_cache in its
// config file, else on for Windows only.
func azureEncrypted(env Env, configPath string) bool {
	v := env.Var("AZURE_CORE_ENCRYPT_TOKEN_CACHE")
	if v == "" {
		if data, err := readStore(configPath); err == nil {
			v = iniValue(data, "core", "encrypt_token_cache")
		}
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "yes", "true", "on":
		return true
	case "0", "no", "false", "off":
		return false
	}
	return env.GOOS == "windows"
}

// iniValue returns key in [section] of a configparser-style file.
func iniValue(data []byte, section, key string) string {
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || t[0] == '#' || t[0] == ';':
		case t[0] == '[':
			in = strings.TrimSpace(strings.Trim(t, "[]")) == section
		case in:
			if k, v, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == key {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// AzureAccount is one signed-in user of the Azure CLI's MSAL cache.
type AzureAccount struct {
	HomeAccountID string // MSAL home_account_id ("<oid>.<tenant>")
	Username      string // the account's username (e-mail)
	Meta          Meta
}

// ParseAzureMSAL parses an MSAL token cache:
//
//	{"Account": {k: {"home_account_id", "environment", "realm",
//	   "username", "authority_type", ...}},
//	 "RefreshToken": {k: {"home_account_id", "secret", "client_id",
//	   "last_modification_time" (Unix seconds, a string), ...}},
//	 "AccessToken": {k: {"home_account_id", "secret", "expires_on"
//	   (Unix seconds, a string), ...}}, "IdToken": {...}, "AppMetadata": {...}}
//
// It returns one entry per home_account_id of "Account", sorted by
// username. Meta.HasRefreshToken says whether a refresh token for the
// account is stored; Meta.AccessExpiry is the latest access token's
// expiry; Meta.LoginDeadline is the newest refresh token's last use plus
// Entra's 90-day inactivity lifetime; Meta.Email the username.
func ParseAzureMSAL(data []byte) ([]AzureAccount, error) {
	root, err := parseObject(data)
	if err != nil {
		return nil, err
	}
	section := func(name string) (map[string]map[string]json.RawMessage, error) {
		raw, ok := root[name]
		if !ok || kindOf(raw) == "null" {
			return nil, nil
		}
		o, err := requireObject(root, name, name)
		if err != nil {
			return nil, err
		}
		out := map[string]map[string]json.RawMessage{}
		for k, v := range o {
			var e map[string]json.RawMessage
			if kindOf(v) != "an object" || json.Unmarshal(v, &e) != nil {
				return nil, malformed(name, "want objects")
			}
			out[k] = e
		}
		return out, nil
	}
	accounts, err := section("Account")
	if err != nil {
		return nil, err
	}
	rts, err := section("RefreshToken")
	if err != nil {
		return nil, err
	}
	ats, err := section("AccessToken")
	if err != nil {
		return nil, err
	}
	byHome := map[string]*AzureAccount{}
	for _, k := range slices.Sorted(maps.Keys(accounts)) {
		e := accounts[k]
		home, err := optString(e, "home_account_id", "Account.home_account_id")
		if err != nil {
			return nil, err
		}
		user, err := optString(e, "username", "Account.username")
		if err != nil {
			return nil, err
		}
		if home == "" || byHome[home] != nil {
			continue
		}
		byHome[home] = &AzureAccount{HomeAccountID: home, Username: user, Meta: Meta{Email: user}}
	}
	for _, k := range slices.Sorted(maps.Keys(rts)) {
		e := rts[k]
		home, err := optString(e, "home_account_id", "RefreshToken.home_account_id")
		if err != nil {
			return nil, err
		}
		a := byHome[home]
		if a == nil {
			continue
		}
		secret, err := optString(e, "secret", "RefreshToken.secret")
		if err != nil {
			return nil, err
		}
		if secret == "" {
			continue
		}
		a.Meta.HasRefreshToken = true
		used, err := unixField(e, "last_modification_time", "RefreshToken.last_modification_time")
		if err != nil {
			return nil, err
		}
		if !used.IsZero() && used.Add(azureRefreshIdle).After(a.Meta.LoginDeadline) {
			a.Meta.LoginDeadline = used.Add(azureRefreshIdle)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ats)) {
		e := ats[k]
		home, err := optString(e, "home_account_id", "AccessToken.home_account_id")
		if err != nil {
			return nil, err
		}
		a := byHome[home]
		if a == nil {
			continue
		}
		exp, err := unixField(e, "expires_on", "AccessToken.expires_on")
		if err != nil {
			return nil, err
		}
		if exp.After(a.Meta.AccessExpiry) {
			a.Meta.AccessExpiry = exp
		}
	}
	out := make([]AzureAccount, 0, len(byHome))
	for _, a := range byHome {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b AzureAccount) int {
		return strings.Compare(a.Username+"\x00"+a.HomeAccountID, b.Username+"\x00"+b.HomeAccountID)
	})
	return out, nil
}

// unixField reads Unix seconds stored as a string (MSAL's schema) or a
// number; absent gives the zero time.
func unixField(o map[string]json.RawMessage, key, field string) (time.Time, error) {
	raw, ok := o[key]
	if !ok || kindOf(raw) == "null" {
		return time.Time{}, nil
	}
	var s string
	switch kindOf(raw) {
	case "a string":
		if json.Unmarshal(raw, &s) != nil {
			return time.Time{}, malformed(field, "invalid string")
		}
	case "a number":
		s = string(raw)
	default:
		return time.Time{}, malformed(field, "want Unix seconds, got "+kindOf(raw))
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 || n > maxMillis/1000 {
		return time.Time{}, malformed(field, "want Unix seconds")
	}
	return time.Unix(n, 0), nil
}

func parseAzureAccount(home string, data []byte) (Meta, error) {
	accts, err := ParseAzureMSAL(data)
	if err != nil {
		return Meta{}, err
	}
	for _, a := range accts {
		if a.HomeAccountID == home {
			return a.Meta, nil
		}
	}
	if home == "" && len(accts) == 0 {
		return Meta{Mode: SignedOut}, nil
	}
	return Meta{}, fmt.Errorf("no Azure CLI login for this account: %w", ErrNotFound)
}
