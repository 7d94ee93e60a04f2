//go:build windows

package notify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"golang.org/x/sys/windows/registry"
)

func readString(t *testing.T, key, name string) string {
	t.Helper()
	k, err := registry.OpenKey(registry.CURRENT_USER, key, registry.QUERY_VALUE)
	if err != nil {
		t.Fatalf("HKCU\\%s: %v", key, err)
	}
	defer k.Close()
	v, _, err := k.GetStringValue(name)
	if err != nil {
		t.Fatalf("HKCU\\%s %q: %v", key, name, err)
	}
	return v
}

// TestRegisterApp: toasts are registered under tokentray's own
// AppUserModelID and class ID, with this executable as the activator.
// It writes HKCU, so it runs only in the Wine stage's throwaway prefix.
func TestRegisterApp(t *testing.T) {
	if !testfs.UnderWine() {
		t.Skip("writes HKCU\\Software\\Classes; runs in the Wine CI stage")
	}
	icon := filepath.Join(testfs.TempDir(t), "icon.png")
	if err := registerApp("tokentray", icon); err != nil {
		t.Fatal(err)
	}
	app := `Software\Classes\AppUserModelId\` + toastAppID
	if got := readString(t, app, "CustomActivator"); !strings.EqualFold(got, toastCLSID) {
		t.Errorf("CustomActivator = %q, want %s", got, toastCLSID)
	}
	if got := readString(t, app, "DisplayName"); got != "tokentray" {
		t.Errorf("DisplayName = %q", got)
	}
	if got := readString(t, app, "IconUri"); got != icon {
		t.Errorf("IconUri = %q", got)
	}
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	if got := readString(t, `Software\Classes\CLSID\`+toastCLSID+`\LocalServer32`, ""); !strings.EqualFold(got, `"`+exe+`"`) {
		t.Errorf("LocalServer32 = %q, want %q", got, `"`+exe+`"`)
	}
}
