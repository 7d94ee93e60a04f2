package config

import (
	"os"
	"path/filepath"
	"runtime"
)

// Paths are the places tokentray keeps its files.
type Paths struct {
	Config  string // config.toml
	Data    string // owned token files (0700)
	State   string // logs and the running instance's status
	Runtime string // the single-instance lock
}

// DefaultPaths returns the per-user locations:
//
//	Linux:   $XDG_CONFIG_HOME/tokentray/config.toml, $XDG_DATA_HOME/tokentray,
//	         $XDG_STATE_HOME/tokentray, $XDG_RUNTIME_DIR/tokentray
//	macOS:   ~/Library/Application Support/tokentray (config and data),
//	         ~/Library/Logs/tokentray
//	Windows: %AppData%\tokentray\config.toml, %LocalAppData%\tokentray\{tokens,logs}
func DefaultPaths() (Paths, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return Paths{}, err
	}
	cfgDir, err := os.UserConfigDir()
	if err != nil {
		return Paths{}, err
	}
	p := Paths{Config: filepath.Join(cfgDir, "tokentray", "config.toml")}
	switch runtime.GOOS {
	case "windows":
		local := os.Getenv("LocalAppData")
		if local == "" {
			local = filepath.Join(home, "AppData", "Local")
		}
		p.Data = filepath.Join(local, "tokentray", "tokens")
		p.State = filepath.Join(local, "tokentray", "logs")
		p.Runtime = filepath.Join(local, "tokentray")
	case "darwin":
		p.Data = filepath.Join(home, "Library", "Application Support", "tokentray", "tokens")
		p.State = filepath.Join(home, "Library", "Logs", "tokentray")
		p.Runtime = p.State
	default:
		p.Data = filepath.Join(xdg("XDG_DATA_HOME", filepath.Join(home, ".local", "share")), "tokentray", "tokens")
		p.State = filepath.Join(xdg("XDG_STATE_HOME", filepath.Join(home, ".local", "state")), "tokentray")
		p.Runtime = p.State
		if rt := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(rt) {
			p.Runtime = filepath.Join(rt, "tokentray")
		}
	}
	return p, nil
}

func xdg(env, def string) string {
	if v := os.Getenv(env); filepath.IsAbs(v) {
		return v
	}
	return def
}

// LogFile is the path of the log file.
func (p Paths) LogFile() string { return filepath.Join(p.State, "tokentray.log") }
