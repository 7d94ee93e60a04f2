package watched

import (
	"bytes"
	"github.com/tokentray/tokentray/keepalive/health"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// storeFile is the file name each kind's store has.
var storeFile = map[Kind]string{
	ClaudeCode: ".credentials.json",
	Codex:      "auth.json",
	Gemini:     "oauth_creds.json",
	Opencode:   "auth.json",
	Azure:      "msal_token_cache.json",
	GCloud:     "adc.json",
}

type fileState struct {
	data    []byte
	mode    fs.FileMode
	modTime time.Time
	link    string
}

// snapshot records every file, directory and symlink under root.
func snapshot(t *testing.T, root string) map[string]fileState {
	t.Helper()
	m := map[string]fileState{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fileState{mode: fi.Mode(), modTime: fi.ModTime()}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			st.link, err = os.Readlink(p)
		case fi.Mode().IsRegular():
			st.data, err = os.ReadFile(p)
		}
		m[p] = st
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestEndToEndReadOnly places every fixture in a temporary HOME (the
// default stores plus one extra account per fixture), runs Discover, Apply,
// Read, Evaluate and Watch over all of them while the test, acting as an
// owner, atomically replaces one store, and then checks that nothing else
// was touched: same bytes, mode and mtime, no file created or removed.
func TestEndToEndReadOnly(t *testing.T) {
	noSecurity(t)
	home := testfs.TempDir(t)
	env := Env{GOOS: "linux", Home: home, User: "alice"}

	// Default locations.
	copyFixture(t, ClaudeCode, "healthy.json", filepath.Join(home, ".claude", ".credentials.json"))
	copyFixture(t, Codex, "healthy.json", filepath.Join(home, ".codex", "auth.json"))
	copyFixture(t, Gemini, "access-expired.json", filepath.Join(home, ".gemini", "oauth_creds.json"))
	copyFixture(t, Opencode, "extra-fields.json", filepath.Join(home, ".local", "share", "opencode", "auth.json"))
	healthy := verdict{state: health.OK}
	want := map[string]verdict{
		"claude-code": healthy, "codex": healthy, "gemini": {health.OK, AccessExpired},
		"opencode-anthropic": healthy, "opencode-github-copilot": healthy,
		"azure": {state: health.NeedsSignIn}, // no cache yet: the placeholder
	}

	// One extra account per fixture.
	var ovs []Override
	for _, tc := range fixtureCases() {
		if tc.kind == AWSSSO {
			continue // AWS logins come from a config file: below
		}
		base := strings.TrimSuffix(tc.file, ".json")
		key := string(tc.kind) + "-" + base
		path := filepath.Join(home, "accounts", string(tc.kind), base, storeFile[tc.kind])
		if _, err := os.Stat(path); err != nil {
			copyFixture(t, tc.kind, tc.file, path)
			ovs = append(ovs, Override{Key: key, Kind: tc.kind, Path: path})
		}
		name := key
		if tc.kind == Azure && tc.provider != "" {
			name = key + "-" + safeName(tc.meta.Email)
		}
		if tc.kind == Opencode {
			switch {
			case tc.state == health.Broken && tc.errField == "" || tc.provider == "": // no OAuth entry: placeholder
			case tc.note == NotOAuth: // an API-key entry is not a source
				continue
			default:
				name = key + "-" + tc.provider
			}
		}
		want[name] = verdict{tc.state, tc.note}
	}
	// AWS IAM Identity Center: the config and two token caches in the
	// default places, plus a client registration file.
	copyFixture(t, AWSSSO, "config", filepath.Join(home, ".aws", "config"))
	cache := filepath.Join(home, ".aws", "sso", "cache")
	copyFixture(t, AWSSSO, "healthy.json", filepath.Join(cache, "e274eeff768c6396088ec6eb091f4bf4d47ab1e0.json"))
	copyFixture(t, AWSSSO, "legacy-ending.json", filepath.Join(cache, "79e435d7a515078e81c9dffc35f38d5687ebd3a7.json"))
	copyFixture(t, AWSSSO, "registration.json", filepath.Join(cache, "5a2f0d7f2b52bdbb5a5ae8a2b0b3bb7d4e0e4a11.json"))
	want["aws-sso-work"], want["aws-sso-legacy"] = healthy, verdict{state: health.Warning}
	// gcloud: one account in the default configuration directory.
	copyFixture(t, GCloud, "healthy.json", filepath.Join(home, ".config", "gcloud", "legacy_credentials", "dev@example.com", "adc.json"))
	want["gcloud-dev-example.com"] = healthy
	// Keyring and encrypted storage, detected from the tools' settings.
	copyFixture(t, Codex, "config-keyring.toml", filepath.Join(home, "accounts", "codex", "keyring", "config.toml"))
	copyFixture(t, Codex, "healthy.json", filepath.Join(home, "accounts", "codex", "keyring", "auth.json"))
	ovs = append(ovs, Override{Key: "codex-keyring", Kind: Codex, Path: filepath.Join(home, "accounts", "codex", "keyring", "auth.json")})
	want["codex-keyring"] = verdict{health.OK, ExpiryUnknown}
	copyFixture(t, Gemini, "gemini-credentials.json", filepath.Join(home, "accounts", "gemini", "encrypted", ".gemini", "gemini-credentials.json"))
	ovs = append(ovs, Override{Key: "gemini-encrypted", Kind: Gemini, Path: filepath.Join(home, "accounts", "gemini", "encrypted", ".gemini", "oauth_creds.json")})
	want["gemini-encrypted"] = verdict{health.OK, ExpiryUnknown}

	// A directory where a store should be, and a symlinked store.
	dirStore := filepath.Join(home, "accounts", "gemini", "dir", "oauth_creds.json")
	if err := os.MkdirAll(dirStore, 0o700); err != nil {
		t.Fatal(err)
	}
	ovs = append(ovs, Override{Key: "gemini-dir", Kind: Gemini, Path: dirStore})
	want["gemini-dir"] = verdict{state: health.Broken}
	real := filepath.Join(home, "dotfiles", "codex-auth.json")
	copyFixture(t, Codex, "healthy.json", real)
	link := filepath.Join(home, "accounts", "codex", "link", "auth.json")
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err == nil && !testfs.UnderWine() { // Wine: symbolic links are a stub
		ovs = append(ovs, Override{Key: "codex-link", Kind: Codex, Path: link})
		want["codex-link"] = healthy
	}

	before := snapshot(t, home)

	srcs, err := Apply(env, Discover(env), ovs)
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != len(want) {
		for _, s := range srcs {
			if _, ok := want[s.Name]; !ok {
				t.Errorf("unexpected source %s", s.Name)
			}
		}
		t.Fatalf("%d sources (%s), want %d", len(srcs), names(srcs), len(want))
	}
	check := func() {
		for _, s := range srcs {
			m, err := Read(s)
			st := EvaluateSource(s, m, err, fixtureNow)
			w, found := want[s.Name]
			if got := verdictOf(st); !found || got != w {
				t.Errorf("%s: %v (%s), want %v", s.Name, got, st.Reason, w)
			}
			if strings.Contains(st.Reason, "FIXTURE0") {
				t.Errorf("%s: reason leaks a token: %s", s.Name, st.Reason)
			}
		}
	}
	check()

	ch := startWatch(t, srcs)
	// The owner (Codex) refreshes: atomic replace of its default store.
	codexPath := filepath.Join(home, ".codex", "auth.json")
	replaceAtomically(t, codexPath, readFixture(t, Codex, "access-expired.json"))
	expectChange(t, ch, "codex")
	expectQuiet(t, ch)
	want["codex"] = verdict{health.OK, AccessExpired}
	check()

	after := snapshot(t, home)
	for p, b := range before {
		a, ok := after[p]
		switch {
		case p == codexPath:
			if !ok || !bytes.Equal(a.data, readFixture(t, Codex, "access-expired.json")) {
				t.Errorf("%s: the owner's write is not there", p)
			}
		case p == filepath.Dir(codexPath):
			// The owner's rename changes its directory's mtime.
		case !ok:
			t.Errorf("%s disappeared", p)
		case !bytes.Equal(a.data, b.data) || a.mode != b.mode || !a.modTime.Equal(b.modTime) || a.link != b.link:
			t.Errorf("%s changed: mode %v->%v mtime %v->%v", p, b.mode, a.mode, b.modTime, a.modTime)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s was created", p)
		}
	}
}
