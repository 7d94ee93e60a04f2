package watched

import "path/filepath"

// Gemini is the Gemini CLI (Google).
const Gemini Kind = "gemini"

// GeminiDocsURL is where Sign In sends Gemini users: the Gemini CLI has no
// non-interactive login command (sign-in happens inside an interactive
// `gemini` session).
const GeminiDocsURL = "https://github.com/google-gemini/gemini-cli"

// geminiTool: ${GEMINI_CLI_HOME:-~}/.gemini/oauth_creds.json. With
// GEMINI_FORCE_ENCRYPTED_FILE_STORAGE=true the Gemini CLI keeps its login in
// the OS keyring (service "gemini-cli-oauth") or, without one, encrypted
// in .gemini/gemini-credentials.json: neither can be read, so the login is
// shown as kept in the OS keyring with an unknown expiry.
var geminiTool = Tool{
	Kind:    Gemini,
	Title:   "Gemini CLI",
	EnvVars: []string{"GEMINI_CLI_HOME", "GEMINI_FORCE_ENCRYPTED_FILE_STORAGE"},
	Discover: func(env Env) []Source {
		home := env.Var("GEMINI_CLI_HOME")
		if home == "" {
			home = env.Home
		}
		return []Source{geminiSource(env, string(Gemini), filepath.Join(home, ".gemini", "oauth_creds.json"), nil)}
	},
	NewSource: func(env Env, name, path string) []Source {
		var loginEnv []string
		// GEMINI_CLI_HOME names the directory holding .gemini.
		if dir := filepath.Dir(path); filepath.Base(dir) == ".gemini" && filepath.Dir(dir) != env.Home {
			loginEnv = []string{"GEMINI_CLI_HOME=" + filepath.Dir(dir)}
		}
		return []Source{geminiSource(env, name, path, loginEnv)}
	},
	Parse: func(_ string, data []byte) (Meta, error) { return ParseGemini(data) },
	Read: func(src Source) (Meta, error) {
		if src.Keyring || !fileExists(src.Path) && fileExists(src.Settings) {
			return Meta{Mode: KeyringLogin, Method: "the OS keyring"}, nil
		}
		return readFile(src)
	},
	LoginURL: GeminiDocsURL,
}

func geminiSource(env Env, name, path string, loginEnv []string) Source {
	s := Source{Kind: Gemini, Name: name, Path: path, LoginEnv: loginEnv,
		Settings: filepath.Join(filepath.Dir(path), "gemini-credentials.json"), Keyring: env.Var("GEMINI_FORCE_ENCRYPTED_FILE_STORAGE") == "true"}
	s.Exists = s.Keyring || fileExists(path) || fileExists(s.Settings)
	return s
}

// ParseGemini parses the Gemini CLI's oauth_creds.json (google-auth-library
// Credentials, JSON.stringify(creds, null, 2)):
//
//	{"access_token", "refresh_token", "expiry_date" (ms), "id_token", ...}
func ParseGemini(data []byte) (Meta, error) {
	root, err := parseObject(data)
	if err != nil {
		return Meta{}, err
	}
	return geminiLike(root, "access_token", "refresh_token", "expiry_date", "id_token")
}
