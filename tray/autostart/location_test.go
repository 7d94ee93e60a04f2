package autostart

import (
	"errors"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestStablePath(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix paths")
	}
	// The files that are "the same" as the running program, as symlinks
	// resolving to the Cellar binary would be.
	cellar := "/opt/homebrew/Cellar/tokentray/1.2.0/bin/tokentray"
	same := func(a, b string) bool {
		group := map[string]bool{cellar: true, "/opt/homebrew/bin/tokentray": true, "/opt/homebrew/opt/tokentray/bin/tokentray": true}
		return a == b || group[a] && group[b]
	}
	look := func(name string) (string, error) {
		if name == "tokentray" {
			return "/opt/homebrew/bin/tokentray", nil
		}
		return "", errors.New("not found")
	}
	for _, tc := range []struct{ name, arg0, exe, want string }{
		{"started from PATH: the PATH symlink, not the Cellar", "tokentray", cellar, "/opt/homebrew/bin/tokentray"},
		{"started by absolute symlink", "/opt/homebrew/opt/tokentray/bin/tokentray", cellar, "/opt/homebrew/opt/tokentray/bin/tokentray"},
		{"started by the Cellar path: the prefix's bin link", cellar, cellar, "/opt/homebrew/bin/tokentray"},
		{"os.Executable resolved, arg0 relative", "./bin/tokentray", cellar, "/opt/homebrew/bin/tokentray"},
		{"arg0 is another program", "/usr/bin/other", "/home/u/.local/bin/tokentray", "/home/u/.local/bin/tokentray"},
		{"PATH has a different tokentray", "tokentray", "/home/u/.local/bin/tokentray", "/home/u/.local/bin/tokentray"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stablePath(tc.arg0, tc.exe, look, same); got != tc.want {
				t.Errorf("stablePath(%q, %q) = %q, want %q", tc.arg0, tc.exe, got, tc.want)
			}
		})
	}
}

func TestCheckLocation(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix paths")
	}
	temps := []string{"/tmp", "/var/folders", ""}
	markers := map[string]bool{"/home/u/src/tokentray/go.mod": true, "/home/u/src/tokentray/.git": true}
	exists := func(p string) bool { return markers[p] }
	for _, tc := range []struct {
		path    string
		refused bool
		warning string
	}{
		{path: "/tmp/go-build123/b001/exe/tokentray", refused: true},
		{path: "/var/folders/xy/T/tokentray", refused: true},
		{path: "/home/u/src/tokentray/bin/tokentray", warning: "build folder (/home/u/src/tokentray)"},
		{path: "/home/u/src/tokentray/tokentray", warning: "build folder"},
		{path: "/home/u/.local/bin/tokentray"},
		{path: "/home/u/go/bin/tokentray"},
		{path: "/opt/homebrew/bin/tokentray"},
		{path: "/tmpfoo/tokentray"},
	} {
		warn, err := checkLocation(tc.path, temps, exists)
		if got := errors.Is(err, ErrTemporary); got != tc.refused {
			t.Errorf("%s: err %v, refused %v", tc.path, err, tc.refused)
		}
		if tc.warning == "" && warn != "" || !strings.Contains(warn, tc.warning) {
			t.Errorf("%s: warning %q, want %q", tc.path, warn, tc.warning)
		}
	}
}

// TestExecutableKeepsSymlink runs the real lookup: a symlink on PATH to the
// test binary is what gets registered.
func TestExecutableKeepsSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := testfs.TempDir(t)
	link := filepath.Join(dir, "tokentray")
	if err := os.Symlink(exe, link); err != nil {
		t.Fatal(err)
	}
	look := func(name string) (string, error) { return filepath.Join(dir, name), nil }
	if got := stablePath("tokentray", exe, look, sameFile); got != link {
		t.Errorf("stablePath = %q, want the symlink %q", got, link)
	}
}
