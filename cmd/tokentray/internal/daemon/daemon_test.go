package daemon

import (
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokentray/tokentray/keepalive/config"
)

func TestOpenConfig(t *testing.T) {
	dir := testfs.TempDir(t)
	path := filepath.Join(dir, "sub", "config.toml")
	var opened []string
	open := func(p string) error { opened = append(opened, p); return nil }

	// Open config on a missing file: an empty file is created and opened.
	if err := OpenConfig(path, false, open); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(path); err != nil || len(data) != 0 {
		t.Fatalf("%q %v", data, err)
	}
	// Add an account: the example is appended once, the rest kept, and
	// the file still parses (the example is commented out).
	os.WriteFile(path, []byte("# mine\n[watch.gemini]\nenabled = false"), 0o600)
	for range 2 {
		if err := OpenConfig(path, true, open); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# mine\n[watch.gemini]\nenabled = false\n") || strings.Count(string(data), "[account.work]") != 1 {
		t.Errorf("config:\n%s", data)
	}
	if _, err := config.Parse(path, data); err != nil {
		t.Errorf("the config no longer parses: %v", err)
	}
	// Uncommented, the example is a valid account.
	var uncommented []string
	for _, l := range strings.Split(ConfigExample, "\n") {
		if strings.HasPrefix(l, "# [") || strings.HasPrefix(l, "# ") && strings.Contains(l, " = ") {
			uncommented = append(uncommented, strings.TrimPrefix(l, "# "))
		}
	}
	if c, err := config.Parse("x.toml", []byte(strings.Join(uncommented, "\n"))); err != nil || len(c.Accounts) != 1 {
		t.Errorf("uncommented example: %v", err)
	}
	if len(opened) != 3 || opened[0] != path {
		t.Errorf("opened %q", opened)
	}
}
