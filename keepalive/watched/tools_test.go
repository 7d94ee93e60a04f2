package watched

import (
	"context"
	"errors"
	"github.com/tokentray/tokentray/keepalive/health"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/tokentray/tokentray/keepalive/keepalivetest"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func probeState(t *testing.T, src Source) Status {
	t.Helper()
	m, err := Read(src)
	return EvaluateSource(src, m, err, fixtureNow)
}

func TestRegistry(t *testing.T) {
	seen := map[Kind]bool{}
	for _, tool := range Tools() {
		if seen[tool.Kind] || tool.Title == "" || tool.Discover == nil || tool.NewSource == nil || tool.Parse == nil {
			t.Errorf("incomplete or duplicate descriptor %+v", tool)
		}
		seen[tool.Kind] = true
		if _, err := os.Stat(filepath.Join("testdata", string(tool.Kind))); err != nil {
			t.Errorf("%s has no fixtures: %v", tool.Kind, err)
		}
		if !tool.Kind.Valid() {
			t.Errorf("%s not valid", tool.Kind)
		}
	}
	if len(Kinds) != len(seen) {
		t.Errorf("Kinds = %v", Kinds)
	}
}

func TestToolSettings(t *testing.T) {
	noSecurity(t)
	t.Run("GEMINI_CLI_HOME", func(t *testing.T) {
		home, gh := testfs.TempDir(t), testfs.TempDir(t)
		copyFixture(t, Gemini, "healthy.json", filepath.Join(gh, ".gemini", "oauth_creds.json"))
		s := byName(t, Discover(Env{GOOS: "linux", Home: home, Vars: map[string]string{"GEMINI_CLI_HOME": gh}}), "gemini")
		if !s.Exists || s.Path != filepath.Join(gh, ".gemini", "oauth_creds.json") || verdictOf(probeState(t, s)) != (verdict{state: health.OK}) {
			t.Fatalf("%+v %v", s, probeState(t, s))
		}
	})
	t.Run("gemini encrypted storage", func(t *testing.T) {
		home := testfs.TempDir(t)
		copyFixture(t, Gemini, "gemini-credentials.json", filepath.Join(home, ".gemini", "gemini-credentials.json"))
		s := byName(t, Discover(Env{GOOS: "linux", Home: home}), "gemini")
		if st := probeState(t, s); !s.Exists || verdictOf(st) != (verdict{health.OK, ExpiryUnknown}) || st.Reason != "kept in the OS keyring; expiry unknown" {
			t.Fatalf("%+v %+v", s, st)
		}
		// Forced by the tool's own variable, even with a stale plain file.
		copyFixture(t, Gemini, "healthy.json", filepath.Join(home, ".gemini", "oauth_creds.json"))
		s = byName(t, Discover(Env{GOOS: "linux", Home: home, Vars: map[string]string{"GEMINI_FORCE_ENCRYPTED_FILE_STORAGE": "true"}}), "gemini")
		if st := probeState(t, s); verdictOf(st) != (verdict{health.OK, ExpiryUnknown}) {
			t.Fatalf("forced: %+v", st)
		}
	})
	t.Run("codex keyring", func(t *testing.T) {
		for _, tc := range []struct {
			config, auth string
			want         verdict
			exists       bool
		}{
			{"config-keyring.toml", "", verdict{health.OK, ExpiryUnknown}, true},
			{"config-keyring.toml", "access-expired.json", verdict{health.OK, ExpiryUnknown}, true}, // the keyring wins
			{"config-auto.toml", "", verdict{health.OK, ExpiryUnknown}, true},
			{"config-auto.toml", "healthy.json", verdict{state: health.OK}, true}, // auto falls back to the file
			{"", "healthy.json", verdict{state: health.OK}, true},
			{"", "", verdict{state: health.NeedsSignIn}, false},
		} {
			home := testfs.TempDir(t)
			if tc.config != "" {
				copyFixture(t, Codex, tc.config, filepath.Join(home, ".codex", "config.toml"))
			}
			if tc.auth != "" {
				copyFixture(t, Codex, tc.auth, filepath.Join(home, ".codex", "auth.json"))
			}
			s := byName(t, Discover(Env{GOOS: "linux", Home: home}), "codex")
			if st := probeState(t, s); verdictOf(st) != tc.want || s.Exists != tc.exists {
				t.Errorf("%s+%s: %v (%s) exists %v", tc.config, tc.auth, verdictOf(st), st.Reason, s.Exists)
			}
		}
	})
	t.Run("claude secure storage dir and keychain", func(t *testing.T) {
		home, dir := testfs.TempDir(t), testfs.TempDir(t)
		copyFixture(t, ClaudeCode, "healthy.json", filepath.Join(dir, ".credentials.json"))
		env := Env{GOOS: "linux", Home: home, ClaudeConfigDir: filepath.Join(home, "cfg"), Vars: map[string]string{"CLAUDE_SECURESTORAGE_CONFIG_DIR": dir}}
		s := byName(t, Discover(env), "claude-code")
		if s.Path != filepath.Join(dir, ".credentials.json") || !s.Exists || verdictOf(probeState(t, s)) != (verdict{state: health.OK}) {
			t.Fatalf("%+v", s)
		}
		env.GOOS, env.User = "darwin", "o'brien"
		s = byName(t, Discover(env), "claude-code")
		if s.KeychainService != ClaudeKeychainService(dir, true) || s.KeychainAccount != "claude-code-user" {
			t.Fatalf("keychain %q %q", s.KeychainService, s.KeychainAccount)
		}
		for user, want := range map[string]string{"alice": "alice", "a.b_c-1": "a.b_c-1", "": "claude-code-user", "jürgen": "claude-code-user", "a b": "claude-code-user"} {
			if got := ClaudeKeychainAccount(user); got != want {
				t.Errorf("account(%q) = %q, want %q", user, got, want)
			}
		}
		composed, decomposed := "/Users/zoë/.claude", norm.NFD.String("/Users/zoë/.claude")
		if composed == decomposed || ClaudeKeychainService(decomposed, true) != ClaudeKeychainService(composed, true) {
			t.Fatal("the service name is not NFC-normalised")
		}
	})
	t.Run("claude without claudeAiOauth", func(t *testing.T) {
		home := testfs.TempDir(t)
		copyFixture(t, ClaudeCode, "mcp-only.json", filepath.Join(home, ".claude", ".credentials.json"))
		s := byName(t, Discover(Env{GOOS: "linux", Home: home}), "claude-code")
		if st := probeState(t, s); s.Exists || verdictOf(st) != (verdict{state: health.NeedsSignIn}) || st.Reason != "not signed in" {
			t.Fatalf("exists %v, %+v", s.Exists, st)
		}
	})
}

