package watched

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"regexp"

	"golang.org/x/text/unicode/norm"
)

// ClaudeCode is Claude Code (Anthropic).
const ClaudeCode Kind = "claude-code"

// claudeTool: ${CLAUDE_SECURESTORAGE_CONFIG_DIR:-${CLAUDE_CONFIG_DIR:-~/.claude}}/.credentials.json;
// on macOS the Keychain item of [ClaudeKeychainService] (account
// [ClaudeKeychainAccount]) first, with the file as fallback. A store
// without "claudeAiOauth" (after a Console login or a logout Claude Code
// deletes that key and keeps e.g. "mcpOAuth") is "not signed in", which is
// what `claude auth status` reports (loggedIn: false).
var claudeTool = Tool{
	Kind:    ClaudeCode,
	Title:   "Claude Code",
	EnvVars: []string{"CLAUDE_SECURESTORAGE_CONFIG_DIR"},
	Discover: func(env Env) []Source {
		dir, explicit := env.Var("CLAUDE_SECURESTORAGE_CONFIG_DIR"), true
		if dir == "" {
			dir = env.ClaudeConfigDir
		}
		if dir == "" {
			dir, explicit = filepath.Join(env.Home, ".claude"), false
		}
		// Claude Code hashes the directory exactly as set, not cleaned.
		return []Source{claudeSource(env, string(ClaudeCode), filepath.Join(dir, ".credentials.json"), dir, explicit, nil)}
	},
	NewSource: func(env Env, name, path string) []Source {
		// The config directory is the file's directory; it counts as an
		// explicit CLAUDE_CONFIG_DIR unless it is the default one.
		dir := filepath.Dir(path)
		for _, set := range []string{env.Var("CLAUDE_SECURESTORAGE_CONFIG_DIR"), env.ClaudeConfigDir} {
			if set != "" && filepath.Clean(set) == dir {
				dir = set
			}
		}
		def := filepath.Join(env.Home, ".claude")
		explicit := env.ClaudeConfigDir != "" || env.Var("CLAUDE_SECURESTORAGE_CONFIG_DIR") != "" || dir != def
		var loginEnv []string
		if dir != def {
			loginEnv = []string{"CLAUDE_CONFIG_DIR=" + dir}
		}
		return []Source{claudeSource(env, name, path, dir, explicit, loginEnv)}
	},
	Parse:  func(_ string, data []byte) (Meta, error) { return ParseClaude(data) },
	Status: []string{"claude", "auth", "status"},
}

func claudeSource(env Env, name, path, configDir string, explicitDir bool, loginEnv []string) Source {
	s := Source{Kind: ClaudeCode, Name: name, Path: path, LoginEnv: loginEnv,
		DefaultLogin: []string{"claude", "auth", "login"}}
	if env.GOOS == "darwin" {
		s.KeychainService = ClaudeKeychainService(configDir, explicitDir)
		s.KeychainAccount = ClaudeKeychainAccount(env.User)
		s.KeychainDB = filepath.Join(env.Home, "Library", "Keychains", "login.keychain-db")
	}
	s.Exists = claudeSignedIn(path) || (s.KeychainService != "" && keychainItemExists(s.KeychainService, s.KeychainAccount))
	return s
}

// claudeSignedIn reports whether the file at path holds a Claude login (a
// broken file counts: it is reported).
func claudeSignedIn(path string) bool {
	data, err := readStore(path)
	if err != nil {
		return fileExists(path)
	}
	defer clear(data)
	m, err := ParseClaude(data)
	return err != nil || m.Mode != SignedOut
}

// ClaudeKeychainService returns the macOS Keychain service name Claude Code
// uses for the config directory dir: "Claude Code-credentials", plus "-" and
// the first 8 hex digits of SHA-256(dir) when the directory was set
// explicitly (CLAUDE_CONFIG_DIR or CLAUDE_SECURESTORAGE_CONFIG_DIR). Like
// Claude Code, it hashes the directory string as given after Unicode NFC
// normalisation, so a directory typed in decomposed form (as macOS file
// dialogs produce) names the same item.
func ClaudeKeychainService(dir string, explicit bool) string {
	const base = "Claude Code-credentials"
	if !explicit {
		return base
	}
	sum := sha256.Sum256([]byte(norm.NFC.String(dir)))
	return base + "-" + hex.EncodeToString(sum[:])[:8]
}

var keychainAccountRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// ClaudeKeychainAccount returns the Keychain account of Claude Code's item:
// $USER when it matches ^[A-Za-z0-9._-]+$, else "claude-code-user".
func ClaudeKeychainAccount(user string) string {
	if keychainAccountRE.MatchString(user) {
		return user
	}
	return "claude-code-user"
}

// ParseClaude parses Claude Code's .credentials.json (or Keychain item):
//
//	{"claudeAiOauth": {"accessToken", "refreshToken", "expiresAt" (ms),
//	  "refreshTokenExpiresAt" (ms), "subscriptionType", ...}, ...}
//
// A document without "claudeAiOauth" (or with null) is a store without a
// login: Meta.Mode is [SignedOut]. Unknown fields are ignored.
func ParseClaude(data []byte) (Meta, error) {
	root, err := parseObject(data)
	if err != nil {
		return Meta{}, err
	}
	if raw, ok := root["claudeAiOauth"]; !ok || kindOf(raw) == "null" {
		return Meta{Mode: SignedOut}, nil
	}
	o, err := requireObject(root, "claudeAiOauth", "claudeAiOauth")
	if err != nil {
		return Meta{}, err
	}
	var m Meta
	if _, err := optString(o, "accessToken", "claudeAiOauth.accessToken"); err != nil {
		return Meta{}, err
	}
	rt, err := optString(o, "refreshToken", "claudeAiOauth.refreshToken")
	if err != nil {
		return Meta{}, err
	}
	m.HasRefreshToken = rt != ""
	if m.AccessExpiry, err = optMillis(o, "expiresAt", "claudeAiOauth.expiresAt"); err != nil {
		return Meta{}, err
	}
	if m.LoginDeadline, err = optMillis(o, "refreshTokenExpiresAt", "claudeAiOauth.refreshTokenExpiresAt"); err != nil {
		return Meta{}, err
	}
	if m.Plan, err = optString(o, "subscriptionType", "claudeAiOauth.subscriptionType"); err != nil {
		return Meta{}, err
	}
	return m, nil
}
