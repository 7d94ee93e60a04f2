package main

import (
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestManPages(t *testing.T) {
	dir := testfs.TempDir(t)
	if err := generate(dir); err != nil {
		t.Fatal(err)
	}
	for page, want := range map[string]string{
		"tokentray.1":        ".TH \"TOKENTRAY\" \"1\"",
		"tokentray-status.1": `\fB--json\fP`,
		"tokentray-login.1":  `\fB--no-browser\fP`,
		"tokentray-run.1":    `\fB--headless\fP`,
	} {
		data, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil || !strings.Contains(string(data), want) {
			t.Errorf("%s: %v, lacks %q:\n%s", page, err, want, data)
		}
	}
}
