package watched

import (
	"errors"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/health"
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

const (
	azAlice      = "00000000-0000-0000-0000-0000000a11ce.72f988bf-86f1-41af-91ab-2d7cd011db47"
	azBob        = "00000000-0000-0000-0000-000000000b0b.72f988bf-86f1-41af-91ab-2d7cd011db47"
	awsURL       = "https://example.awsapps.com/start"
	awsLegacyURL = "https://legacy.awsapps.com/start"
)

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
	state    health.State
	note     Note
	errField string // for Broken: the field named by the atomicfile.MalformedError ("" = document)
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
	az := func(exp, deadline time.Time, refresh bool, user string) Meta {
		return Meta{HasRefreshToken: refresh, AccessExpiry: exp, LoginDeadline: deadline, Email: user}
	}
	notOAuth := func(method string) Meta { return Meta{Mode: NotOAuthLogin, Method: method} }
	aws := func(exp, reg time.Time, refresh bool, url string) Meta {
		return Meta{HasRefreshToken: refresh, AccessExpiry: exp, LoginDeadline: reg, AccountID: url}
	}
	n := fixtureNow
	return []fixtureCase{
		{kind: ClaudeCode, file: "healthy.json", state: health.OK, meta: claude(n.Add(6*h), farFuture, true)},
		{kind: ClaudeCode, file: "access-expired.json", state: health.OK, note: AccessExpired, meta: claude(n.Add(-8*h), farFuture, true)},
		{kind: ClaudeCode, file: "deadline-near.json", state: health.Warning, meta: claude(n.Add(6*h), n.Add(36*h), true)},
		{kind: ClaudeCode, file: "deadline-passed.json", state: health.NeedsSignIn, meta: claude(n.Add(-48*h), n.Add(-24*h), true)},
		{kind: ClaudeCode, file: "no-refresh.json", state: health.NeedsSignIn, meta: claude(n.Add(6*h), farFuture, false)},
		{kind: ClaudeCode, file: "extra-fields.json", state: health.OK, meta: claude(n.Add(6*h), farFuture, true)},
		{kind: ClaudeCode, file: "malformed.json", state: health.Broken, problem: "invalid JSON"},
		{kind: ClaudeCode, file: "wrong-types.json", state: health.Broken, errField: "claudeAiOauth.expiresAt", problem: "got a string"},
		{kind: ClaudeCode, file: "empty.json", state: health.Broken, problem: "empty file"},

		{kind: Codex, file: "healthy.json", state: health.OK, meta: codex(n.Add(5*24*h), true)},
		{kind: Codex, file: "access-expired.json", state: health.OK, note: AccessExpired, meta: codex(n.Add(-24*h), true)},
		{kind: Codex, file: "no-refresh.json", state: health.NeedsSignIn, meta: codex(n.Add(5*24*h), false)},
		{kind: Codex, file: "extra-fields.json", state: health.OK, meta: codex(n.Add(5*24*h), true)},
		{kind: Codex, file: "malformed.json", state: health.Broken, problem: "invalid JSON"},
		{kind: Codex, file: "wrong-types.json", state: health.Broken, errField: "tokens.refresh_token", problem: "got a number"},
		{kind: Codex, file: "empty.json", state: health.Broken, problem: "empty file"},

		{kind: Gemini, file: "healthy.json", state: health.OK, meta: gemini(n.Add(h), true)},
		{kind: Gemini, file: "access-expired.json", state: health.OK, note: AccessExpired, meta: gemini(n.Add(-2*h), true)},
		{kind: Gemini, file: "no-refresh.json", state: health.NeedsSignIn, meta: gemini(n.Add(h), false)},
		{kind: Gemini, file: "extra-fields.json", state: health.OK, meta: gemini(n.Add(h), true)},
		{kind: Gemini, file: "malformed.json", state: health.Broken, problem: "invalid JSON"},
		{kind: Gemini, file: "wrong-types.json", state: health.Broken, errField: "expiry_date", problem: "got a string"},
		{kind: Gemini, file: "empty.json", state: health.Broken, problem: "empty file"},

		{kind: Opencode, provider: "anthropic", file: "healthy.json", state: health.OK, meta: oc(n.Add(6*h), true)},
		{kind: Opencode, provider: "anthropic", file: "access-expired.json", state: health.OK, note: AccessExpired, meta: oc(n.Add(-h), true)},
		{kind: Opencode, provider: "anthropic", file: "no-refresh.json", state: health.NeedsSignIn, meta: oc(n.Add(6*h), false)},
		{kind: Opencode, provider: "anthropic", file: "extra-fields.json", state: health.OK, meta: oc(n.Add(6*h), true)},
		{kind: Opencode, provider: "github-copilot", file: "extra-fields.json", state: health.OK, meta: oc(n.Add(h), true)},
		{kind: Opencode, provider: "anthropic", file: "malformed.json", state: health.Broken, problem: "invalid JSON"},
		{kind: Opencode, provider: "anthropic", file: "wrong-types.json", state: health.OK, meta: oc(n.Add(6*h), true)},
		{kind: Opencode, provider: "openai", file: "wrong-types.json", state: health.Broken, errField: "expires", problem: "got a string"},
		{kind: Opencode, provider: "anthropic", file: "empty.json", state: health.Broken, problem: "empty file"},
		// An API-key entry is not an OAuth login.
		{kind: Opencode, provider: "openrouter", file: "healthy.json", state: health.OK, note: NotOAuth, meta: notOAuth("API key")},
		// A store of API-key and well-known entries only: not OAuth logins.
		{kind: Opencode, file: "api-only.json", state: health.OK, note: NotOAuth, meta: notOAuth("well-known provider token")},

		// Claude Code after a Console login or a logout: only mcpOAuth.
		{kind: ClaudeCode, file: "mcp-only.json", state: health.NeedsSignIn, meta: Meta{Mode: SignedOut}},
		// Codex API-key (`codex login --with-api-key`, and the older form
		// without auth_mode), agent-identity and signed-out stores.
		{kind: Codex, file: "api-key.json", state: health.OK, note: NotOAuth, meta: notOAuth("API key")},
		{kind: Codex, file: "api-key-legacy.json", state: health.OK, note: NotOAuth, meta: notOAuth("API key")},
		{kind: Codex, file: "agent-identity.json", state: health.OK, note: NotOAuth, meta: notOAuth("agent identity")},
		{kind: Codex, file: "signed-out.json", state: health.NeedsSignIn, meta: Meta{Mode: SignedOut}},

		// AWS IAM Identity Center token cache files.
		{kind: AWSSSO, file: "healthy.json", state: health.OK, meta: aws(n.Add(h), n.Add(80*24*h), true, awsURL)},
		{kind: AWSSSO, file: "utc-suffix.json", state: health.OK, meta: aws(n.Add(h), n.Add(80*24*h), true, awsURL)},
		{kind: AWSSSO, file: "access-expired.json", state: health.OK, note: AccessExpired, meta: aws(n.Add(-2*h), n.Add(80*24*h), true, awsURL)},
		{kind: AWSSSO, file: "registration-expired.json", state: health.NeedsSignIn, meta: aws(n.Add(-2*h), n.Add(-24*h), true, awsURL)},
		{kind: AWSSSO, file: "legacy-valid.json", state: health.OK, meta: aws(n.Add(2*h), n.Add(80*24*h), false, awsLegacyURL)},
		{kind: AWSSSO, file: "legacy-ending.json", state: health.Warning, meta: aws(n.Add(10*time.Minute), n.Add(80*24*h), false, awsLegacyURL)},
		{kind: AWSSSO, file: "legacy-expired.json", state: health.NeedsSignIn, meta: aws(n.Add(-h), n.Add(80*24*h), false, awsLegacyURL)},
		{kind: AWSSSO, file: "registration.json", state: health.NeedsSignIn, meta: Meta{Mode: SignedOut}},
		{kind: AWSSSO, file: "malformed.json", state: health.Broken, problem: "invalid JSON"},
		{kind: AWSSSO, file: "wrong-types.json", state: health.Broken, errField: "expiresAt", problem: "got a number"},
		{kind: AWSSSO, file: "empty.json", state: health.Broken, problem: "empty file"},

		// Azure CLI MSAL token caches.
		{kind: Azure, provider: azAlice, file: "healthy.json", state: health.OK, meta: az(n.Add(h), n.Add(89*24*h), true, "alice@example.com")},
		{kind: Azure, provider: azAlice, file: "access-expired.json", state: health.OK, note: AccessExpired, meta: az(n.Add(-2*h), n.Add(89*24*h), true, "alice@example.com")},
		{kind: Azure, provider: azAlice, file: "idle-near.json", state: health.Warning, meta: az(n.Add(h), n.Add(2*24*h), true, "alice@example.com")},
		{kind: Azure, provider: azAlice, file: "idle-passed.json", state: health.NeedsSignIn, meta: az(n.Add(h), n.Add(-24*h), true, "alice@example.com")},
		{kind: Azure, provider: azAlice, file: "no-refresh.json", state: health.NeedsSignIn, meta: az(n.Add(h), time.Time{}, false, "alice@example.com")},
		{kind: Azure, provider: azAlice, file: "two-accounts.json", state: health.OK, meta: az(n.Add(h), n.Add(89*24*h), true, "alice@example.com")},
		{kind: Azure, provider: azBob, file: "two-accounts.json", state: health.OK, meta: az(n.Add(h), n.Add(89*24*h), true, "bob@contoso.com")},
		{kind: Azure, file: "signed-out.json", state: health.NeedsSignIn, meta: Meta{Mode: SignedOut}},
		{kind: Azure, file: "wrong-types.json", state: health.Broken, errField: "AccessToken.expires_on", problem: "got an object"},
		{kind: Azure, file: "malformed.json", state: health.Broken, problem: "invalid JSON"},
		{kind: Azure, file: "empty.json", state: health.Broken, problem: "empty file"},

		// gcloud's per-account application default credentials.
		{kind: GCloud, file: "healthy.json", state: health.OK, meta: Meta{HasRefreshToken: true}},
		{kind: GCloud, file: "no-refresh.json", state: health.NeedsSignIn, meta: Meta{}},
		{kind: GCloud, file: "service-account.json", state: health.OK, note: NotOAuth, meta: notOAuth("service account key")},
		{kind: GCloud, file: "wrong-types.json", state: health.Broken, errField: "refresh_token", problem: "got a number"},
		{kind: GCloud, file: "malformed.json", state: health.Broken, problem: "invalid JSON"},
		{kind: GCloud, file: "empty.json", state: health.Broken, problem: "empty file"},
	}
}