func TestParseAWSConfig(t *testing.T) {
	logins := ParseAWSConfig(readFixture(t, AWSSSO, "config"))
	want := []AWSLogin{
		{Session: "work", Profile: "dev", StartURL: awsURL, Region: "us-east-1"},
		{Profile: "legacy", StartURL: awsLegacyURL, Region: "us-west-2"},
	}
	if len(logins) != len(want) {
		t.Fatalf("logins = %+v", logins)
	}
	for i := range want {
		if logins[i] != want[i] {
			t.Errorf("login %d = %+v, want %+v", i, logins[i], want[i])
		}
	}
	// Computed independently (sha1sum of the session name / start URL).
	if k := logins[0].CacheKey(); k != "e274eeff768c6396088ec6eb091f4bf4d47ab1e0" {
		t.Errorf("session cache key %s", k)
	}
	if k := logins[1].CacheKey(); k != "79e435d7a515078e81c9dffc35f38d5687ebd3a7" {
		t.Errorf("legacy cache key %s", k)
	}
	for _, tc := range []struct{ in, session, url string }{
		{"[sso-session  \"my team\" ]\nsso_start_url=https://t.example/start # comment\n", "my team", "https://t.example/start"},
		{"[sso-session s]\n; no start url\nsso_region = eu-west-1\n", "", ""},
		{"[sso-session s\nsso_start_url = https://x\n", "", ""},
		{"sso_start_url = https://orphan\n[profile p]\n\tsso_start_url = https://nested\n", "", ""},
	} {
		got := ParseAWSConfig([]byte(tc.in))
		if tc.session == "" {
			if len(got) != 0 {
				t.Errorf("%q: %+v, want none", tc.in, got)
			}
			continue
		}
		if len(got) != 1 || got[0].Session != tc.session || got[0].StartURL != tc.url {
			t.Errorf("%q: %+v", tc.in, got)
		}
	}
}

