package watched

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tokentray/tokentray/keepalive/health"
	"github.com/tokentray/tokentray/keepalive/internal/human"
)

// AWSSSO is an AWS IAM Identity Center (SSO) session of the AWS CLI v2.
const AWSSSO Kind = "aws-sso"

// awsRefreshWindow is when the AWS CLI refreshes an sso-session token: with
// under 15 minutes left (botocore SSOTokenProvider._REFRESH_WINDOW).
const awsRefreshWindow = 15 * time.Minute

// awsSSOTool: the sessions configured in ${AWS_CONFIG_FILE:-~/.aws/config},
// one watched login per `[sso-session NAME]` (named aws-sso-NAME) and per
// legacy profile that has sso_start_url itself (aws-sso-PROFILE). The token
// cache is always ~/.aws/sso/cache/ (AWS_CONFIG_FILE does not move it), one
// file per login named sha1(session name) — sha1(start URL) for legacy
// profiles — plus ".json". Sign In runs `aws sso login --sso-session NAME`
// (legacy: `--profile PROFILE`), with AWS_CONFIG_FILE passed on when set.
var awsSSOTool = Tool{
	Kind:    AWSSSO,
	Title:   "AWS IAM Identity Center",
	EnvVars: []string{"AWS_CONFIG_FILE"},
	Discover: func(env Env) []Source {
		cfg, loginEnv := env.Var("AWS_CONFIG_FILE"), []string(nil)
		if cfg == "" {
			cfg = filepath.Join(env.Home, ".aws", "config")
		} else {
			loginEnv = []string{"AWS_CONFIG_FILE=" + cfg}
		}
		return awsSources(env, "", cfg, loginEnv)
	},
	NewSource: func(env Env, name, path string) []Source {
		// An extra store is another AWS config file; its sessions are
		// named <name>-<session>.
		return awsSources(env, name, path, []string{"AWS_CONFIG_FILE=" + path})
	},
	Parse:      func(_ string, data []byte) (Meta, error) { return ParseAWSSSOToken(data) },
	Health:     awsHealth,
	MultiLogin: true,
}

// AWSLogin is one SSO login configured in an AWS config file.
type AWSLogin struct {
	Session  string // the sso-session name; empty for a legacy profile
	Profile  string // the legacy profile; for sessions, the first profile using it
	StartURL string
	Region   string
}

// CacheKey is the token cache file's base name without ".json":
// sha1(session name), or sha1(start URL) for legacy profiles (botocore
// SSOTokenLoader._generate_cache_key).
func (l AWSLogin) CacheKey() string {
	in := l.StartURL
	if l.Session != "" {
		in = l.Session
	}
	sum := sha1.Sum([]byte(in))
	return hex.EncodeToString(sum[:])
}

func awsSources(env Env, prefix, configPath string, loginEnv []string) []Source {
	data, err := readStore(configPath)
	if err != nil {
		return nil
	}
	logins := ParseAWSConfig(data)
	clear(data)
	cache := filepath.Join(env.Home, ".aws", "sso", "cache")
	var out []Source
	for _, l := range logins {
		name, login := l.Session, []string{"aws", "sso", "login", "--sso-session", l.Session}
		if l.Session == "" {
			name, login = l.Profile, []string{"aws", "sso", "login", "--profile", l.Profile}
		}
		if prefix == "" {
			name = string(AWSSSO) + "-" + safeName(name)
		} else {
			name = prefix + "-" + safeName(name)
		}
		p := filepath.Join(cache, l.CacheKey()+".json")
		out = append(out, Source{Kind: AWSSSO, Name: name, Path: p, Exists: fileExists(p),
			DefaultLogin: login, LoginEnv: loginEnv, Settings: configPath})
	}
	return out
}

