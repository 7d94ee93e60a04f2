//go:build windows

package notify

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	toast "git.sr.ht/~jackmordaunt/go-toast"
	"git.sr.ht/~jackmordaunt/go-toast/wintoast"
	"github.com/tokentray/tokentray/assets"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"golang.org/x/sys/windows/registry"
)

// Toast registration: tokentray's own AppUserModelID and COM class ID.
// go-toast's default class ID is shared by every program built with it,
// so another such program's activator could receive our clicks.
const (
	toastAppID = "io.tokentray.tokentray"
	toastCLSID = "{EEE5C9D8-9FB2-48E0-A552-5B2FB96ECB51}"
)

// go-toast has one process-wide activation callback; it forwards to the
// most recently created notifier.
var (
	activeMu sync.Mutex
	active   *toastNotifier

	registerOnce sync.Once
	registerErr  error
)

func newPlatform(appName string) Notifier {
	t := &toastNotifier{appName: appName, icon: writeIcon(), actions: newActionSink()}
	activeMu.Lock()
	active = t
	activeMu.Unlock()
	// The callback runs on a COM thread: hand the action over through the
	// (non-blocking) sink.
	toast.SetActivationCallback(func(args string, _ []toast.UserData) {
		name, key, ok := parseToastArgs(args)
		if !ok {
			return
		}
		activeMu.Lock()
		t := active
		activeMu.Unlock()
		if t != nil {
			t.actions.send(Action{Key: key, Name: name})
		}
	})
	return t
}

// toastNotifier shows Windows toasts. Toasts carry no tag here, so they
// cannot be replaced or removed: Show stacks them (the Action Center
// groups them under the app) and Dismiss does nothing.
type toastNotifier struct {
	appName string
	icon    string // absolute path of the app icon, "" if unavailable
	actions *actionSink
}

// register tells Windows, once per process, about tokentray's toasts:
// HKCU\Software\Classes\AppUserModelId\<toastAppID> (display name, icon,
// CustomActivator = toastCLSID) and
// HKCU\Software\Classes\CLSID\<toastCLSID>\LocalServer32 = the
// executable, which Windows starts with -Embedding when a toast is
// clicked after tokentray has exited.
func register(appName, icon string) error {
	registerOnce.Do(func() {
		registerErr = registerApp(appName, icon)
	})
	return registerErr
}

func registerApp(appName, icon string) error {
	// The library keeps the AppUserModelID and the class ID for its COM
	// activator (it writes the AppUserModelId key too).
	if err := wintoast.SetAppData(wintoast.AppData{AppID: toastAppID, GUID: toastCLSID, IconPath: icon}); err != nil {
		return fmt.Errorf("registering toasts: %w", err)
	}
	// Its LocalServer32 key is fixed to its default class ID: write ours.
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return fmt.Errorf("registering toasts: %w", err)
	}
	if err := setString(`Software\Classes\AppUserModelId\`+toastAppID, "DisplayName", appName); err != nil {
		return err
	}
	return setString(`Software\Classes\CLSID\`+toastCLSID+`\LocalServer32`, "", `"`+exe+`"`)
}

func setString(key, name, value string) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, key, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("registering toasts: HKCU\\%s: %w", key, err)
	}
	defer k.Close()
	if err := k.SetStringValue(name, value); err != nil {
		return fmt.Errorf("registering toasts: HKCU\\%s: %w", key, err)
	}
	return nil
}

// Show pushes the toast through the Windows Runtime. There is no
// PowerShell fallback: a script would have to carry the texts.
func (t *toastNotifier) Show(n Notification) error {
	if err := register(t.appName, t.icon); err != nil {
		return err
	}
	if err := wintoast.Push(toastXML(n, t.icon)); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

func (t *toastNotifier) Dismiss(string) error { return nil }

func (t *toastNotifier) Actions() <-chan Action { return t.actions.ch }

func (t *toastNotifier) Close() error {
	activeMu.Lock()
	if active == t {
		active = nil
	}
	activeMu.Unlock()
	t.actions.close()
	return nil
}

// writeIcon stores the app icon in the user cache directory (toasts take
// a file path) and returns its path, or "" when that fails.
func writeIcon() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	path := filepath.Join(dir, "tokentray", "notify-icon.png")
	data := assets.AppIconPNG()
	if old, err := atomicfile.ReadFile(path, int64(len(data))); err == nil && bytes.Equal(old, data) {
		return path
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return ""
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return ""
	}
	return path
}
