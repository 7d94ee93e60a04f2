package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// writeStore writes another tool's credential file into the test HOME.
func (h *home) writeStore(rel, text string) string {
	h.t.Helper()
	p := filepath.Join(h.root, rel)
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return p
}

func jwtWithExp(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(fmt.Sprintf(`{"exp":%d}`, exp.Unix()))) + ".sig"
}

func TestStatusShowsWatchedAccounts(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	now := time.Now()
	ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
	stores := map[string]string{
		".claude/.credentials.json": fmt.Sprintf(`{"claudeAiOauth":{"accessToken":"sk-ant-oat-SECRET1","refreshToken":"sk-ant-ort-SECRET2",`+
			`"expiresAt":%d,"refreshTokenExpiresAt":%d,"subscriptionType":"max"},"mcpOAuth":{}}`, ms(time.Hour), ms(50*time.Hour)),
		".codex/auth.json": fmt.Sprintf(`{"tokens":{"access_token":%q,"refresh_token":"rt-SECRET3","id_token":"x.y.z","account_id":"a"},"last_refresh":%q}`,
			jwtWithExp(now.Add(5*time.Hour)), now.Add(-time.Hour).UTC().Format(time.RFC3339)),
		".gemini/oauth_creds.json":        fmt.Sprintf(`{"access_token":"ya29.SECRET4","refresh_token":"1//SECRET5","expiry_date":%d,"token_type":"Bearer"}`, ms(-time.Hour)),
		".local/share/opencode/auth.json": fmt.Sprintf(`{"anthropic":{"type":"oauth","access":"SECRET6","expires":%d},"openai":{"type":"api","key":"sk-SECRET7"}}`, ms(time.Hour)),
	}
	var paths []string
	before := map[string]os.FileInfo{}
	for rel, text := range stores {
		p := h.writeStore(rel, text)
		paths = append(paths, p)
		st, _ := os.Stat(p)
		before[p] = st
	}
	h.env = append(h.env, "XDG_DATA_HOME="+filepath.Join(h.root, ".local", "share"))

	// opencode-anthropic needs a sign-in: exit 1.
	out, errOut, code := h.run("status")
	if code != 1 {
		t.Fatalf("status: %d %s", code, errOut)
	}
	want := map[string][]string{
		"claude-code":        {" claude-code ", " max ", "ends soon", "in 59m"},
		"codex":              {" codex ", "ok", "in 4h 59m"},
		"gemini":             {" gemini ", "ok", "1h ago"},
		"opencode-anthropic": {" opencode ", "needs sign-in"},
	}
	lines := strings.Split(out, "\n")
	for name, parts := range want {
		var line string
		for _, l := range lines {
			if strings.HasPrefix(l, name+" ") {
				line = l
			}
		}
		for _, p := range parts {
			if !strings.Contains(line, p) {
				t.Errorf("status line of %s lacks %q: %q", name, p, line)
			}
		}
	}
	if strings.Contains(out, "openai") {
		t.Errorf("a non-OAuth opencode entry is shown:\n%s", out)
	}
	out, _, _ = h.run("status", "--json")
	var snap struct{ Accounts []map[string]any }
	if err := json.Unmarshal([]byte(out), &snap); err != nil || len(snap.Accounts) != 4 {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	// A switched-off store disappears.
	h.writeConfig("[watch.gemini]\nenabled = false\n")
	if out, _, _ = h.run("status"); strings.Contains(out, "gemini") {
		t.Errorf("disabled store still shown:\n%s", out)
	}

	for _, p := range paths {
		st, _ := os.Stat(p)
		if st.ModTime() != before[p].ModTime() || st.Mode() != before[p].Mode() {
			t.Errorf("%s was touched", p)
		}
		data, _ := os.ReadFile(p)
		for rel, text := range stores {
			if strings.HasSuffix(p, rel) && string(data) != text {
				t.Errorf("%s changed", p)
			}
		}
	}
	for _, o := range h.outputs {
		if strings.Contains(o, "SECRET") {
			t.Errorf("a watched token leaked:\n%s", o)
		}
	}
}

func TestLoginDelegatesToOwnerCommand(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake owner command is a shell script")
	}
	h := newHome(t, oauthtest.Options{})
	h.writeStore(".codex/auth.json", fmt.Sprintf(`{"tokens":{"access_token":%q,"account_id":"a"}}`, jwtWithExp(time.Now().Add(-time.Hour))))
	bin := filepath.Join(h.root, "bin")
	os.MkdirAll(bin, 0o755)
	record := filepath.Join(h.root, "codex-called")
	script := "#!/bin/sh\necho \"$@\" > " + record + "\necho 'Starting local login server.'\n"
	if err := os.WriteFile(filepath.Join(bin, "codex"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h.env = append(h.env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, _, _ := h.run("status")
	if !strings.Contains(out, "needs sign-in") {
		t.Fatalf("codex without refresh token should need sign-in:\n%s", out)
	}
	out, errOut, code := h.run("login", "codex")
	if code != 0 || !strings.Contains(out, "ran the owner's login") {
		t.Fatalf("login codex: %d\n%s%s", code, out, errOut)
	}
	keepalivetest.Eventually(t, "fake codex to run", func() bool { _, err := os.Stat(record); return err == nil })
	if got, _ := os.ReadFile(record); strings.TrimSpace(string(got)) != "login" {
		t.Errorf("codex called with %q, want \"login\"", got)
	}
}

// TestStatusShowsOwnerVerdicts: over a HOME holding each setup that used to
// be shown wrongly, `tokentray status` says what the owner would say.
func TestStatusShowsOwnerVerdicts(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	now := time.Now().UTC()
	awsTime := func(d time.Duration) string { return now.Add(d).Format("2006-01-02T15:04:05Z") }
	cache := ".aws/sso/cache/"
	stores := map[string]string{
		// Codex signed in with an API key.
		".codex/auth.json": "{\n  \"auth_mode\": \"apikey\",\n  \"OPENAI_API_KEY\": \"sk-proj-SECRET1\"\n}",
		// A second Codex home that keeps its login in the OS keyring.
		"work/.codex/config.toml": "cli_auth_credentials_store = \"keyring\"\n",
		// Claude Code after a logout: only mcpOAuth is left.
		".claude/.credentials.json": `{"mcpOAuth":{"gh|1":{"accessToken":"SECRET2","refreshToken":"SECRET3"}}}`,
		// Gemini with encrypted storage.
		".gemini/gemini-credentials.json": "00112233445566778899aabb:00112233445566778899aabbccddeeff:SECRET4",
		// opencode with API-key entries only.
		".local/share/opencode/auth.json": `{"openrouter":{"type":"api","key":"sk-or-SECRET5"}}`,
		// AWS IAM Identity Center: a session the CLI refreshes, and a legacy
		// profile whose token has expired.
		".aws/config": "[profile dev]\nsso_session = work\n\n[sso-session work]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n\n" +
			"[profile old]\nsso_start_url = https://legacy.awsapps.com/start\nsso_region = us-west-2\n",
		cache + "e274eeff768c6396088ec6eb091f4bf4d47ab1e0.json": `{"startUrl": "https://example.awsapps.com/start", "region": "us-east-1", "accessToken": "SECRET6", "expiresAt": "` +
			awsTime(-time.Hour) + `", "clientId": "cid", "clientSecret": "SECRET7", "registrationExpiresAt": "` + awsTime(80*24*time.Hour) + `", "refreshToken": "SECRET8"}`,
		cache + "79e435d7a515078e81c9dffc35f38d5687ebd3a7.json": `{"startUrl": "https://legacy.awsapps.com/start", "region": "us-west-2", "accessToken": "SECRET9", "expiresAt": "` +
			awsTime(-time.Hour) + `", "clientId": "cid", "clientSecret": "SECRET10", "registrationExpiresAt": "` + awsTime(80*24*time.Hour) + `"}`,
	}
	// Azure CLI: a user whose refresh token was last used yesterday.
	stores[".azure/msal_token_cache.json"] = fmt.Sprintf(`{
    "Account": {"h-login.microsoftonline.com-t": {"home_account_id": "h", "environment": "login.microsoftonline.com", "realm": "t", "username": "alice@example.com", "authority_type": "MSSTS"}},
    "RefreshToken": {"h-login.microsoftonline.com-refreshtoken-c--s": {"credential_type": "RefreshToken", "secret": "SECRET11", "home_account_id": "h", "client_id": "c", "last_modification_time": "%d"}},
    "AccessToken": {}
}`, now.Add(-24*time.Hour).Unix())
	// gcloud: a service-account key.
	stores[".config/gcloud/legacy_credentials/ci@proj.iam.gserviceaccount.com/adc.json"] = "{\n  \"private_key\": \"SECRET12\",\n  \"type\": \"service_account\"\n}"
	before := map[string]os.FileInfo{}
	for rel, text := range stores {
		p := h.writeStore(rel, text)
		before[p], _ = os.Stat(p)
	}
	h.env = append(h.env, "XDG_DATA_HOME="+filepath.Join(h.root, ".local", "share"))
	h.writeConfig("[watch.claude-code]\n[watch.opencode]\n[watch.work-codex]\nkind = \"codex\"\npath = \"~/work/.codex/auth.json\"\n")

	out, errOut, code := h.run("status", "--json")
	if code != 1 { // accounts need sign-in
		t.Fatalf("status: %d %s", code, errOut)
	}
	var snap struct{ Accounts []map[string]any }
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, a := range snap.Accounts {
		got[fmt.Sprint(a["name"])] = fmt.Sprint(a["status"]) + ": " + fmt.Sprint(a["reason"])
	}
	want := map[string]string{
		"codex":        "ok: not an OAuth login (API key)",
		"work-codex":   "ok: kept in the OS keyring",
		"claude-code":  "needs sign-in: not signed in",
		"gemini":       "ok: kept in the OS keyring",
		"opencode":     "ok: not an OAuth login (API key)",
		"aws-sso-work": "ok: access token expired",
		"aws-sso-old":  "needs sign-in: session expired",
	}
	for name, w := range want {
		if !strings.HasPrefix(got[name], w) {
			t.Errorf("%s: %q, want %q…", name, got[name], w)
		}
	}
	// The text table says the same, and who is signed in.
	text, _, _ := h.run("status")
	for _, w := range []string{"not an OAuth login (API key)", "kept in the OS keyring"} {
		if !strings.Contains(text, w) {
			t.Errorf("status lacks %q:\n%s", w, text)
		}
	}
	for _, a := range snap.Accounts {
		if a["name"] == "aws-sso-work" && a["user"] != "example.awsapps.com" {
			t.Errorf("aws-sso-work: user %v, want the start URL's host", a["user"])
		}
	}
	for _, o := range h.outputs {
		if strings.Contains(o, "SECRET") {
			t.Errorf("a watched secret leaked:\n%s", o)
		}
	}
	for p, st := range before {
		now, _ := os.Stat(p)
		if now.ModTime() != st.ModTime() || now.Mode() != st.Mode() || now.Size() != st.Size() {
			t.Errorf("%s was touched", p)
		}
	}
}