// TestAWSDiscoverAndSignIn discovers the sessions of an AWS config named by
// AWS_CONFIG_FILE, reads their caches in ~/.aws/sso/cache, and signs one in
// through a fake aws on PATH, which must see AWS_CONFIG_FILE.
func TestAWSDiscoverAndSignIn(t *testing.T) {
	home := testfs.TempDir(t)
	cfg := filepath.Join(home, "elsewhere", "aws-config")
	writeFile(t, cfg, readFixture(t, AWSSSO, "config"))
	cache := filepath.Join(home, ".aws", "sso", "cache")
	copyFixture(t, AWSSSO, "access-expired.json", filepath.Join(cache, "e274eeff768c6396088ec6eb091f4bf4d47ab1e0.json"))
	copyFixture(t, AWSSSO, "registration.json", filepath.Join(cache, "0d3a4e8d2b1f2a3c4b5d6e7f8091a2b3c4d5e6f7.json"))
	srcs := Discover(Env{GOOS: "linux", Home: home, Vars: map[string]string{"AWS_CONFIG_FILE": cfg}})
	work, legacy := byName(t, srcs, "aws-sso-work"), byName(t, srcs, "aws-sso-legacy")
	if !work.Exists || legacy.Exists {
		t.Fatalf("exists: work %v legacy %v", work.Exists, legacy.Exists)
	}
	if st := probeState(t, work); verdictOf(st) != (verdict{health.OK, AccessExpired}) {
		t.Fatalf("work: %+v", st)
	}
	if st := probeState(t, legacy); verdictOf(st) != (verdict{state: health.NeedsSignIn}) {
		t.Fatalf("legacy: %+v", st)
	}
	args := fakeOwner(t, "aws", `echo "$AWS_CONFIG_FILE" > "$0.env"; echo 'Attempting to automatically open the SSO authorization page in your default browser.'`)
	if err := SignIn(context.Background(), work, nil, nil); err != nil {
		t.Fatal(err)
	}
	keepalivetest.Eventually(t, "the fake aws", func() bool { return fileExists(args) })
	if got := readTrim(t, args); got != "sso login --sso-session work" {
		t.Errorf("aws %s", got)
	}
	keepalivetest.Eventually(t, "the fake aws's environment", func() bool { return readTrim(t, strings.TrimSuffix(args, ".args")+".env") != "" })
	if got := readTrim(t, strings.TrimSuffix(args, ".args")+".env"); got != cfg {
		t.Errorf("AWS_CONFIG_FILE = %q, want %q", got, cfg)
	}
}

func readTrim(t *testing.T, p string) string {
	t.Helper()
	b, _ := os.ReadFile(p)
	return strings.TrimSpace(string(b))
}

// TestProfileEnvReachesOwner: an extra store's owner command gets the
// store's profile (CODEX_HOME, CLAUDE_CONFIG_DIR, GEMINI_CLI_HOME), for the
// login and for the check command.
func TestProfileEnvReachesOwner(t *testing.T) {
	noSecurity(t)
	home := testfs.TempDir(t)
	env := Env{GOOS: "linux", Home: home}
	work := filepath.Join(home, "work")
	ovs := []Override{
		{Key: "work-codex", Kind: Codex, Path: "~/work/.codex/auth.json"},
		{Key: "work-claude", Kind: ClaudeCode, Path: "~/work/.claude/.credentials.json"},
		{Key: "work-gemini", Kind: Gemini, Path: "~/work/.gemini/oauth_creds.json", CheckCommand: []string{"gemini-status"}},
	}
	srcs, err := Apply(env, Discover(env), ovs)
	if err != nil {
		t.Fatal(err)
	}
	probe := `echo "CODEX_HOME=$CODEX_HOME CLAUDE_CONFIG_DIR=$CLAUDE_CONFIG_DIR GEMINI_CLI_HOME=$GEMINI_CLI_HOME" > "$0.env"`
	for _, tc := range []struct {
		src, cmd, want string
	}{
		{"work-codex", "codex", "CODEX_HOME=" + filepath.Join(work, ".codex") + " CLAUDE_CONFIG_DIR= GEMINI_CLI_HOME="},
		{"work-claude", "claude", "CODEX_HOME= CLAUDE_CONFIG_DIR=" + filepath.Join(work, ".claude") + " GEMINI_CLI_HOME="},
	} {
		t.Setenv("CODEX_HOME", "")
		t.Setenv("CLAUDE_CONFIG_DIR", "")
		t.Setenv("GEMINI_CLI_HOME", "")
		args := fakeOwner(t, tc.cmd, probe)
		if err := SignIn(context.Background(), byName(t, srcs, tc.src), nil, nil); err != nil {
			t.Fatal(err)
		}
		envFile := strings.TrimSuffix(args, ".args") + ".env"
		keepalivetest.Eventually(t, tc.cmd, func() bool { return readTrim(t, envFile) != "" })
		if got := readTrim(t, envFile); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.src, got, tc.want)
		}
	}
	args := fakeOwner(t, "gemini-status", probe)
	if _, _, err := RunSourceCheck(context.Background(), byName(t, srcs, "work-gemini")); err != nil {
		t.Fatal(err)
	}
	if got := readTrim(t, strings.TrimSuffix(args, ".args")+".env"); got != "CODEX_HOME= CLAUDE_CONFIG_DIR= GEMINI_CLI_HOME="+work {
		t.Errorf("gemini check: %s", got)
	}
	// The default stores get no override.
	for _, n := range []string{"codex", "claude-code", "gemini"} {
		if s := byName(t, srcs, n); len(s.LoginEnv) != 0 {
			t.Errorf("%s: LoginEnv %q", n, s.LoginEnv)
		}
	}
}

