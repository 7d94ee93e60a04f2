package watched

import (
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/health"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// fakeSecurity installs a fake macOS `security` tool. items maps a Keychain
// service to the secret it returns (a value starting with "hex:" is printed
// hex-encoded, "exit:N" makes it fail with status N). It returns a
// function that reads the argument lines the fake was called with.
func fakeSecurity(t *testing.T, items map[string]string) func() []string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("fake security tool is a shell script")
	}
	dir := testfs.TempDir(t)
	logFile := filepath.Join(dir, "calls.log")
	var cases strings.Builder
	for svc, secret := range items {
		f := filepath.Join(dir, fmt.Sprintf("item%d", cases.Len()))
		switch {
		case strings.HasPrefix(secret, "hex:"):
			secret = hex.EncodeToString([]byte(strings.TrimPrefix(secret, "hex:")))
		case strings.HasPrefix(secret, "exit:"):
			fmt.Fprintf(&cases, "  %q) exit %s ;;\n", svc, strings.TrimPrefix(secret, "exit:"))
			continue
		}
		if err := os.WriteFile(f, []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&cases, "  %q) [ \"$w\" = 1 ] && cat %q; exit 0 ;;\n", svc, f)
	}
	script := fmt.Sprintf(`#!/bin/sh
echo "$*" >> %q
svc=""; w=0
while [ $# -gt 0 ]; do
  case "$1" in -s) svc="$2"; shift ;; -w) w=1 ;; esac
  shift
done
case "$svc" in
%s
esac
echo "security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain." >&2
exit 44
`, logFile, cases.String())
	path := filepath.Join(dir, "security")
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	old := securityPath
	securityPath = path
	t.Cleanup(func() { securityPath = old })
	return func() []string {
		b, _ := os.ReadFile(logFile)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
}

func TestDiscoverAndReadDarwinKeychain(t *testing.T) {
	home := testfs.TempDir(t)
	calls := fakeSecurity(t, map[string]string{
		"Claude Code-credentials": string(readFixture(t, ClaudeCode, "deadline-near.json")),
	})
	env := Env{GOOS: "darwin", Home: home, User: "alice"}
	c := Discover(env)[0]
	if c.KeychainService != "Claude Code-credentials" || c.KeychainAccount != "alice" || !c.Exists ||
		c.KeychainDB != filepath.Join(home, "Library", "Keychains", "login.keychain-db") {
		t.Fatalf("claude source = %+v", c)
	}
	m, err := Read(c)
	if err != nil {
		t.Fatal(err)
	}
	if st := Evaluate(m, nil, fixtureNow, 0); verdictOf(st) != (verdict{state: health.Warning}) {
		t.Fatalf("state = %v", verdictOf(st))
	}
	got := calls()
	want := []string{
		"find-generic-password -s Claude Code-credentials -a alice",    // existence probe, no secret
		"find-generic-password -s Claude Code-credentials -a alice -w", // the read
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("security calls = %q, want %q", got, want)
	}
}

func TestReadKeychainFallbacks(t *testing.T) {
	dir := testfs.TempDir(t)
	file := filepath.Join(dir, ".credentials.json")
	fakeSecurity(t, map[string]string{
		"hexed":  "hex:" + string(readFixture(t, ClaudeCode, "healthy.json")),
		"denied": "exit:51",
		"broken": string(readFixture(t, ClaudeCode, "wrong-types.json")),
	})
	src := func(svc string) Source {
		return Source{Kind: ClaudeCode, Name: "claude-code", Path: file, KeychainService: svc, KeychainAccount: "alice"}
	}

	if m, err := Read(src("hexed")); err != nil || m.Plan != "max" || !m.HasRefreshToken {
		t.Fatalf("hex item: %+v %v", m, err)
	}
	// Item and file missing: not signed in.
	if _, err := Read(src("absent")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent: %v", err)
	}
	// Access denied and no file: broken, with the exit status only.
	_, err := Read(src("denied"))
	if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "status 51") {
		t.Fatalf("denied: %v", err)
	}
	// A malformed item names the item.
	_, err = Read(src("broken"))
	var me *atomicfile.MalformedError
	if !errors.As(err, &me) || me.Path != "Keychain item broken" {
		t.Fatalf("broken: %v", err)
	}
	assertNoLeak(t, "error", err.Error(), readFixture(t, ClaudeCode, "wrong-types.json"))

	// With the file present, both a missing and an unreadable item fall
	// back to it.
	copyFixture(t, ClaudeCode, "access-expired.json", file)
	for _, svc := range []string{"absent", "denied"} {
		m, err := Read(src(svc))
		if err != nil || verdictOf(Evaluate(m, nil, fixtureNow, 0)) != (verdict{health.OK, AccessExpired}) {
			t.Fatalf("%s with file: %+v %v", svc, m, err)
		}
	}
}

func TestReadFileCases(t *testing.T) {
	dir := testfs.TempDir(t)

	t.Run("missing", func(t *testing.T) {
		_, err := Read(Source{Kind: Gemini, Path: filepath.Join(dir, "nope.json")})
		if !errors.Is(err, ErrNotFound) || verdictOf(Evaluate(Meta{}, err, fixtureNow, 0)) != (verdict{state: health.NeedsSignIn}) {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("directory instead of file", func(t *testing.T) {
		p := filepath.Join(dir, "oauth_creds.json")
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		_, err := Read(Source{Kind: Gemini, Path: p})
		var me *atomicfile.MalformedError
		if !errors.As(err, &me) || me.Path != p || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("err = %v", err)
		}
		if st := Evaluate(Meta{}, err, fixtureNow, 0); verdictOf(st) != (verdict{state: health.Broken}) {
			t.Fatalf("state = %v", verdictOf(st))
		}
	})

	t.Run("symlink is followed", func(t *testing.T) {
		real := filepath.Join(dir, "dotfiles", "auth.json")
		copyFixture(t, Codex, "healthy.json", real)
		link := filepath.Join(dir, "auth.json")
		testfs.SkipOnWine(t, testfs.WineSymlinks)
		if err := os.Symlink(real, link); err != nil {
			t.Skip("symlinks unavailable:", err)
		}
		m, err := Read(Source{Kind: Codex, Path: link})
		if err != nil || m.AccountID != "acct-fixture" {
			t.Fatalf("m = %+v err = %v", m, err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatal("symlink was replaced")
		}
	})

	t.Run("opencode provider gone", func(t *testing.T) {
		p := filepath.Join(dir, "opencode", "auth.json")
		copyFixture(t, Opencode, "healthy.json", p)
		_, err := Read(Source{Kind: Opencode, Path: p, Provider: "github-copilot"})
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), p) {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("too large", func(t *testing.T) {
		p := filepath.Join(dir, "big.json")
		if err := os.WriteFile(p, make([]byte, maxStoreSize+1), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Read(Source{Kind: Gemini, Path: p})
		var me *atomicfile.MalformedError
		if !errors.As(err, &me) || me.Problem != "file too large" {
			t.Fatalf("err = %v", err)
		}
	})
}
