//go:build !windows && !darwin

package autostart

import (
	"os"
	"path/filepath"
	"testing"
)

// The exported API reads XDG_CONFIG_HOME / XDG_CONFIG_DIRS / HOME.
func TestEnvBackend(t *testing.T) {
	root := t.TempDir()
	t.Setenv("HOME", filepath.Join(root, "home"))
	t.Setenv("XDG_CONFIG_DIRS", filepath.Join(root, "etc"))
	exe, err := Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := Entry{ID: id, Name: "tokentray", Exec: exe, Args: []string{"--tray"}}

	// XDG_CONFIG_HOME unset (or relative, which must be ignored): ~/.config.
	for _, v := range []string{"", "relative/dir"} {
		t.Setenv("XDG_CONFIG_HOME", v)
		loc, err := Location(id)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(root, "home", ".config", "autostart", id+".desktop"); loc != want {
			t.Errorf("Location with XDG_CONFIG_HOME=%q: %s, want %s", v, loc, want)
		}
	}

	t.Setenv("XDG_CONFIG_HOME", filepath.Join(root, "cfg"))
	loc, err := Location(id)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "cfg", "autostart", id+".desktop"); loc != want {
		t.Fatalf("Location %s, want %s", loc, want)
	}
	mustStatus(t, Status, id, false)
	for range 2 {
		if err := Enable(e); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, Status, id, true)
	}
	if st, err := os.Stat(loc); err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("desktop file: %v %v", st, err)
	}
	for range 2 {
		if err := Disable(id); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, Status, id, false)
	}
	if _, err := os.Stat(loc); !os.IsNotExist(err) {
		t.Errorf("file left after Disable: %v", err)
	}
}
