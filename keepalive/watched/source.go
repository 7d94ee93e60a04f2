package watched

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Kind names the tool that owns a watched login.
type Kind string

// The supported kinds. The string values are also the default source names
// (opencode sources are named "opencode-<provider>") and the keys of the
// `[watch.<kind>]` configuration tables.
const (
	ClaudeCode Kind = "claude-code"
	Codex      Kind = "codex"
	Gemini     Kind = "gemini"
	Opencode   Kind = "opencode"
)

// Kinds lists every supported kind in display order.
var Kinds = []Kind{ClaudeCode, Codex, Gemini, Opencode}

// Valid reports whether k is one of [Kinds].
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Env is the part of the process environment that decides where the stores
// live. Tests build one by hand; the app uses [EnvFromOS].
type Env struct {
	GOOS            string // runtime.GOOS; "darwin" enables the Keychain lookup for Claude Code
	Home            string // the user's home directory
	XDGDataHome     string // $XDG_DATA_HOME (opencode)
	ClaudeConfigDir string // $CLAUDE_CONFIG_DIR
	CodexHome       string // $CODEX_HOME
	User            string // $USER, the Keychain account of Claude Code's item
}

// EnvFromOS reads [Env] from the running process.
func EnvFromOS() Env {
	e := Env{
		GOOS:            runtime.GOOS,
		XDGDataHome:     os.Getenv("XDG_DATA_HOME"),
		ClaudeConfigDir: os.Getenv("CLAUDE_CONFIG_DIR"),
		CodexHome:       os.Getenv("CODEX_HOME"),
		User:            os.Getenv("USER"),
	}
	e.Home, _ = os.UserHomeDir()
	if e.User == "" {
		if u, err := user.Current(); err == nil {
			e.User = u.Username
		}
	}
	return e
}

// Source is one watched login.
type Source struct {
	Kind Kind
	// Name identifies the source in the UI and in configuration, e.g.
	// "claude-code" or "opencode-anthropic".
	Name string
	// Path is the store file. For a Keychain source it is the fallback
	// file, which is also watched.
	Path string
	// Provider is the opencode provider key inside auth.json (opencode
	// only). Empty for an opencode source whose file is missing, malformed
	// or holds no OAuth entry; re-run [Discover] when such a source changes.
	Provider string
	// KeychainService and KeychainAccount name the macOS Keychain generic
	// password that Claude Code uses on macOS. When KeychainService is set,
	// [Read] tries the Keychain first and falls back to Path.
	KeychainService string
	KeychainAccount string
	// KeychainDB is the Keychain database file whose changes [Watch]
	// reports for Keychain sources (macOS only; empty elsewhere).
	KeychainDB string
	// Exists reports whether the login was present when the source was
	// discovered: the file (or Keychain item) exists and, for opencode, the
	// provider entry is there. Sources that do not exist are usually shown
	// only when configured explicitly.
	Exists bool
	// LoginCommand, CheckCommand and WarnBefore come from configuration
	// ([Override]); empty means the defaults ([Source.LoginAction],
	// no check command, [DefaultWarnBefore]).
	LoginCommand []string
	CheckCommand []string
	WarnBefore   time.Duration
}

// ClaudeKeychainService returns the macOS Keychain service name Claude Code
// uses for the config directory dir: "Claude Code-credentials", plus "-" and
// the first 8 hex digits of SHA-256(dir) when CLAUDE_CONFIG_DIR is set
// (explicit). Claude Code hashes the directory string exactly as given (after
// Unicode NFC normalisation, which this function does not perform, so a
// non-NFC directory name will not match).
func ClaudeKeychainService(dir string, explicit bool) string {
	const base = "Claude Code-credentials"
	if !explicit {
		return base
	}
	sum := sha256.Sum256([]byte(dir))
	return base + "-" + hex.EncodeToString(sum[:])[:8]
}