// safeName maps a session or profile name to an account name: letters,
// digits, '.', '_' and '-' are kept, anything else becomes '-'.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// ParseAWSConfig reads the SSO logins of an AWS CLI config file (the INI
// dialect of botocore's configloader: `[profile NAME]`, `[default]`,
// `[sso-session NAME]`, `key = value`, `#`/`;` comments, indented lines
// continuing a nested value). A profile with `sso_session = S` uses the
// `[sso-session S]` section's sso_start_url and sso_region; a profile with
// sso_start_url and no sso_session is a legacy login. Sessions are listed
// in name order (sessions that no profile uses included), then legacy
// profiles in name order, one per start URL. Sessions without
// sso_start_url are skipped. It never fails: lines it does not understand
// are ignored, as the AWS CLI does.
func ParseAWSConfig(data []byte) []AWSLogin {
	sections := map[string]map[string]string{}
	var cur map[string]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxStoreSize)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';':
			continue
		case line[0] == ' ' || line[0] == '\t':
			continue // a nested value (e.g. "s3 =\n  max_concurrency = 1")
		case trimmed[0] == '[':
			end := strings.IndexByte(trimmed, ']')
			if end < 0 {
				cur = nil
				continue
			}
			name := strings.Join(strings.Fields(trimmed[1:end]), " ")
			if sections[name] == nil {
				sections[name] = map[string]string{}
			}
			cur = sections[name]
		case cur != nil:
			k, v, ok := strings.Cut(trimmed, "=")
			if !ok {
				continue
			}
			if i := strings.Index(v, " #"); i >= 0 { // inline comment
				v = v[:i]
			}
			cur[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	sessions := map[string]map[string]string{}
	profiles := map[string]map[string]string{}
	for name, kv := range sections {
		switch {
		case strings.HasPrefix(name, "sso-session "):
			sessions[unquote(strings.TrimPrefix(name, "sso-session "))] = kv
		case strings.HasPrefix(name, "profile "):
			profiles[unquote(strings.TrimPrefix(name, "profile "))] = kv
		case name == "default":
			if profiles["default"] == nil {
				profiles["default"] = kv
			}
		}
	}
	var out []AWSLogin
	for _, s := range slices.Sorted(maps.Keys(sessions)) {
		kv := sessions[s]
		if kv["sso_start_url"] == "" {
			continue
		}
		l := AWSLogin{Session: s, StartURL: kv["sso_start_url"], Region: kv["sso_region"]}
		for _, p := range slices.Sorted(maps.Keys(profiles)) {
			if profiles[p]["sso_session"] == s {
				l.Profile = p
				break
			}
		}
		out = append(out, l)
	}
	seen := map[string]bool{}
	for _, p := range slices.Sorted(maps.Keys(profiles)) {
		kv := profiles[p]
		if kv["sso_session"] != "" || kv["sso_start_url"] == "" || seen[kv["sso_start_url"]] {
			continue
		}
		seen[kv["sso_start_url"]] = true
		out = append(out, AWSLogin{Profile: p, StartURL: kv["sso_start_url"], Region: kv["sso_region"]})
	}
	return out
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// ParseAWSSSOToken parses a token cache file of the AWS CLI v2
// (~/.aws/sso/cache/<sha1>.json, json.dumps with times as
// "%Y-%m-%dT%H:%M:%SZ"):
//
//	{"startUrl", "region", "accessToken", "expiresAt", "clientId",
//	 "clientSecret", "registrationExpiresAt", "refreshToken"?}
//
// refreshToken is written only for sso-session logins. A file without
// accessToken (a client registration, or what is left after a logout) is
// not a login: Meta.Mode [SignedOut]. The login can be refreshed (Meta.
// HasRefreshToken) only when refreshToken, clientId, clientSecret and
// registrationExpiresAt are all present, as botocore requires;
// Meta.LoginDeadline is the registration's expiry, Meta.AccountID the start
// URL. accessToken, refreshToken and clientSecret are never kept.
func ParseAWSSSOToken(data []byte) (Meta, error) {
	root, err := parseObject(data)
	if err != nil {
		return Meta{}, err
	}
	vals := map[string]string{}
	for _, k := range []string{"startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret", "registrationExpiresAt", "refreshToken"} {
		if vals[k], err = optString(root, k, k); err != nil {
			return Meta{}, err
		}
	}
	if vals["accessToken"] == "" {
		return Meta{Mode: SignedOut}, nil
	}
	var m Meta
	if vals["expiresAt"] == "" {
		return Meta{}, malformed("expiresAt", "missing")
	}
	if m.AccessExpiry, err = awsTime(vals["expiresAt"], "expiresAt"); err != nil {
		return Meta{}, err
	}
	if vals["registrationExpiresAt"] != "" {
		if m.LoginDeadline, err = awsTime(vals["registrationExpiresAt"], "registrationExpiresAt"); err != nil {
			return Meta{}, err
		}
	}
	m.HasRefreshToken = vals["refreshToken"] != "" && vals["clientId"] != "" && vals["clientSecret"] != "" && !m.LoginDeadline.IsZero()
	m.AccountID = vals["startUrl"]
	return m, nil
}

// awsTime parses the AWS CLI's timestamps: "%Y-%m-%dT%H:%M:%SZ" today;
// RFC 3339 offsets, fractions and the older "...UTC" suffix also occur.
func awsTime(s, field string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05MST", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, malformed(field, "want a time like 2006-01-02T15:04:05Z")
}

// awsHealth is the AWS CLI's own rule: an sso-session token is refreshed on
// use once under 15 minutes remain, while its client registration is
// valid; legacy tokens (no refresh token) end at their expiry.
func awsHealth(m Meta, now time.Time, _ time.Duration) Status {
	refreshable := m.HasRefreshToken && now.Before(m.LoginDeadline)
	left := m.AccessExpiry.Sub(now)
	st := Status{}
	switch {
	case left <= 0 && refreshable:
		st.State, st.Note, st.Reason = health.OK, AccessExpired, "access token expired at "+stamp(m.AccessExpiry)+"; the AWS CLI refreshes it on next use"
	case left <= 0 && m.HasRefreshToken:
		st.State, st.Reason = health.NeedsSignIn, "the session's client registration expired at "+stamp(m.LoginDeadline)+"; sign in again"
	case left <= 0:
		st.State, st.Reason = health.NeedsSignIn, "session expired at "+stamp(m.AccessExpiry)+"; sign in again"
	case refreshable:
		st.State, st.Reason = health.OK, "signed in; the AWS CLI refreshes the session until "+stamp(m.LoginDeadline)
	case left < awsRefreshWindow:
		st.State, st.Deadline = health.Warning, m.AccessExpiry
		st.Reason = "session ends in " + human.Duration(left) + " (" + stamp(m.AccessExpiry) + "); sign in again before then"
	default:
		st.State, st.Deadline = health.OK, m.AccessExpiry
		st.Reason = "signed in; session valid until " + stamp(m.AccessExpiry)
	}
	return st
}
