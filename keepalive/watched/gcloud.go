package watched

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// GCloud is the Google Cloud CLI (`gcloud`).
const GCloud Kind = "gcloud"

// gcloudTool: one watched login per account of
// ${CLOUDSDK_CONFIG:-~/.config/gcloud} (Windows: %APPDATA%\gcloud), read
// from legacy_credentials/<account>/adc.json, which `gcloud auth login`
// writes next to its SQLite credential store (json.dumps(adc,
// sort_keys=True, indent=2)). Google user refresh tokens have no stored
// expiry: a login with one is healthy; service-account and
// workload-identity credentials are not OAuth user logins. `gcloud auth
// login` may ask for a verification code, so it runs in a terminal window.
var gcloudTool = Tool{
	Kind:    GCloud,
	Title:   "Google Cloud CLI",
	EnvVars: []string{"CLOUDSDK_CONFIG", "APPDATA"},
	Discover: func(env Env) []Source {
		dir := env.Var("CLOUDSDK_CONFIG")
		switch {
		case dir != "":
		case env.GOOS == "windows" && env.Var("APPDATA") != "":
			dir = filepath.Join(env.Var("APPDATA"), "gcloud")
		default:
			dir = filepath.Join(env.Home, ".config", "gcloud")
		}
		return gcloudSources(string(GCloud), dir, nil)
	},
	NewSource: func(env Env, name, path string) []Source {
		// An extra store is another configuration directory (its
		// legacy_credentials are listed), or one account's adc.json.
		if filepath.Base(path) == "adc.json" {
			dir := filepath.Dir(filepath.Dir(filepath.Dir(path)))
			return []Source{gcloudSource(name, filepath.Base(filepath.Dir(path)), path, []string{"CLOUDSDK_CONFIG=" + dir})}
		}
		return gcloudSources(name, path, []string{"CLOUDSDK_CONFIG=" + path})
	},
	Parse:      func(_ string, data []byte) (Meta, error) { return ParseGCloudADC(data) },
	MultiLogin: true,
}

func gcloudSources(prefix, dir string, loginEnv []string) []Source {
	entries, err := os.ReadDir(filepath.Join(dir, "legacy_credentials"))
	if err != nil {
		return nil
	}
	var out []Source
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		p := filepath.Join(dir, "legacy_credentials", e.Name(), "adc.json")
		out = append(out, gcloudSource(prefix+"-"+safeName(e.Name()), e.Name(), p, loginEnv))
	}
	slices.SortFunc(out, func(a, b Source) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func gcloudSource(name, account, path string, loginEnv []string) Source {
	return Source{Kind: GCloud, Name: name, Path: path, Provider: account, Exists: fileExists(path),
		DefaultLogin: []string{"gcloud", "auth", "login", account}, LoginEnv: loginEnv, LoginTerminal: true}
}

// ParseGCloudADC parses an application-default-credentials file as gcloud
// writes it for each account:
//
//	{"account": "", "client_id", "client_secret", "refresh_token",
//	 "type": "authorized_user", "universe_domain": "googleapis.com"}
//
// "service_account", "external_account" and the like are not OAuth user
// logins (Meta.Mode [NotOAuthLogin]). A user login has no stored expiry.
func ParseGCloudADC(data []byte) (Meta, error) {
	root, err := parseObject(data)
	if err != nil {
		return Meta{}, err
	}
	typ, err := optString(root, "type", "type")
	if err != nil {
		return Meta{}, err
	}
	switch typ {
	case "authorized_user":
	case "":
		return Meta{}, malformed("type", "missing")
	case "service_account":
		return Meta{Mode: NotOAuthLogin, Method: "service account key"}, nil
	default:
		return Meta{Mode: NotOAuthLogin, Method: typ + " credentials"}, nil
	}
	rt, err := optString(root, "refresh_token", "refresh_token")
	if err != nil {
		return Meta{}, err
	}
	if _, err := optString(root, "client_id", "client_id"); err != nil {
		return Meta{}, err
	}
	return Meta{HasRefreshToken: rt != ""}, nil
}