// Discover lists the stores of every supported tool, in the order of
// [Kinds], whether or not they exist (see [Source.Exists]):
//
//   - Claude Code: ${CLAUDE_CONFIG_DIR:-~/.claude}/.credentials.json; on
//     macOS the Keychain item of [ClaudeKeychainService] (account $USER)
//     first, with the file as fallback.
//   - Codex: ${CODEX_HOME:-~/.codex}/auth.json (Codex's optional OS-keyring
//     mode is not read).
//   - Gemini: ~/.gemini/oauth_creds.json.
//   - opencode: ${XDG_DATA_HOME:-~/.local/share}/opencode/auth.json, one
//     source per OAuth provider entry, named "opencode-<provider>"; a single
//     source named "opencode" with no Provider when the file is missing,
//     unreadable or has no OAuth entry.
//
// Discover only stats files, reads opencode's auth.json and, on macOS, asks
// `security` whether the Keychain item exists (without reading its secret).
func Discover(env Env) []Source {
	var out []Source

	claudeDir := env.ClaudeConfigDir
	if claudeDir == "" {
		claudeDir = filepath.Join(env.Home, ".claude")
	}
	// Claude Code hashes $CLAUDE_CONFIG_DIR exactly as set, not cleaned.
	out = append(out, claudeSource(env, string(ClaudeCode), filepath.Join(claudeDir, ".credentials.json"), env.ClaudeConfigDir, env.ClaudeConfigDir != ""))

	codexDir := env.CodexHome
	if codexDir == "" {
		codexDir = filepath.Join(env.Home, ".codex")
	}
	p := filepath.Join(codexDir, "auth.json")
	out = append(out, Source{Kind: Codex, Name: string(Codex), Path: p, Exists: fileExists(p)})

	p = filepath.Join(env.Home, ".gemini", "oauth_creds.json")
	out = append(out, Source{Kind: Gemini, Name: string(Gemini), Path: p, Exists: fileExists(p)})

	dataHome := env.XDGDataHome
	if dataHome == "" {
		dataHome = filepath.Join(env.Home, ".local", "share")
	}
	out = append(out, opencodeSources(string(Opencode), filepath.Join(dataHome, "opencode", "auth.json"))...)
	return out
}

func claudeSource(env Env, name, path, configDir string, explicitDir bool) Source {
	s := Source{Kind: ClaudeCode, Name: name, Path: path}
	if env.GOOS == "darwin" {
		s.KeychainService = ClaudeKeychainService(configDir, explicitDir)
		s.KeychainAccount = env.User
		s.KeychainDB = filepath.Join(env.Home, "Library", "Keychains", "login.keychain-db")
	}
	s.Exists = fileExists(path) || (s.KeychainService != "" && keychainItemExists(s.KeychainService, s.KeychainAccount))
	return s
}

