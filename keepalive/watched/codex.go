package watched

import (
	"path/filepath"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Codex is the OpenAI Codex CLI.
const Codex Kind = "codex"

// codexTool: ${CODEX_HOME:-~/.codex}/auth.json. Where Codex keeps the login
// is its own setting `cli_auth_credentials_store` in
// ${CODEX_HOME:-~/.codex}/config.toml: "file" (the default), "keyring"
// (the OS keyring, service "Codex Auth": expiry unknown), "auto" (the
// keyring, with auth.json as fallback: the file when it exists) or
// "ephemeral" (memory only).
var codexTool = Tool{
	Kind:  Codex,
	Title: "Codex CLI",
	Discover: func(env Env) []Source {
		dir := env.CodexHome
		if dir == "" {
			dir = filepath.Join(env.Home, ".codex")
		}
		return []Source{codexSource(string(Codex), filepath.Join(dir, "auth.json"), nil)}
	},
	NewSource: func(env Env, name, path string) []Source {
		var loginEnv []string
		if dir := filepath.Dir(path); dir != filepath.Join(env.Home, ".codex") {
			loginEnv = []string{"CODEX_HOME=" + dir}
		}
		return []Source{codexSource(name, path, loginEnv)}
	},
	Parse: func(_ string, data []byte) (Meta, error) { return ParseCodex(data) },
	Read: func(src Source) (Meta, error) {
		switch mode := codexStoreMode(src.Settings); {
		case mode == "keyring" || mode == "auto" && !fileExists(src.Path):
			return Meta{Mode: KeyringLogin, Method: "the OS keyring"}, nil
		case mode == "ephemeral":
			return Meta{Mode: KeyringLogin, Method: "memory only"}, nil
		}
		return readFile(src)
	},
	Status: []string{"codex", "login", "status"},
}

func codexSource(name, path string, loginEnv []string) Source {
	s := Source{Kind: Codex, Name: name, Path: path, Settings: filepath.Join(filepath.Dir(path), "config.toml"),
		DefaultLogin: []string{"codex", "login"}, LoginEnv: loginEnv}
	mode := codexStoreMode(s.Settings)
	s.Exists = fileExists(path) || mode == "keyring" || mode == "auto"
	return s
}

// codexStoreMode returns cli_auth_credentials_store from Codex's
// config.toml ("" when unset or unreadable: Codex's default, "file").
func codexStoreMode(configPath string) string {
	data, err := readStore(configPath)
	if err != nil {
		return ""
	}
	var cfg struct {
		Store string `toml:"cli_auth_credentials_store"`
	}
	if toml.Unmarshal(data, &cfg) != nil {
		return ""
	}
	return cfg.Store
}

// ParseCodex parses the Codex CLI's auth.json (serde_json::to_string_pretty
// of codex-rs AuthDotJson):
//
//	{"auth_mode": "chatgpt"|"apikey"|"agentIdentity"|..., "OPENAI_API_KEY",
//	 "tokens": {"id_token" (JWT), "access_token" (JWT), "refresh_token",
//	  "account_id"}, "last_refresh" (RFC 3339), "agent_identity", ...}
//
// API-key, agent-identity and personal-access-token logins are not OAuth
// logins (Meta.Mode [NotOAuthLogin]); a document with no login at all is
// [SignedOut]. The access token's expiry is the JWT "exp" claim (RFC 7519
// §4.1.4), read from the payload without verifying the signature; an access
// token that is not a readable JWT gives an unknown expiry. The email and
// plan come from the id_token's claims when present.
func ParseCodex(data []byte) (Meta, error) {
	root, err := parseObject(data)
	if err != nil {
		return Meta{}, err
	}
	mode, err := optString(root, "auth_mode", "auth_mode")
	if err != nil {
		return Meta{}, err
	}
	// Whether the other credentials are there (their types do not matter).
	var secrets [3]bool
	for i, k := range []string{"OPENAI_API_KEY", "agent_identity", "personal_access_token"} {
		kind := kindOf(root[k])
		secrets[i] = kind != "missing" && kind != "null" && string(root[k]) != `""`
	}
	_, hasTokens := root["tokens"]
	hasTokens = hasTokens && kindOf(root["tokens"]) != "null"
	switch {
	case mode == "apikey" || mode == "" && !hasTokens && secrets[0]:
		return Meta{Mode: NotOAuthLogin, Method: "API key"}, nil
	case mode == "agentIdentity" || mode == "" && !hasTokens && secrets[1]:
		return Meta{Mode: NotOAuthLogin, Method: "agent identity"}, nil
	case mode == "chatgptAuthTokens":
		return Meta{Mode: NotOAuthLogin, Method: "tokens managed by another app"}, nil
	case mode == "" && !hasTokens && secrets[2]:
		return Meta{Mode: NotOAuthLogin, Method: "personal access token"}, nil
	case mode == "" && !hasTokens:
		return Meta{Mode: SignedOut}, nil
	}
	o, err := requireObject(root, "tokens", "tokens")
	if err != nil {
		return Meta{}, err
	}
	var m Meta
	at, err := optString(o, "access_token", "tokens.access_token")
	if err != nil {
		return Meta{}, err
	}
	if c, ok := jwtClaims(at); ok {
		m.AccessExpiry = c.expiry()
	}
	rt, err := optString(o, "refresh_token", "tokens.refresh_token")
	if err != nil {
		return Meta{}, err
	}
	m.HasRefreshToken = rt != ""
	idt, err := optString(o, "id_token", "tokens.id_token")
	if err != nil {
		return Meta{}, err
	}
	if c, ok := jwtClaims(idt); ok {
		m.Email = c.Email
		m.Plan = c.PlanType
	}
	if m.AccountID, err = optString(o, "account_id", "tokens.account_id"); err != nil {
		return Meta{}, err
	}
	lr, err := optString(root, "last_refresh", "last_refresh")
	if err != nil {
		return Meta{}, err
	}
	if lr != "" {
		t, perr := time.Parse(time.RFC3339Nano, lr)
		if perr != nil {
			return Meta{}, malformed("last_refresh", "want an RFC 3339 time")
		}
		m.LastRefresh = t
	}
	return m, nil
}