func TestTerminalArgv(t *testing.T) {
	argv := []string{"/opt/bin/opencode", "auth", "login", "--provider", "anthropic"}
	env := []string{"XDG_DATA_HOME=/w/share"}
	for _, tc := range []struct {
		goos, terminal string
		have           []string
		want           string // the argv before the wrapped command
	}{
		{"linux", "", []string{"x-terminal-emulator", "xterm"}, "/usr/bin/x-terminal-emulator -e"},
		{"linux", "", []string{"gnome-terminal", "xterm"}, "/usr/bin/gnome-terminal --"},
		{"linux", "", []string{"konsole"}, "/usr/bin/konsole -e"},
		{"linux", "", []string{"xfce4-terminal"}, "/usr/bin/xfce4-terminal -x"},
		{"linux", "", []string{"kitty"}, "/usr/bin/kitty"},
		{"linux", "", []string{"alacritty"}, "/usr/bin/alacritty -e"},
		{"freebsd", "", []string{"foot"}, "/usr/bin/foot"},
		{"linux", "", []string{"wezterm"}, "/usr/bin/wezterm start --"},
		{"linux", "", []string{"xterm"}, "/usr/bin/xterm -e"},
		{"linux", "my-term", []string{"my-term", "xterm"}, "/usr/bin/my-term -e"},
		{"linux", "kitty", []string{"kitty", "xterm"}, "/usr/bin/kitty"},
		{"linux", "gone", []string{"xterm"}, "/usr/bin/xterm -e"},
	} {
		look := func(name string) (string, error) {
			for _, h := range tc.have {
				if h == name {
					return "/usr/bin/" + name, nil
				}
			}
			return "", errors.New("not found")
		}
		got, ok := terminalArgv(tc.goos, argv, env, look, func(string) string { return tc.terminal })
		wantFull := tc.want + " /bin/sh -c " + holdScript + " sh XDG_DATA_HOME=/w/share -- " + strings.Join(argv, " ")
		if !ok || strings.Join(got, " ") != wantFull {
			t.Errorf("%s %q %v: %q", tc.goos, tc.terminal, tc.have, got)
		}
	}
	if _, ok := terminalArgv("linux", argv, env, func(string) (string, error) { return "", errors.New("no") }, func(string) string { return "" }); ok {
		t.Error("a terminal without any emulator")
	}
	got, ok := terminalArgv("darwin", argv, env, func(n string) (string, error) { return "/usr/bin/" + n, nil }, nil)
	if !ok || got[0] != "/usr/bin/osascript" || !strings.Contains(strings.Join(got, " "), `do script "/usr/bin/env XDG_DATA_HOME=/w/share /opt/bin/opencode auth login --provider anthropic"`) {
		t.Errorf("darwin: %q", got)
	}
	if got, ok := terminalArgv("windows", argv, env, nil, nil); !ok || strings.Join(got, " ") != strings.Join(argv, " ") {
		t.Errorf("windows: %q", got)
	}
}

