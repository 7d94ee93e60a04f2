//go:build windows

package notify

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"

	toast "git.sr.ht/~jackmordaunt/go-toast"
	"github.com/gen2brain/beeep"
	"github.com/tokentray/tokentray/assets"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
)

// go-toast has one process-wide activation callback; it forwards to the
// most recently created notifier.
var (
	activeMu sync.Mutex
	active   *toastNotifier
)

func newPlatform(appName string) Notifier {
	// One AppUserModelID for our toasts and for any beeep call.
	beeep.AppName = appName
	t := &toastNotifier{appID: appName, icon: writeIcon(), actions: newActionSink()}
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

// toastNotifier shows Windows toasts. Toasts of go-toast v1.1.2 carry no
// tag, so they cannot be replaced or removed: Show stacks them (the
// Action Center groups them under the app) and Dismiss does nothing.
type toastNotifier struct {
	appID   string
	icon    string // absolute path of the app icon, "" if unavailable
	actions *actionSink
}

func (t *toastNotifier) Show(n Notification) error {
	note := toast.Notification{
		AppID:               t.appID,
		Title:               toastText(n.Title),
		Body:                toastText(n.Body),
		Icon:                t.icon,
		ActivationType:      toast.Foreground,
		ActivationArguments: toastArgs(ActionDefault, n.Key),
		Audio:               toast.Default,
		Duration:            toast.Short,
	}
	for i, b := range n.buttons() {
		if i == 0 { // a click on the toast is its first button
			note.ActivationArguments = toastArgs(b.ID, n.Key)
		}
		note.Duration = toast.Long
		note.Actions = append(note.Actions, toast.Action{
			Type:      toast.Foreground,
			Content:   b.Label,
			Arguments: toastArgs(b.ID, n.Key),
		})
	}
	if n.Urgent {
		note.Duration = toast.Long
	}
	return note.Push()
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
// a file path) and returns its path, or "" when that fails or the path
// cannot be put in the toast XML as is.
func writeIcon() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	path := filepath.Join(dir, "tokentray", "notify-icon.png")
	if !xmlAttrSafe(path) {
		return ""
	}
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