func TestParseFixtures(t *testing.T) {
	for _, tc := range fixtureCases() {
		t.Run(fmt.Sprintf("%s/%s/%s", tc.kind, tc.file, tc.provider), func(t *testing.T) {
			data := readFixture(t, tc.kind, tc.file)
			if len(data) > 0 && len(tokenLikeWords(data)) == 0 && tc.meta.Mode != SignedOut {
				t.Fatal("fixture has no token-like strings: the leak check would be vacuous")
			}
			m, err := Parse(tc.kind, tc.provider, data)
			st := EvaluateSource(Source{Kind: tc.kind}, m, err, fixtureNow)
			if st.State != tc.state || st.Note != tc.note {
				t.Fatalf("state = %v %q (%s), want %v %q", st.State, st.Note, st.Reason, tc.state, tc.note)
			}
			if err != nil {
				assertNoLeak(t, "error", err.Error(), data)
				assertNoLeak(t, "reason", st.Reason, data)
			}
			assertNoLeak(t, "meta", fmt.Sprintf("%+v", m), data)
			switch {
			case tc.state == health.Broken:
				var me *atomicfile.MalformedError
				if !errors.As(err, &me) {
					t.Fatalf("err = %v, want *atomicfile.MalformedError", err)
				}
				if me.Field != tc.errField || !strings.Contains(me.Problem, tc.problem) {
					t.Fatalf("atomicfile.MalformedError = %+v, want field %q problem ~%q", me, tc.errField, tc.problem)
				}
				if m != (Meta{}) {
					t.Fatalf("meta of a broken store = %+v, want zero", m)
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
	return a.Mode == b.Mode && a.Method == b.Method && a.HasRefreshToken == b.HasRefreshToken && a.AccessExpiry.Equal(b.AccessExpiry) &&
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
		{name: "claude section missing: not signed in", in: `{"mcpOAuth":{}}`, parse: ParseClaude, ok: true,
			check: func(m Meta) bool { return m == Meta{Mode: SignedOut} }},
		{name: "claude section null: not signed in", in: `{"claudeAiOauth":null}`, parse: ParseClaude, ok: true,
			check: func(m Meta) bool { return m == Meta{Mode: SignedOut} }},
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
		{name: "codex tokens missing (API key mode)", in: `{"OPENAI_API_KEY":"sk-proj-FIXTURE0apikey000000","tokens":null}`, parse: ParseCodex, ok: true,
			check: func(m Meta) bool { return m == Meta{Mode: NotOAuthLogin, Method: "API key"} }},
		{name: "codex chatgpt mode without tokens", in: `{"auth_mode":"chatgpt","OPENAI_API_KEY":null}`, parse: ParseCodex, field: "tokens"},
		{name: "codex auth_mode wrong type", in: `{"auth_mode":7,"tokens":{}}`, parse: ParseCodex, field: "auth_mode"},
		{name: "aws expiresAt missing", in: `{"accessToken":"aoaFIXTURE0access0000000"}`, parse: ParseAWSSSOToken, field: "expiresAt"},
		{name: "aws bad time", in: `{"accessToken":"aoaFIXTURE0access0000000","expiresAt":"tomorrow"}`, parse: ParseAWSSSOToken, field: "expiresAt"},
		{name: "aws offset time", in: `{"accessToken":"aoaFIXTURE0access0000000","expiresAt":"2030-06-15T14:00:00+02:00"}`, parse: ParseAWSSSOToken, ok: true,
			check: func(m Meta) bool { return m.AccessExpiry.Equal(fixtureNow) && !m.HasRefreshToken }},
		{name: "aws refresh without registration", in: `{"accessToken":"aoaFIXTURE0access0000000","expiresAt":"2030-06-15T12:00:00Z","refreshToken":"aorFIXTURE0refresh000000"}`, parse: ParseAWSSSOToken, ok: true,
			check: func(m Meta) bool { return !m.HasRefreshToken }},
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
			var me *atomicfile.MalformedError
			if !errors.As(err, &me) || me.Field != tc.field {
				t.Fatalf("err = %v, want atomicfile.MalformedError on field %q", err, tc.field)
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

func TestMetaWho(t *testing.T) {
	for _, tc := range []struct {
		m    Meta
		want string
	}{
		{Meta{Plan: "max"}, "max"},
		{Meta{Email: "ada@example.com"}, "ada@example.com"},
		{Meta{Email: "ada@example.com", Plan: "plus", AccountID: "0b6c"}, "ada@example.com (plus)"},
		{Meta{AccountID: "https://d-9067c2d1a4.awsapps.com/start"}, "d-9067c2d1a4.awsapps.com"},
		{Meta{AccountID: "3f1e0c52-0000-4000-8000-000000000000"}, ""}, // an ID says nothing to a person
		{Meta{}, ""},
	} {
		if got := tc.m.Who(); got != tc.want {
			t.Errorf("%+v.Who() = %q, want %q", tc.m, got, tc.want)
		}
	}
}