// TestTerminalLogin runs opencode's login through a fake terminal emulator
// and a fake opencode on PATH: the owner gets its provider flag and the
// store's profile, and the window's shell ends when the login does.
func TestTerminalLogin(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell-script fakes")
	}
	home := testfs.TempDir(t)
	store := filepath.Join(home, "work", "share", "opencode", "auth.json")
	copyFixture(t, Opencode, "extra-fields.json", store)
	srcs, err := Apply(Env{GOOS: "linux", Home: home}, nil, []Override{{Key: "work", Kind: Opencode, Path: store}})
	if err != nil {
		t.Fatal(err)
	}
	src := byName(t, srcs, "work-anthropic")

	bin := testfs.TempDir(t)
	out := filepath.Join(bin, "out")
	writeExec(t, filepath.Join(bin, "x-terminal-emulator"), "#!/bin/sh\necho \"$1\" > '"+out+".term'\n[ \"$1\" = -e ] && shift\nexec \"$@\"\n")
	writeExec(t, filepath.Join(bin, "opencode"), "#!/bin/sh\necho \"$* XDG_DATA_HOME=$XDG_DATA_HOME\" > '"+out+"'\n")
	t.Setenv("PATH", bin)
	t.Setenv("TERMINAL", "")
	t.Setenv("HOME", home) // no per-user install directories
	if err := SignIn(context.Background(), src, nil, nil); err != nil {
		t.Fatal(err)
	}
	keepalivetest.Eventually(t, "the fake opencode", func() bool { return fileExists(out) })
	want := "auth login --provider anthropic XDG_DATA_HOME=" + filepath.Join(home, "work", "share")
	if got := readTrim(t, out); got != want {
		t.Errorf("opencode ran as %q, want %q", got, want)
	}
	if got := readTrim(t, out+".term"); got != "-e" {
		t.Errorf("terminal syntax %q", got)
	}

	// No terminal at all: the error names the command to run.
	os.Remove(filepath.Join(bin, "x-terminal-emulator"))
	err = SignIn(context.Background(), src, nil, nil)
	var nt *NoTerminalError
	if !errors.As(err, &nt) || !strings.Contains(err.Error(), "run this in a terminal: XDG_DATA_HOME="+filepath.Join(home, "work", "share")+" opencode auth login --provider anthropic") {
		t.Fatalf("err = %v", err)
	}
}

func writeExec(t *testing.T, path, script string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
}

// TestKeychainPromptNotKilled: a `security -w` that waits (an access prompt
// is open) is not killed; Read reports it as pending, starts no second
// one, and the next Read after the user answered gets the login.
func TestKeychainPromptNotKilled(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell-script fake")
	}
	dir := testfs.TempDir(t)
	release, starts, item := filepath.Join(dir, "release"), filepath.Join(dir, "starts"), filepath.Join(dir, "item.json")
	copyFixture(t, ClaudeCode, "healthy.json", item)
	fake := filepath.Join(dir, "security")
	writeExec(t, fake, "#!/bin/sh\ncase \"$*\" in *-w*) ;; *) exit 0;; esac\necho x >> '"+starts+"'\n"+
		"while [ ! -e '"+release+"' ]; do sleep 0.05; done\ncat '"+item+"'\n")
	old, oldWait := securityPath, keychainWait
	securityPath, keychainWait = fake, 200*time.Millisecond
	t.Cleanup(func() { securityPath, keychainWait = old, oldWait })

	src := Source{Kind: ClaudeCode, Name: "claude-code", Path: filepath.Join(dir, "none.json"), KeychainService: "Claude Code-credentials", KeychainAccount: "alice"}
	// Let the fake end whatever happens.
	t.Cleanup(func() { os.WriteFile(release, nil, 0o600) })
	for i := 0; i < 2; i++ {
		type result struct {
			m   Meta
			err error
		}
		got := make(chan result, 1)
		go func() {
			m, err := Read(src)
			got <- result{m, err}
		}()
		var r result
		select {
		case r = <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("read %d blocked while the prompt is open", i)
		}
		if st := EvaluateSource(src, r.m, r.err, fixtureNow); !errors.Is(r.err, ErrKeychainPending) || verdictOf(st) != (verdict{health.OK, ExpiryUnknown}) {
			t.Fatalf("read %d while the prompt is open: %v %+v", i, r.err, st)
		}
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var st Status
	keepalivetest.Eventually(t, "the answered prompt", func() bool {
		m, err := Read(src)
		st = EvaluateSource(src, m, err, fixtureNow)
		return !errors.Is(err, ErrKeychainPending)
	})
	if verdictOf(st) != (verdict{state: health.OK}) {
		t.Fatalf("after the answer: %+v", st)
	}
	if n := strings.Count(readTrim(t, starts), "x"); n != 1 {
		t.Fatalf("security -w started %d times, want 1", n)
	}
}

