package autostart

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrTemporary is wrapped by the error CheckExecutable returns for a
// program in a temporary folder: a login registration of it would break
// when the folder is cleaned (`go run`, a test build, a download).
var ErrTemporary = errors.New("the program is in a temporary folder")

// Executable returns the path to register for the running program: the
// path it was started by when that names the same file (a PATH lookup of
// os.Args[0], or os.Args[0] itself), else os.Executable. A stable
// symlink is kept, not resolved: Homebrew's /opt/homebrew/bin/tokentray
// outlives an upgrade, the versioned Cellar path it points to does not.
// A path into a Homebrew Cellar is replaced by the prefix's bin link to
// the same file when there is one.
func Executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("start at login: %w", err)
	}
	p := stablePath(os.Args[0], exe, exec.LookPath, sameFile)
	return filepath.Abs(p)
}

// stablePath chooses the path to register; see Executable.
func stablePath(arg0, exe string, lookPath func(string) (string, error), same func(a, b string) bool) string {
	var candidates []string
	if arg0 != "" {
		if strings.ContainsRune(arg0, os.PathSeparator) || strings.ContainsRune(arg0, '/') {
			if filepath.IsAbs(arg0) {
				candidates = append(candidates, arg0)
			}
		} else if p, err := lookPath(arg0); err == nil && filepath.IsAbs(p) {
			candidates = append(candidates, p)
		}
	}
	candidates = append(candidates, exe)
	for _, c := range candidates {
		c = filepath.Clean(c)
		if c != exe && !same(c, exe) {
			continue
		}
		if link := homebrewLink(c); link != "" && same(link, c) {
			return link
		}
		return c
	}
	return exe
}

// homebrewLink maps <prefix>/Cellar/<formula>/<version>/bin/<name> to
// <prefix>/bin/<name>, or returns "".
func homebrewLink(p string) string {
	dir, name := filepath.Split(p)
	parts := strings.Split(filepath.ToSlash(filepath.Clean(dir)), "/")
	// ... Cellar formula version bin
	n := len(parts)
	if n < 5 || parts[n-1] != "bin" || parts[n-4] != "Cellar" {
		return ""
	}
	prefix := filepath.FromSlash(strings.Join(parts[:n-4], "/"))
	if prefix == "" {
		prefix = string(os.PathSeparator)
	}
	return filepath.Join(prefix, "bin", name)
}

func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// CheckExecutable tells whether path is fit to start at login. A program
// in a temporary folder is refused (an error wrapping ErrTemporary); one
// in a build folder (inside a source checkout, where a rebuild or a clean
// replaces or removes it) gets a warning in words; otherwise both are
// empty.
func CheckExecutable(path string) (warning string, err error) {
	return checkLocation(path, tempDirs(), func(p string) bool { _, err := os.Stat(p); return err == nil })
}

// tempDirs are the folders whose contents may vanish.
func tempDirs() []string {
	dirs := []string{os.TempDir()}
	switch runtime.GOOS {
	case "windows":
	case "darwin":
		dirs = append(dirs, "/tmp", "/private/tmp", "/private/var/folders", "/var/folders")
	default:
		dirs = append(dirs, "/tmp", "/var/tmp", "/dev/shm")
	}
	if cache, err := os.UserCacheDir(); err == nil {
		// go build's cache and `go run` binaries live under it on some systems.
		dirs = append(dirs, filepath.Join(cache, "go-build"))
	}
	return dirs
}

func checkLocation(path string, temps []string, exists func(string) bool) (string, error) {
	clean := filepath.Clean(path)
	for _, t := range temps {
		if t == "" {
			continue
		}
		if within(clean, filepath.Clean(t)) {
			return "", fmt.Errorf("start at login: %s: %w (%s) and would stop working when it is cleaned; "+
				"install tokentray (make install, or go install) and enable start at login from there", path, ErrTemporary, t)
		}
	}
	// A build folder: a parent (up to four levels) holds go.mod or .git.
	dir := filepath.Dir(clean)
	for range 4 {
		for _, marker := range []string{"go.mod", ".git"} {
			if exists(filepath.Join(dir, marker)) {
				return fmt.Sprintf("%s is in a build folder (%s); start at login stops working when it is rebuilt or removed. "+
					"'make install' puts a stable copy in ~/.local/bin", path, dir), nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", nil
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(os.PathSeparator)) && !filepath.IsAbs(rel)
}
