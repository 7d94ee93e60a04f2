//go:build !windows && (android || !(linux || freebsd || openbsd || netbsd))

package notify

import (
	"github.com/gen2brain/beeep"
	"github.com/tokentray/tokentray/assets"
)

func newPlatform(appName string) Notifier {
	beeep.AppName = appName
	return &plainNotifier{actions: newActionSink()}
}

// plainNotifier shows a notification without buttons through beeep (on
// macOS: terminal-notifier or AppleScript; actionable notifications need a
// signed app bundle). Sign-in notifications tell the user to use the tray
// menu. Actions never delivers anything; Dismiss does nothing.
type plainNotifier struct {
	actions *actionSink
}

func (p *plainNotifier) Show(n Notification) error {
	return beeep.Notify(n.Title, n.fallbackBody(), assets.AppIconPNG())
}

func (p *plainNotifier) Dismiss(string) error { return nil }

func (p *plainNotifier) Actions() <-chan Action { return p.actions.ch }

func (p *plainNotifier) Close() error {
	p.actions.close()
	return nil
}
