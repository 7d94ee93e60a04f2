package autostart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// This file implements the freedesktop.org autostart backend in terms of
// explicit directories, so it is tested on every OS; autostart_xdg.go
// wires it to the environment on Linux and the BSDs.
//
// References: Desktop Entry Specification 1.5 ("The Exec key", "Possible
// value types") and Desktop Application Autostart Specification 0.5.

// execReserved are the characters that force an Exec argument to be
// quoted (Desktop Entry Specification, "The Exec key").
const execReserved = " \t\n\"'\\><~|&;$*?#()`"

// quoteExecArg quotes one argument of an Exec key: arguments containing a
// reserved character (or empty ones) are put in double quotes, inside
// which '"', '`', '$' and '\' are preceded by a backslash. A literal '%'
// is written "%%" (field codes start with '%'), quoted or not.
func quoteExecArg(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if s != "" && !strings.ContainsAny(s, execReserved) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '`', '$', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// escapeDesktopString applies the escapes of the "string" value type.
// The quoting of quoteExecArg is applied first, so a backslash inside a
// quoted argument ends up as four backslashes in the file, as the
// specification requires. Control characters are rejected earlier.
func escapeDesktopString(s string) string {
	return strings.ReplaceAll(s, `\`, `\\`)
}

// execValue is the Exec value for exe and args, before string escaping.
func execValue(exe string, args []string) string {
	parts := []string{quoteExecArg(exe)}
	for _, a := range args {
		parts = append(parts, quoteExecArg(a))
	}
	return strings.Join(parts, " ")
}

// desktopEntry renders the autostart desktop file of e.
func desktopEntry(e Entry) (string, error) {
	if err := e.checkText(); err != nil {
		return "", err
	}
	name := e.Name
	if name == "" {
		name = e.ID
	}
	var b strings.Builder
	b.WriteString("[Desktop Entry]\n")
	b.WriteString("Type=Application\n")
	b.WriteString("Version=1.5\n")
	b.WriteString("Name=" + escapeDesktopString(name) + "\n")
	b.WriteString("Exec=" + escapeDesktopString(execValue(e.Exec, e.Args)) + "\n")
	b.WriteString("Terminal=false\n")
	b.WriteString("X-GNOME-Autostart-enabled=true\n")
	return b.String(), nil
}

// hiddenEntry is the user file that masks a system-wide autostart entry
// of the same name (Autostart Specification: Hidden=true).
func hiddenEntry(id string) string {
	return "[Desktop Entry]\nType=Application\nName=" + escapeDesktopString(id) + "\nHidden=true\n"
}

// desktopEnabled reports whether an autostart desktop file will start its
// program: it is disabled by Hidden=true or X-GNOME-Autostart-enabled=false
// in the [Desktop Entry] group.
func desktopEnabled(data []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	inMain := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			inMain = line == "[Desktop Entry]"
			continue
		}
		if !inMain {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case k == "Hidden" && strings.EqualFold(v, "true"):
			return false
		case k == "X-GNOME-Autostart-enabled" && strings.EqualFold(v, "false"):
			return false
		}
	}
	return true
}

// xdgDirs are the directories the Autostart Specification searches:
// configHome first (the user's), then configDirs in order.
type xdgDirs struct {
	configHome string
	configDirs []string
}

// xdgFromEnv reads XDG_CONFIG_HOME (default ~/.config) and
// XDG_CONFIG_DIRS (default /etc/xdg). Relative paths are ignored, as the
// Base Directory Specification requires.
func xdgFromEnv() (xdgDirs, error) {
	var d xdgDirs
	d.configHome = os.Getenv("XDG_CONFIG_HOME")
	if !filepath.IsAbs(d.configHome) {
		home, err := os.UserHomeDir()
		if err != nil {
			return d, fmt.Errorf("start at login: %w", err)
		}
		d.configHome = filepath.Join(home, ".config")
	}
	for _, p := range filepath.SplitList(os.Getenv("XDG_CONFIG_DIRS")) {
		if filepath.IsAbs(p) {
			d.configDirs = append(d.configDirs, p)
		}
	}
	if len(d.configDirs) == 0 {
		d.configDirs = []string{"/etc/xdg"}
	}
	return d, nil
}

func (d xdgDirs) userFile(id string) string {
	return filepath.Join(d.configHome, "autostart", id+".desktop")
}

// systemFile returns the most important system-wide autostart file for
// id and its content, or "" when there is none.
func (d xdgDirs) systemFile(id string) (string, []byte, error) {
	for _, dir := range d.configDirs {
		p := filepath.Join(dir, "autostart", id+".desktop")
		data, err := os.ReadFile(p)
		if err == nil {
			return p, data, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", nil, fmt.Errorf("start at login: %w", err)
		}
	}
	return "", nil, nil
}

func (d xdgDirs) enable(e Entry) error {
	if err := e.validate(path.IsAbs); err != nil {
		return err
	}
	content, err := desktopEntry(e)
	if err != nil {
		return err
	}
	return writeFileAtomic(d.userFile(e.ID), []byte(content), 0o644)
}

// disable removes the user's file; when a system-wide entry of the same
// name would still start the program, it writes a Hidden=true mask
// instead.
func (d xdgDirs) disable(id string) error {
	if err := validID(id); err != nil {
		return err
	}
	sys, data, err := d.systemFile(id)
	if err != nil {
		return err
	}
	if sys != "" && desktopEnabled(data) {
		return writeFileAtomic(d.userFile(id), []byte(hiddenEntry(id)), 0o644)
	}
	return removeFile(d.userFile(id))
}

// status reads the file that takes effect: the user's, else the most
// important system-wide one.
func (d xdgDirs) status(id string) (bool, error) {
	if err := validID(id); err != nil {
		return false, err
	}
	data, err := os.ReadFile(d.userFile(id))
	if err == nil {
		return desktopEnabled(data), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("start at login: %w", err)
	}
	sys, data, err := d.systemFile(id)
	if err != nil || sys == "" {
		return false, err
	}
	return desktopEnabled(data), nil
}
