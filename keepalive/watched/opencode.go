package watched

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
)

// Opencode is opencode (sst/opencode).
const Opencode Kind = "opencode"

// opencodeTool: ${XDG_DATA_HOME:-~/.local/share}/opencode/auth.json, one
// source per OAuth provider entry, named "opencode-<provider>"; a single
// source named "opencode" with no Provider when the file is missing,
// unreadable or has no OAuth entry. Entries of type "api" and "wellknown"
// are not OAuth logins and are not shown. `opencode auth login` asks
// questions, so it runs in a terminal window, with `--provider` set to the
// entry's provider.
var opencodeTool = Tool{
	Kind:  Opencode,
	Title: "opencode",
	Discover: func(env Env) []Source {
		dataHome := env.XDGDataHome
		if dataHome == "" {
			dataHome = filepath.Join(env.Home, ".local", "share")
		}
		return opencodeSources(string(Opencode), filepath.Join(dataHome, "opencode", "auth.json"), nil)
	},
	NewSource: func(env Env, name, path string) []Source {
		var loginEnv []string
		// opencode finds auth.json under $XDG_DATA_HOME/opencode.
		if dir := filepath.Dir(path); filepath.Base(dir) == "opencode" && path != filepath.Join(env.Home, ".local", "share", "opencode", "auth.json") {
			loginEnv = []string{"XDG_DATA_HOME=" + filepath.Dir(dir)}
		}
		return opencodeSources(name, path, loginEnv)
	},
	Parse:      parseOpencodeEntry,
	MultiLogin: true,
}

// opencodeSources lists one source per OAuth entry of the opencode store at
// path; prefix is the name stem ("opencode" gives "opencode-anthropic").
func opencodeSources(prefix, path string, loginEnv []string) []Source {
	base := Source{Kind: Opencode, Name: prefix, Path: path, LoginEnv: loginEnv, LoginTerminal: true,
		DefaultLogin: []string{"opencode", "auth", "login"}}
	return perLogin(base, ParseOpencode, func(s Source, e OpencodeEntry) Source {
		s.Name, s.Provider = prefix+"-"+e.Provider, e.Provider
		s.DefaultLogin = []string{"opencode", "auth", "login", "--provider", e.Provider}
		return s
	})
}

func parseOpencodeEntry(provider string, data []byte) (Meta, error) {
	entries, err := ParseOpencode(data)
	if err != nil {
		return Meta{}, err
	}
	for _, e := range entries {
		if e.Provider == provider {
			return e.Meta, e.Err
		}
	}
	if m, ok := opencodeNonOAuth(data, provider); ok {
		return m, nil
	}
	if provider == "" {
		return Meta{}, fmt.Errorf("no opencode OAuth login: %w", ErrNotFound)
	}
	return Meta{}, fmt.Errorf("no opencode OAuth login for provider %q: %w", provider, ErrNotFound)
}

// opencodeNonOAuth reports the entry of provider (any entry, for "") when
// it is an API key or well-known login: not an OAuth login.
func opencodeNonOAuth(data []byte, provider string) (Meta, bool) {
	root, err := parseObject(data)
	if err != nil {
		return Meta{}, false
	}
	for _, p := range slices.Sorted(maps.Keys(root)) {
		if provider != "" && p != provider {
			continue
		}
		var e struct {
			Type string `json:"type"`
		}
		if kindOf(root[p]) != "an object" || json.Unmarshal(root[p], &e) != nil {
			continue
		}
		switch e.Type {
		case "api":
			return Meta{Mode: NotOAuthLogin, Method: "API key"}, true
		case "wellknown":
			return Meta{Mode: NotOAuthLogin, Method: "well-known provider token"}, true
		}
	}
	return Meta{}, false
}

// OpencodeEntry is one OAuth provider entry of opencode's auth.json. Err is
// a *atomicfile.MalformedError (fields relative to the entry) when the entry is an
// OAuth entry that cannot be understood.
type OpencodeEntry struct {
	Provider string
	Meta     Meta
	Err      error
}

// ParseOpencode parses opencode's auth.json (Auth.set: JSON with two-space
// indent, mode 0600):
//
//	{"<provider>": {"type": "oauth", "refresh", "access", "expires" (ms),
//	  "accountId"?, "enterpriseUrl"?}, "<p>": {"type": "api", "key"},
//	  "<url>": {"type": "wellknown", "key", "token"}, ...}
//
// It returns the OAuth entries sorted by provider. Entries that are not
// objects or whose "type" is not "oauth" (API keys, well-known auth) are
// skipped: they are not OAuth logins. The error is non-nil only when the
// document itself is unusable.
func ParseOpencode(data []byte) ([]OpencodeEntry, error) {
	root, err := parseObject(data)
	if err != nil {
		return nil, err
	}
	var out []OpencodeEntry
	for _, provider := range slices.Sorted(maps.Keys(root)) {
		var o map[string]json.RawMessage
		if kindOf(root[provider]) != "an object" || json.Unmarshal(root[provider], &o) != nil {
			continue
		}
		var typ string
		if kindOf(o["type"]) != "a string" || json.Unmarshal(o["type"], &typ) != nil || typ != "oauth" {
			continue
		}
		m, err := geminiLike(o, "access", "refresh", "expires", "")
		out = append(out, OpencodeEntry{Provider: provider, Meta: m, Err: err})
	}
	return out, nil
}
