//go:build !windows && !darwin

package autostart

// Enable registers e to start at login by writing
// ${XDG_CONFIG_HOME:-~/.config}/autostart/<ID>.desktop. Calling it again
// rewrites the entry (e.g. with a new Exec path).
func Enable(e Entry) error {
	d, err := xdgFromEnv()
	if err != nil {
		return err
	}
	return d.enable(e)
}

// Disable unregisters id. It removes the user's desktop file, or masks a
// system-wide one with Hidden=true. Disabling what is not registered is
// not an error.
func Disable(id string) error {
	d, err := xdgFromEnv()
	if err != nil {
		return err
	}
	return d.disable(id)
}

// Status reports whether id will start at login: the user's desktop file
// (or else a system-wide one) exists and is not disabled by Hidden=true or
// X-GNOME-Autostart-enabled=false.
func Status(id string) (bool, error) {
	d, err := xdgFromEnv()
	if err != nil {
		return false, err
	}
	return d.status(id)
}

// Location returns where Enable registers id: the desktop file path.
func Location(id string) (string, error) {
	if err := validID(id); err != nil {
		return "", err
	}
	d, err := xdgFromEnv()
	if err != nil {
		return "", err
	}
	return d.userFile(id), nil
}