// TestOwnerOpensBrowser: the "if the browser did not open" line that
// Claude Code, Codex and the AWS CLI always print opens nothing when the
// owner could open a browser itself; without a display it is opened.
func TestOwnerOpensBrowser(t *testing.T) {
	script := `echo 'Opening browser to sign in…'; echo "Browser didn't open? Use the url below to sign in:"; echo 'https://claude.ai/oauth/authorize?code=true&state=s1'`
	fakeOwner(t, "claude", script)
	opener := filepath.Join(testfs.TempDir(t), "xdg-open")
	writeExec(t, opener, "#!/bin/sh\nexit 0\n")
	t.Setenv("PATH", filepath.Dir(opener)+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DISPLAY", ":0")
	o := newOpener()
	log := &keepalivetest.Buffer{}
	if err := RunLogin(context.Background(), []string{"claude", "auth", "login"}, log, o.open); err != nil {
		t.Fatal(err)
	}
	keepalivetest.Eventually(t, "the command to finish", func() bool { return strings.Contains(log.String(), "[tokentray] claude: finished") })
	if u := o.opened(); len(u) != 0 {
		t.Fatalf("opened %q although the owner opens the browser itself", u)
	}
	t.Setenv("DISPLAY", "")
	if err := RunLogin(context.Background(), []string{"claude", "auth", "login"}, nil, o.open); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-o.ch:
		if u != "https://claude.ai/oauth/authorize?code=true&state=s1" {
			t.Fatalf("opened %q", u)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("without a display the printed URL was not opened")
	}
}

func TestAzureDiscover(t *testing.T) {
	home, dir := testfs.TempDir(t), testfs.TempDir(t)
	copyFixture(t, Azure, "two-accounts.json", filepath.Join(dir, "msal_token_cache.json"))
	srcs := Discover(Env{GOOS: "linux", Home: home, Vars: map[string]string{"AZURE_CONFIG_DIR": dir}})
	for name, user := range map[string]string{"azure-alice-example.com": "alice@example.com", "azure-bob-contoso.com": "bob@contoso.com"} {
		s := byName(t, srcs, name)
		m, err := Read(s)
		if st := EvaluateSource(s, m, err, fixtureNow); !s.Exists || verdictOf(st) != (verdict{state: health.OK}) || m.Email != user {
			t.Errorf("%s: %+v %+v", name, m, st)
		}
		if argv, _ := s.LoginAction(); strings.Join(argv, " ") != "az login" {
			t.Errorf("%s: login %q", name, argv)
		}
	}
	// Encryption on (the Azure CLI's own setting): the .bin cache is
	// kept by the OS; its expiry is unknown.
	copyFixture(t, Azure, "config-encrypted", filepath.Join(dir, "config"))
	writeFile(t, filepath.Join(dir, "msal_token_cache.bin"), []byte("\x01\x00\x00\x00\xd0\x8c\x9d\xdf"))
	s := byName(t, Discover(Env{GOOS: "linux", Home: home, Vars: map[string]string{"AZURE_CONFIG_DIR": dir}}), "azure")
	if st := probeState(t, s); !s.Exists || verdictOf(st) != (verdict{health.OK, ExpiryUnknown}) {
		t.Fatalf("encrypted: %+v %+v", s, st)
	}
	// The variable wins over the file; Windows encrypts by default.
	s = byName(t, Discover(Env{GOOS: "linux", Home: home, Vars: map[string]string{"AZURE_CONFIG_DIR": dir, "AZURE_CORE_ENCRYPT_TOKEN_CACHE": "false"}}), "azure-alice-example.com")
	if st := probeState(t, s); verdictOf(st) != (verdict{state: health.OK}) {
		t.Fatalf("encryption off: %+v", st)
	}
	if !azureEncrypted(Env{GOOS: "windows"}, filepath.Join(home, "none")) || azureEncrypted(Env{GOOS: "darwin"}, filepath.Join(home, "none")) {
		t.Fatal("default encryption per OS")
	}
	// An extra Azure config directory signs in with AZURE_CONFIG_DIR.
	other := filepath.Join(home, "work-azure")
	copyFixture(t, Azure, "healthy.json", filepath.Join(other, "msal_token_cache.json"))
	srcs, err := Apply(Env{GOOS: "linux", Home: home}, nil, []Override{{Key: "work-az", Kind: Azure, Path: filepath.Join(other, "msal_token_cache.json")}})
	if err != nil {
		t.Fatal(err)
	}
	if s := byName(t, srcs, "work-az-alice-example.com"); strings.Join(s.LoginEnv, " ") != "AZURE_CONFIG_DIR="+other {
		t.Fatalf("LoginEnv %q", s.LoginEnv)
	}
}
