package watched

import (
	"errors"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func copyFixture(t *testing.T, kind Kind, name, dst string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, readFixture(t, kind, name), 0o600); err != nil {
		t.Fatal(err)
	}
}

func names(srcs []Source) string {
	var n []string
	for _, s := range srcs {
		n = append(n, s.Name)
	}
	return strings.Join(n, ",")
}

func byName(t *testing.T, srcs []Source, name string) Source {
	t.Helper()
	for _, s := range srcs {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no source %q in %s", name, names(srcs))
	return Source{}
}

// noSecurity makes sure no real Keychain is consulted.
func noSecurity(t *testing.T) {
	old := securityPath
	securityPath = filepath.Join(testfs.TempDir(t), "no-security")
	t.Cleanup(func() { securityPath = old })
}

func TestClaudeKeychainService(t *testing.T) {
	if got := ClaudeKeychainService("/Users/me/.claude", false); got != "Claude Code-credentials" {
		t.Fatalf("default = %q", got)
	}
	// Expected values computed independently (sha256sum).
	if got := ClaudeKeychainService("/Users/me/.claude-work", true); got != "Claude Code-credentials-1e91dd84" {
		t.Fatalf("hashed = %q", got)
	}
	if got := ClaudeKeychainService("/Users/me/.claude-work/", true); got != "Claude Code-credentials-d3ebdfac" {
		t.Fatalf("hashed with slash = %q (the directory string is hashed as given)", got)
	}
}

func TestDiscoverDefaults(t *testing.T) {
	noSecurity(t)
	home := testfs.TempDir(t)
	env := Env{GOOS: "linux", Home: home, User: "alice"}
	copyFixture(t, ClaudeCode, "healthy.json", filepath.Join(home, ".claude", ".credentials.json"))
	copyFixture(t, Codex, "healthy.json", filepath.Join(home, ".codex", "auth.json"))
	copyFixture(t, Opencode, "extra-fields.json", filepath.Join(home, ".local", "share", "opencode", "auth.json"))

	srcs := Discover(env)
	if got := names(srcs); got != "claude-code,codex,gemini,opencode-anthropic,opencode-github-copilot,azure" {
		t.Fatalf("names = %s", got)
	}
	want := map[string]struct {
		path   string
		exists bool
	}{
		"claude-code":             {filepath.Join(home, ".claude", ".credentials.json"), true},
		"codex":                   {filepath.Join(home, ".codex", "auth.json"), true},
		"gemini":                  {filepath.Join(home, ".gemini", "oauth_creds.json"), false},
		"opencode-anthropic":      {filepath.Join(home, ".local", "share", "opencode", "auth.json"), true},
		"opencode-github-copilot": {filepath.Join(home, ".local", "share", "opencode", "auth.json"), true},
		"azure":                   {filepath.Join(home, ".azure", "msal_token_cache.json"), false},
	}
	for _, s := range srcs {
		w := want[s.Name]
		if s.Path != w.path || s.Exists != w.exists || s.KeychainService != "" {
			t.Errorf("%s = %+v, want path %s exists %v, no keychain", s.Name, s, w.path, w.exists)
		}
	}
	if s := byName(t, srcs, "opencode-github-copilot"); s.Provider != "github-copilot" || s.Kind != Opencode {
		t.Errorf("copilot source = %+v", s)
	}
}

func TestDiscoverEnvOverrides(t *testing.T) {
	noSecurity(t)
	home, other := testfs.TempDir(t), testfs.TempDir(t)
	env := Env{GOOS: "windows", Home: home,
		ClaudeConfigDir: filepath.Join(other, "claude-work"),
		CodexHome:       filepath.Join(other, "codex"),
		XDGDataHome:     filepath.Join(other, "data"),
	}
	srcs := Discover(env)
	if got := names(srcs); got != "claude-code,codex,gemini,opencode,azure" {
		t.Fatalf("names = %s", got)
	}
	if s := srcs[0]; s.Path != filepath.Join(other, "claude-work", ".credentials.json") || s.Exists {
		t.Errorf("claude = %+v", s)
	}
	if s := srcs[1]; s.Path != filepath.Join(other, "codex", "auth.json") {
		t.Errorf("codex = %+v", s)
	}
	// opencode without a file: one placeholder source, watched so that the
	// file is noticed when it appears; reading it says "not signed in".
	oc := srcs[3]
	if oc.Path != filepath.Join(other, "data", "opencode", "auth.json") || oc.Exists || oc.Provider != "" {
		t.Errorf("opencode = %+v", oc)
	}
	if _, err := Read(oc); !errors.Is(err, ErrNotFound) {
		t.Errorf("Read(opencode placeholder) = %v, want ErrNotFound", err)
	}

	// A malformed opencode file: the placeholder exists and reads as broken.
	copyFixture(t, Opencode, "malformed.json", oc.Path)
	oc = Discover(env)[3]
	if oc.Name != "opencode" || !oc.Exists {
		t.Fatalf("opencode (malformed) = %+v", oc)
	}
	_, err := Read(oc)
	var me *atomicfile.MalformedError
	if !errors.As(err, &me) || me.Path != oc.Path {
		t.Fatalf("Read(malformed opencode) = %v", err)
	}

	// Only API keys: nothing to watch, but the placeholder stays.
	if err := os.WriteFile(oc.Path, []byte(`{"openrouter":{"type":"api","key":"k"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if oc = Discover(env)[3]; oc.Name != "opencode" || oc.Exists {
		t.Fatalf("opencode (API keys only) = %+v", oc)
	}
}

func TestApply(t *testing.T) {
	noSecurity(t)
	home := testfs.TempDir(t)
	env := Env{GOOS: "linux", Home: home}
	copyFixture(t, Opencode, "extra-fields.json", filepath.Join(home, ".local", "share", "opencode", "auth.json"))
	copyFixture(t, Codex, "healthy.json", filepath.Join(home, "alt-codex", "auth.json"))
	copyFixture(t, ClaudeCode, "healthy.json", filepath.Join(home, ".claude-work", ".credentials.json"))
	copyFixture(t, Opencode, "healthy.json", filepath.Join(home, "oc2", "auth.json"))
	base := Discover(env)

	t.Run("disable kind and single source", func(t *testing.T) {
		got, err := Apply(env, base, []Override{{Key: "gemini", Disabled: true}, {Key: "opencode-anthropic", Disabled: true}})
		if err != nil || names(got) != "claude-code,codex,opencode-github-copilot,azure" {
			t.Fatalf("got %s, %v", names(got), err)
		}
		got, _ = Apply(env, base, []Override{{Key: "opencode", Disabled: true}})
		if names(got) != "claude-code,codex,gemini,azure" {
			t.Fatalf("got %s", names(got))
		}
	})

	t.Run("settings and rename", func(t *testing.T) {
		got, err := Apply(env, base, []Override{
			{Key: "claude-code", LoginCommand: []string{"claude", "/login"}, CheckCommand: []string{"claude", "auth", "status"}, WarnBefore: 5 * 24 * time.Hour},
			{Key: "opencode-anthropic", Name: "Anthropic (opencode)"},
			{Key: "opencode", WarnBefore: time.Hour},
		})
		if err != nil {
			t.Fatal(err)
		}
		c := byName(t, got, "claude-code")
		if strings.Join(c.LoginCommand, " ") != "claude /login" || strings.Join(c.CheckCommand, " ") != "claude auth status" || c.WarnBefore != 5*24*time.Hour {
			t.Fatalf("claude = %+v", c)
		}
		a := byName(t, got, "Anthropic (opencode)")
		if a.Provider != "anthropic" || a.WarnBefore != time.Hour || byName(t, got, "opencode-github-copilot").WarnBefore != time.Hour {
			t.Fatalf("opencode settings not applied: %+v", got)
		}
		if base[0].LoginCommand != nil {
			t.Fatal("Apply modified its input")
		}
	})

	t.Run("paths and extra accounts", func(t *testing.T) {
		got, err := Apply(env, base, []Override{
			{Key: "codex", Path: "~/alt-codex/auth.json"},
			{Key: "claude-work", Kind: ClaudeCode, Path: filepath.Join(home, ".claude-work", ".credentials.json")},
			{Key: "opencode", Path: "~/oc2/auth.json"},
			{Key: "gemini-2", Kind: Gemini, Name: "Gemini (work)", Path: "~/g2/oauth_creds.json", LoginCommand: []string{"gemini"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if names(got) != "claude-code,codex,gemini,opencode-anthropic,azure,claude-work,Gemini (work)" {
			t.Fatalf("names = %s", names(got))
		}
		if c := byName(t, got, "codex"); c.Path != filepath.Join(home, "alt-codex", "auth.json") || !c.Exists {
			t.Fatalf("codex = %+v", c)
		}
		if c := byName(t, got, "claude-work"); c.Kind != ClaudeCode || !c.Exists {
			t.Fatalf("claude-work = %+v", c)
		}
		if o := byName(t, got, "opencode-anthropic"); o.Path != filepath.Join(home, "oc2", "auth.json") {
			t.Fatalf("opencode = %+v", o)
		}
		if g := byName(t, got, "Gemini (work)"); g.Exists || g.Kind != Gemini || g.LoginCommand[0] != "gemini" {
			t.Fatalf("gemini work = %+v", g)
		}
	})

	t.Run("bad overrides are reported, good ones applied", func(t *testing.T) {
		got, err := Apply(env, base, []Override{
			{Key: "mystery"},
			{Key: "x", Kind: "cursor", Path: filepath.Join(home, "x")}, // absolute on every OS
			{Key: "y", Kind: Codex},
			{Key: "codex", Path: "relative/auth.json"},
			{Key: "codex", Kind: Gemini},
			{Key: "gemini", Disabled: true},
		})
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{"watch.mystery", "unknown kind", "watch.y: an extra codex account needs a path", "must be absolute", "does not match"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if names(got) != "claude-code,codex,opencode-anthropic,opencode-github-copilot,azure" {
			t.Fatalf("names = %s", names(got))
		}
	})
}

func TestEnvFromOS(t *testing.T) {
	t.Setenv("CLAUDE_CONFIG_DIR", "/cfg/claude")
	t.Setenv("CODEX_HOME", "/cfg/codex")
	t.Setenv("XDG_DATA_HOME", "/cfg/data")
	t.Setenv("USER", "someone")
	e := EnvFromOS()
	home, _ := os.UserHomeDir()
	if e.GOOS != runtime.GOOS || e.Home != home || e.ClaudeConfigDir != "/cfg/claude" || e.CodexHome != "/cfg/codex" || e.XDGDataHome != "/cfg/data" || e.User != "someone" {
		t.Fatalf("EnvFromOS = %+v", e)
	}
	// Every tool's own variables are read, and only those.
	t.Setenv("GEMINI_CLI_HOME", "/cfg/gemini")
	t.Setenv("AWS_CONFIG_FILE", "/cfg/aws")
	t.Setenv("TOKENTRAY_UNRELATED", "x")
	e = EnvFromOS()
	if e.Var("GEMINI_CLI_HOME") != "/cfg/gemini" || e.Var("AWS_CONFIG_FILE") != "/cfg/aws" || e.Var("TOKENTRAY_UNRELATED") != "" {
		t.Fatalf("Vars = %v", e.Vars)
	}
}

func TestApplyCheckAndTerminal(t *testing.T) {
	noSecurity(t)
	home := testfs.TempDir(t)
	env := Env{GOOS: "linux", Home: home}
	copyFixture(t, Opencode, "extra-fields.json", filepath.Join(home, ".local", "share", "opencode", "auth.json"))
	off, on := false, true
	srcs, err := Apply(env, Discover(env), []Override{
		{Key: "codex", Check: true},
		{Key: "claude-code", Check: true, CheckCommand: []string{"my-check"}, LoginTerminal: &on},
		{Key: "opencode", LoginTerminal: &off},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := byName(t, srcs, "codex"); strings.Join(s.CheckCommand, " ") != "codex login status" || s.LoginTerminal {
		t.Errorf("codex: %+v", s)
	}
	if s := byName(t, srcs, "claude-code"); strings.Join(s.CheckCommand, " ") != "my-check" || !s.LoginTerminal {
		t.Errorf("claude-code: %+v", s)
	}
	if s := byName(t, srcs, "opencode-anthropic"); s.LoginTerminal || len(s.CheckCommand) != 0 {
		t.Errorf("opencode: %+v", s)
	}
	if s := byName(t, srcs, "gemini"); len(s.CheckCommand) != 0 {
		t.Errorf("gemini: %+v", s)
	}
}
