package watched

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fixtureNow is the fixed "now" of every fixture-based test; the fixtures'
// timestamps are relative to it (see testdata/).
var fixtureNow = time.Date(2030, 6, 15, 12, 0, 0, 0, time.UTC)

var farFuture = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)

func readFixture(t *testing.T, kind Kind, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", string(kind), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// tokenLikeWords finds what could be a secret in b: runs of 16+ token
// characters that mix letters and digits (every fixture token does).
var tokenRunRE = regexp.MustCompile(`[A-Za-z0-9._~+/=\-]{16,}`)

func tokenLikeWords(b []byte) []string {
	var out []string
	for _, run := range tokenRunRE.FindAllString(string(b), -1) {
		for i := 0; i+16 <= len(run); i++ {
			w := run[i : i+16]
			if strings.ContainsAny(w, "0123456789") && strings.ContainsAny(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
				out = append(out, w)
			}
		}
	}
	return out
}

// assertNoLeak fails if s contains any token-like piece of input.
func assertNoLeak(t *testing.T, what, s string, input []byte) {
	t.Helper()
	for _, w := range tokenLikeWords(input) {
		if strings.Contains(s, w) {
			t.Fatalf("%s leaks input bytes %q: %s", what, w, s)
		}
	}
}

type fixtureCase struct {
	kind     Kind
	file     string
	provider string // opencode
	state    State
	errField string // for Broken: the field named by the MalformedError ("" = document)
	problem  string // for Broken: substring of the problem
	meta     Meta   // for parsed fixtures: the expected Meta
}

func fixtureCases() []fixtureCase {
	h := time.Hour
	claude := func(exp time.Time, deadline time.Time, refresh bool) Meta {
		return Meta{HasRefreshToken: refresh, AccessExpiry: exp, LoginDeadline: deadline, Plan: "max"}
	}
	codexLast := time.Date(2030, 6, 14, 9, 30, 0, 123456000, time.UTC)
	codex := func(exp time.Time, refresh bool) Meta {
		return Meta{HasRefreshToken: refresh, AccessExpiry: exp, LastRefresh: codexLast, Email: "dev@example.com", Plan: "plus", AccountID: "acct-fixture"}
	}
	gemini := func(exp time.Time, refresh bool) Meta {
		return Meta{HasRefreshToken: refresh, AccessExpiry: exp, Email: "dev@example.com"}
	}
	oc := func(exp time.Time, refresh bool) Meta { return Meta{HasRefreshToken: refresh, AccessExpiry: exp} }
	n := fixtureNow
	return []fixtureCase{
		{kind: ClaudeCode, file: "healthy.json", state: Healthy, meta: claude(n.Add(6*h), farFuture, true)},
		{kind: ClaudeCode, file: "access-expired.json", state: AccessExpired, meta: claude(n.Add(-8*h), farFuture, true)},
		{kind: ClaudeCode, file: "deadline-near.json", state: DeadlineNear, meta: claude(n.Add(6*h), n.Add(36*h), true)},
		{kind: ClaudeCode, file: "deadline-passed.json", state: NeedsSignIn, meta: claude(n.Add(-48*h), n.Add(-24*h), true)},
		{kind: ClaudeCode, file: "no-refresh.json", state: NeedsSignIn, meta: claude(n.Add(6*h), farFuture, false)},
		{kind: ClaudeCode, file: "extra-fields.json", state: Healthy, meta: claude(n.Add(6*h), farFuture, true)},
		{kind: ClaudeCode, file: "malformed.json", state: Broken, problem: "invalid JSON"},
		{kind: ClaudeCode, file: "wrong-types.json", state: Broken, errField: "claudeAiOauth.expiresAt", problem: "got a string"},
		{kind: ClaudeCode, file: "empty.json", state: Broken, problem: "empty file"},

		{kind: Codex, file: "healthy.json", state: Healthy, meta: codex(n.Add(5*24*h), true)},
		{kind: Codex, file: "access-expired.json", state: AccessExpired, meta: codex(n.Add(-24*h), true)},
		{kind: Codex, file: "no-refresh.json", state: NeedsSignIn, meta: codex(n.Add(5*24*h), false)},
		{kind: Codex, file: "extra-fields.json", state: Healthy, meta: codex(n.Add(5*24*h), true)},
		{kind: Codex, file: "malformed.json", state: Broken, problem: "invalid JSON"},
		{kind: Codex, file: "wrong-types.json", state: Broken, errField: "tokens.refresh_token", problem: "got a number"},
		{kind: Codex, file: "empty.json", state: Broken, problem: "empty file"},

		{kind: Gemini, file: "healthy.json", state: Healthy, meta: gemini(n.Add(h), true)},
		{kind: Gemini, file: "access-expired.json", state: AccessExpired, meta: gemini(n.Add(-2*h), true)},
		{kind: Gemini, file: "no-refresh.json", state: NeedsSignIn, meta: gemini(n.Add(h), false)},
		{kind: Gemini, file: "extra-fields.json", state: Healthy, meta: gemini(n.Add(h), true)},
		{kind: Gemini, file: "malformed.json", state: Broken, problem: "invalid JSON"},
		{kind: Gemini, file: "wrong-types.json", state: Broken, errField: "expiry_date", problem: "got a string"},
		{kind: Gemini, file: "empty.json", state: Broken, problem: "empty file"},

		{kind: Opencode, provider: "anthropic", file: "healthy.json", state: Healthy, meta: oc(n.Add(6*h), true)},
		{kind: Opencode, provider: "anthropic", file: "access-expired.json", state: AccessExpired, meta: oc(n.Add(-h), true)},
		{kind: Opencode, provider: "anthropic", file: "no-refresh.json", state: NeedsSignIn, meta: oc(n.Add(6*h), false)},
		{kind: Opencode, provider: "anthropic", file: "extra-fields.json", state: Healthy, meta: oc(n.Add(6*h), true)},
		{kind: Opencode, provider: "github-copilot", file: "extra-fields.json", state: Healthy, meta: oc(n.Add(h), true)},
		{kind: Opencode, provider: "anthropic", file: "malformed.json", state: Broken, problem: "invalid JSON"},
		{kind: Opencode, provider: "anthropic", file: "wrong-types.json", state: Healthy, meta: oc(n.Add(6*h), true)},
		{kind: Opencode, provider: "openai", file: "wrong-types.json", state: Broken, errField: "expires", problem: "got a string"},
		{kind: Opencode, provider: "anthropic", file: "empty.json", state: Broken, problem: "empty file"},
		// An API-key entry is not a watched login.
		{kind: Opencode, provider: "openrouter", file: "healthy.json", state: NeedsSignIn},
	}
}

func TestParseFixtures(t *testing.T) {
	for _, tc := range fixtureCases() {
		t.Run(fmt.Sprintf("%s/%s/%s", tc.kind, tc.file, tc.provider), func(t *testing.T) {
			data := readFixture(t, tc.kind, tc.file)
			if len(data) > 0 && len(tokenLikeWords(data)) == 0 {
				t.Fatal("fixture has no token-like strings: the leak check would be vacuous")
			}
			m, err := Parse(tc.kind, tc.provider, data)
			st := Evaluate(m, err, fixtureNow, 0)
			if st.State != tc.state {
				t.Fatalf("state = %v (%s), want %v", st.State, st.Reason, tc.state)
			}
			if err != nil {
				assertNoLeak(t, "error", err.Error(), data)
				assertNoLeak(t, "reason", st.Reason, data)
			}
			assertNoLeak(t, "meta", fmt.Sprintf("%+v", m), data)
			switch {
			case tc.state == Broken:
				var me *MalformedError
				if !errors.As(err, &me) {
					t.Fatalf("err = %v, want *MalformedError", err)
				}
				if me.Field != tc.errField || !strings.Contains(me.Problem, tc.problem) {
					t.Fatalf("MalformedError = %+v, want field %q problem ~%q", me, tc.errField, tc.problem)
				}
				if m != (Meta{}) {
					t.Fatalf("meta of a broken store = %+v, want zero", m)
				}
			case tc.meta == (Meta{}):
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("err = %v, want ErrNotFound", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if !metaEqual(m, tc.meta) {
					t.Fatalf("meta =\n %+v\nwant\n %+v", m, tc.meta)
				}
			}
		})
	}
}

func metaEqual(a, b Meta) bool {
	return a.HasRefreshToken == b.HasRefreshToken && a.AccessExpiry.Equal(b.AccessExpiry) &&
		a.LoginDeadline.Equal(b.LoginDeadline) && a.LastRefresh.Equal(b.LastRefresh) &&
		a.Email == b.Email && a.Plan == b.Plan && a.AccountID == b.AccountID
}

func TestParseOpencodeEntries(t *testing.T) {
	entries, err := ParseOpencode(readFixture(t, Opencode, "extra-fields.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Provider)
		if e.Err != nil {
			t.Errorf("%s: %v", e.Provider, e.Err)
		}
	}
	// API-key, well-known, non-object and typeless entries are skipped.
	if strings.Join(got, ",") != "anthropic,github-copilot" {
		t.Fatalf("providers = %v", got)
	}

	entries, err = ParseOpencode(readFixture(t, Opencode, "wrong-types.json"))
	if err != nil || len(entries) != 2 || entries[0].Err != nil || entries[1].Err == nil {
		t.Fatalf("wrong-types: entries %+v err %v: want anthropic fine, openai broken", entries, err)
	}
}

func TestParseEdgeCases(t *testing.T) {
	cases := []struct {
		name, in string
		parse    func([]byte) (Meta, error)
		field    string // "" with ok=false: document-level error
		ok       bool
		check    func(Meta) bool
	}{
		{name: "not an object", in: `["claudeAiOauth"]`, parse: ParseClaude},
		{name: "whitespace only", in: " \n\t", parse: ParseClaude},
		{name: "claude section missing", in: `{"mcpOAuth":{}}`, parse: ParseClaude, field: "claudeAiOauth"},
		{name: "claude section null", in: `{"claudeAiOauth":null}`, parse: ParseClaude, field: "claudeAiOauth"},
		{name: "claude section string", in: `{"claudeAiOauth":"x"}`, parse: ParseClaude, field: "claudeAiOauth"},
		{name: "claude refresh token wrong type", in: `{"claudeAiOauth":{"refreshToken":true}}`, parse: ParseClaude, field: "claudeAiOauth.refreshToken"},
		{name: "claude negative expiry", in: `{"claudeAiOauth":{"refreshToken":"r","expiresAt":-5}}`, parse: ParseClaude, field: "claudeAiOauth.expiresAt"},
		{name: "claude absurd deadline", in: `{"claudeAiOauth":{"refreshToken":"r","refreshTokenExpiresAt":1e300}}`, parse: ParseClaude, field: "claudeAiOauth.refreshTokenExpiresAt"},
		{name: "claude float ms", in: `{"claudeAiOauth":{"refreshToken":"r","expiresAt":1907776800000.0}}`, parse: ParseClaude, ok: true,
			check: func(m Meta) bool { return m.AccessExpiry.Equal(fixtureNow.Add(6 * time.Hour)) }},
		{name: "claude nulls", in: `{"claudeAiOauth":{"refreshToken":null,"expiresAt":null}}`, parse: ParseClaude, ok: true,
			check: func(m Meta) bool { return !m.HasRefreshToken && m.AccessExpiry.IsZero() }},
		{name: "claude empty refresh token", in: `{"claudeAiOauth":{"refreshToken":""}}`, parse: ParseClaude, ok: true,
			check: func(m Meta) bool { return !m.HasRefreshToken }},
		{name: "codex tokens missing (API key mode)", in: `{"OPENAI_API_KEY":"sk-proj-FIXTURE0apikey000000","tokens":null}`, parse: ParseCodex, field: "tokens"},
		{name: "codex bad last_refresh", in: `{"tokens":{"refresh_token":"r"},"last_refresh":"yesterday0000000abc1"}`, parse: ParseCodex, field: "last_refresh"},
		{name: "codex opaque access token", in: `{"tokens":{"refresh_token":"r","access_token":"opaque0token0value0abcdef"}}`, parse: ParseCodex, ok: true,
			check: func(m Meta) bool { return m.AccessExpiry.IsZero() && m.HasRefreshToken }},
		{name: "codex jwt bad base64", in: `{"tokens":{"refresh_token":"r","access_token":"a.%%%.c"}}`, parse: ParseCodex, ok: true,
			check: func(m Meta) bool { return m.AccessExpiry.IsZero() }},
		{name: "gemini array", in: `{"expiry_date":[1]}`, parse: ParseGemini, field: "expiry_date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.parse([]byte(tc.in))
			assertNoLeak(t, "error", fmt.Sprint(err), []byte(tc.in))
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				if !tc.check(m) {
					t.Fatalf("meta = %+v", m)
				}
				return
			}
			var me *MalformedError
			if !errors.As(err, &me) || me.Field != tc.field {
				t.Fatalf("err = %v, want MalformedError on field %q", err, tc.field)
			}
		})
	}
}

func TestMalformedErrorText(t *testing.T) {
	_, err := ParseClaude(readFixture(t, ClaudeCode, "wrong-types.json"))
	want := "malformed credentials: field claudeAiOauth.expiresAt: want a number of milliseconds, got a string"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	_, err = ParseGemini([]byte(`{"a": "FIXTURE0secret0value0001" x}`))
	if err == nil || !strings.Contains(err.Error(), "invalid JSON (byte offset") {
		t.Fatalf("syntax error text = %v", err)
	}
}