// opencodeSources lists one source per OAuth entry of the opencode store at
// path; prefix is the name stem ("opencode" gives "opencode-anthropic").
func opencodeSources(prefix, path string) []Source {
	data, err := readStore(path)
	if err != nil {
		// Missing: watch for it to appear. Unreadable or not a file: report
		// it through Read.
		return []Source{{Kind: Opencode, Name: prefix, Path: path, Exists: !errors.Is(err, ErrNotFound)}}
	}
	defer clear(data)
	entries, err := ParseOpencode(data)
	if err != nil || len(entries) == 0 {
		return []Source{{Kind: Opencode, Name: prefix, Path: path, Exists: err != nil}}
	}
	out := make([]Source, 0, len(entries))
	for _, e := range entries {
		out = append(out, Source{Kind: Opencode, Name: prefix + "-" + e.Provider, Path: path, Provider: e.Provider, Exists: true})
	}
	return out
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Override is one `[watch.<key>]` configuration table.
type Override struct {
	// Key is the table name. It selects, in this order: the source whose
	// Name equals Key; else every source of the Kind equal to Key (e.g.
	// "opencode" selects all opencode providers); else it declares a new
	// source (an extra account), which needs Kind and Path.
	Key  string
	Kind Kind
	// Name renames the selected source (when exactly one is selected) or
	// names the new one; empty keeps the name (new sources are named Key;
	// new opencode sources Key-<provider>).
	Name string
	// Path replaces the store file. "~/" is expanded against Env.Home;
	// other relative paths are rejected. For Claude Code on macOS the
	// Keychain service is derived from the file's directory.
	Path     string
	Disabled bool
	// LoginCommand, CheckCommand and WarnBefore are copied when set.
	LoginCommand []string
	CheckCommand []string
	WarnBefore   time.Duration
}

// Apply applies the overrides to srcs (as returned by [Discover]) in order
// and returns the new list: disabled sources are dropped, extra accounts are
// appended. Overrides that cannot be applied (a new source without a valid
// Kind or Path, a relative path) are skipped and reported in the joined
// error; the others still apply.
func Apply(env Env, srcs []Source, ovs []Override) ([]Source, error) {
	out := append([]Source(nil), srcs...)
	var errs []error
	for _, ov := range ovs {
		var path string
		if ov.Path != "" {
			p, err := expandPath(env, ov.Path)
			if err != nil {
				errs = append(errs, fmt.Errorf("watch.%s: %w", ov.Key, err))
				continue
			}
			path = p
		}
		if ov.Kind != "" && !ov.Kind.Valid() {
			errs = append(errs, fmt.Errorf("watch.%s: unknown kind %q (want one of %s)", ov.Key, ov.Kind, kindList()))
			continue
		}

		sel := selectSources(out, ov.Key)
		if len(sel) == 0 {
			kind := ov.Kind
			if kind == "" {
				errs = append(errs, fmt.Errorf("watch.%s: not a known kind or source; set kind and path to add an account", ov.Key))
				continue
			}
			if path == "" {
				errs = append(errs, fmt.Errorf("watch.%s: an extra %s account needs a path", ov.Key, kind))
				continue
			}
			if ov.Disabled {
				continue
			}
			name := ov.Name
			if name == "" {
				name = ov.Key
			}
			out = append(out, configure(newSource(env, kind, name, path), ov)...)
			continue
		}

		if ov.Disabled {
			out = removeIndexes(out, sel)
			continue
		}
		if ov.Kind != "" && ov.Kind != out[sel[0]].Kind {
			errs = append(errs, fmt.Errorf("watch.%s: kind %s does not match the %s source", ov.Key, ov.Kind, out[sel[0]].Kind))
			continue
		}
		if path != "" && out[sel[0]].Kind == Opencode {
			// The provider entries depend on the file: rebuild them.
			prefix := string(Opencode)
			if ov.Name != "" {
				prefix = ov.Name
			}
			repl := configure(opencodeSources(prefix, path), ov)
			rest := removeIndexes(out, sel[1:]) // sel is ascending: sel[0] keeps its index
			out = slices.Concat(rest[:sel[0]], repl, rest[sel[0]+1:])
			continue
		}
		for _, i := range sel {
			s := out[i]
			if path != "" {
				s = newSource(env, s.Kind, s.Name, path)[0]
			}
			if ov.Name != "" && len(sel) == 1 {
				s.Name = ov.Name
			}
			out[i] = configure([]Source{s}, ov)[0]
		}
	}
	return out, errors.Join(errs...)
}

func selectSources(srcs []Source, key string) []int {
	var sel []int
	for i, s := range srcs {
		if s.Name == key {
			return []int{i}
		}
	}
	for i, s := range srcs {
		if string(s.Kind) == key {
			sel = append(sel, i)
		}
	}
	return sel
}

func removeIndexes(srcs []Source, idx []int) []Source {
	if len(idx) == 0 {
		return srcs
	}
	drop := make(map[int]bool, len(idx))
	for _, i := range idx {
		drop[i] = true
	}
	out := srcs[:0:0]
	for i, s := range srcs {
		if !drop[i] {
			out = append(out, s)
		}
	}
	return out
}

func newSource(env Env, kind Kind, name, path string) []Source {
	switch kind {
	case ClaudeCode:
		// The config directory is the file's directory; it counts as an
		// explicit CLAUDE_CONFIG_DIR unless it is the default one.
		dir := filepath.Dir(path)
		if env.ClaudeConfigDir != "" && filepath.Clean(env.ClaudeConfigDir) == dir {
			dir = env.ClaudeConfigDir
		}
		explicit := env.ClaudeConfigDir != "" || dir != filepath.Join(env.Home, ".claude")
		return []Source{claudeSource(env, name, path, dir, explicit)}
	case Opencode:
		return opencodeSources(name, path)
	default:
		return []Source{{Kind: kind, Name: name, Path: path, Exists: fileExists(path)}}
	}
}

func configure(srcs []Source, ov Override) []Source {
	for i := range srcs {
		if len(ov.LoginCommand) > 0 {
			srcs[i].LoginCommand = append([]string(nil), ov.LoginCommand...)
		}
		if len(ov.CheckCommand) > 0 {
			srcs[i].CheckCommand = append([]string(nil), ov.CheckCommand...)
		}
		if ov.WarnBefore > 0 {
			srcs[i].WarnBefore = ov.WarnBefore
		}
	}
	return srcs
}

func expandPath(env Env, p string) (string, error) {
	switch {
	case p == "~":
		return env.Home, nil
	case strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`):
		return filepath.Join(env.Home, p[2:]), nil
	case filepath.IsAbs(p):
		return filepath.Clean(p), nil
	}
	return "", fmt.Errorf("path %q must be absolute or start with ~/", p)
}

// kindList names the kinds for people: "claude-code, codex, gemini or opencode".
func kindList() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
