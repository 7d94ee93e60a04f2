package cmdutil

import (
	"path/filepath"

	"github.com/tokentray/tokentray/tray/autostart"
)

// AutostartID names tokentray's login registration (desktop file, launch
// agent label, Run value).
const AutostartID = "io.tokentray.tokentray"

// AutostartEntry is what starts at login: this executable (by the stable
// path it was started by) with "run", and the --config flag when one was
// given. A program in a temporary folder is refused; one in a build
// folder comes with a warning for the user.
func (f *Factory) AutostartEntry() (e autostart.Entry, warning string, err error) {
	exe, err := autostart.Executable()
	if err != nil {
		return autostart.Entry{}, "", err
	}
	if warning, err = autostart.CheckExecutable(exe); err != nil {
		return autostart.Entry{}, "", err
	}
	var args []string
	if f.ConfigPath != "" {
		p, err := filepath.Abs(f.ConfigPath)
		if err != nil {
			return autostart.Entry{}, "", err
		}
		args = append(args, "--config", p)
	}
	args = append(args, "run")
	return autostart.Entry{ID: AutostartID, Name: "tokentray", Exec: exe, Args: args}, warning, nil
}
