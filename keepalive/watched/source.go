package watched

import (
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

// Env is the part of the process environment that decides where the stores
// live. Tests build one by hand; the app uses [EnvFromOS].
type Env struct {
	GOOS            string // runtime.GOOS; "darwin" enables the Keychain lookup for Claude Code
	Home            string // the user's home directory
	XDGDataHome     string // $XDG_DATA_HOME (opencode)
	ClaudeConfigDir string // $CLAUDE_CONFIG_DIR
	CodexHome       string // $CODEX_HOME
	User            string // $USER, the Keychain account of Claude Code's item
	// Vars holds the other variables the tools read ([Tool.EnvVars]),
	// e.g. GEMINI_CLI_HOME or AWS_CONFIG_FILE; unset ones are absent.
	Vars map[string]string
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
	e.Vars = map[string]string{}
	for _, t := range tools {
		for _, k := range t.EnvVars {
			if v, ok := os.LookupEnv(k); ok {
				e.Vars[k] = v
			}
		}
	}
	e.Home, _ = os.UserHomeDir()
	if e.User == "" {
		if u, err := user.Current(); err == nil {
			e.User = u.Username
		}
	}
	return e
}

// Var returns the environment variable name (one of a tool's
// [Tool.EnvVars]), "" when unset.
func (e Env) Var(name string) string { return e.Vars[name] }

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
	// Settings is the tool's own settings file that decides where its
	// login lives (Codex: $CODEX_HOME/config.toml), or its encrypted
	// store (Gemini: gemini-credentials.json); empty when not relevant.
	Settings string
	// Keyring is set when the tool's settings say the login is kept in
	// the OS keyring (Gemini's GEMINI_FORCE_ENCRYPTED_FILE_STORAGE).
	Keyring bool
	// DefaultLogin is the owner's login command for this very login (with
	// the provider, profile or session it needs); nil when the tool has
	// none ([Tool.LoginURL] is opened instead).
	DefaultLogin []string
	// LoginEnv holds NAME=value pairs added to the environment of the
	// owner's login and check commands so they act on this store and not
	// the default one (CODEX_HOME, CLAUDE_CONFIG_DIR, GEMINI_CLI_HOME,
	// AWS_CONFIG_FILE).
	LoginEnv []string
	// LoginTerminal runs the login command in a terminal window, for
	// owners whose login asks questions (opencode).
	LoginTerminal bool
	// LoginCommand, CheckCommand and WarnBefore come from configuration
	// ([Override]); empty means the defaults ([Source.LoginAction],
	// no check command, [DefaultWarnBefore]).
	LoginCommand []string
	CheckCommand []string
	WarnBefore   time.Duration
}

// Discover lists the stores of every supported tool, in the order of
// [Kinds], whether or not they exist (see [Source.Exists]); each tool's
// file documents where it looks ([Tool.Discover]).
//
// Discover only stats files and reads small settings and index files
// (opencode's auth.json, Codex's config.toml, the AWS config); on macOS it
// asks `security` whether Claude Code's Keychain item exists, without
// reading its secret.
func Discover(env Env) []Source {
	var out []Source
	for _, t := range tools {
		out = append(out, t.Discover(env)...)
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
	// Check turns on the owner's own status command ([Tool.Status]) as
	// the check command when CheckCommand is empty.
	Check bool
	// LoginTerminal, when set, says whether the login runs in a terminal
	// window (nil keeps the tool's default).
	LoginTerminal *bool
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
		if path != "" && ToolFor(out[sel[0]].Kind).MultiLogin {
			// The entries depend on the file: rebuild them.
			prefix := string(out[sel[0]].Kind)
			if ov.Name != "" {
				prefix = ov.Name
			}
			repl := configure(newSource(env, out[sel[0]].Kind, prefix, path), ov)
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
	return ToolFor(kind).NewSource(env, name, path)
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
		if ov.LoginTerminal != nil {
			srcs[i].LoginTerminal = *ov.LoginTerminal
		}
		if ov.Check && len(srcs[i].CheckCommand) == 0 {
			srcs[i].CheckCommand = append([]string(nil), ToolFor(srcs[i].Kind).Status...)
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
