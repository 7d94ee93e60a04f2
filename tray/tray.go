// Package tray is tokentray's system-tray user interface: an icon that
// shows the worst health of all accounts, a tooltip and a menu with one
// line per account, and desktop notifications when an account needs the
// user.
//
// Data flows one way: the tray renders keepalive snapshots and sends
// commands (RefreshNow, SignIn) to the engine; it never decides policy.
// What it shows is computed by pure functions (Render for the icon,
// tooltip and menu; Alerts.Next for the notifications) that are tested on
// their own; Run applies their results to the real tray with
// fyne.io/systray and to the notifier of package tray/notify.
//
// Sub-packages: notify (notifications with a Sign In button), autostart
// (start at login), dbustest (a private D-Bus session for tests).
package tray

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"runtime"
	"strings"

	"fyne.io/systray"

	"github.com/tokentray/tokentray/assets"
	"github.com/tokentray/tokentray/tray/notify"
)

// Run shows the tray until ctx ends or the user picks Quit, then removes
// the icon, closes the notifier and returns nil once every sign-in it
// started has ended (they get a cancelled context).
//
// Run must be called on the main goroutine (fyne.io/systray locks the
// main OS thread; macOS requires its UI there), at most once per process.
// On Linux and the BSDs check Available first: without a session bus
// fyne.io/systray cannot work and would hang on exit. Run does not start
// the engine; the caller runs it alongside.
func Run(ctx context.Context, opts Options) error {
	if opts.Notifier == nil {
		opts.Notifier = notify.New(AppName)
	}
	defer opts.Notifier.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a := newApp(opts, systrayShell{})
	hosts := make(chan bool, 1)
	if err := watchHost(ctx, hosts); err != nil {
		a.log.Info("cannot follow the system tray host", "err", err)
	} else {
		a.hosts = hosts
	}
	// fyne.io/systray reports through the standard logger, e.g. a raw
	// "failed to register" error when there is no tray host, which the
	// loop explains in words: send it to the log file, not to stderr.
	log.SetFlags(0)
	log.SetOutput(libraryLog{a.log})
	loopDone := make(chan struct{})
	if runtime.GOOS != "darwin" {
		// The item's title (and Id) on D-Bus; on macOS the title is text
		// next to the icon in the menu bar, which we do not want.
		systray.SetTitle(AppName)
	}
	ready := make(chan struct{})
	systray.Run(func() {
		a.start(ctx)
		close(ready)
		go func() {
			defer close(loopDone)
			a.run(ctx)
			systray.Quit()
		}()
	}, nil)
	cancel()
	select {
	case <-ready:
	default:
		// The platform's tray failed before it was ready (systray.Run
		// returned on its own); there is no loop to wait for.
		return errors.New("the system tray could not be started")
	}
	<-loopDone
	a.work.Wait()
	return nil
}

// libraryLog writes the standard logger's lines to the tray's log.
type libraryLog struct{ l *slog.Logger }

func (w libraryLog) Write(p []byte) (int, error) {
	w.l.Info("system tray library", "msg", strings.TrimSpace(string(p)))
	return len(p), nil
}

// systrayShell is the shell of fyne.io/systray.
type systrayShell struct{}

// maxTooltipUTF16 is the capacity of a Windows tray tooltip
// (NOTIFYICONDATA.szTip holds 128 UTF-16 units including the NUL).
const maxTooltipUTF16 = 127

func (systrayShell) SetIcon(name string) {
	if runtime.GOOS == "darwin" {
		systray.SetTemplateIcon(assets.TemplatePNG(name), assets.PNG(name))
		return
	}
	systray.SetIcon(assets.Icon(name))
}

func (systrayShell) SetTooltip(text string) {
	if runtime.GOOS == "windows" {
		text = clipUTF16(text, maxTooltipUTF16)
	}
	systray.SetTooltip(text)
}

func (systrayShell) AddItem(title, tooltip string, checkbox bool) widget {
	if checkbox {
		return systrayItem{systray.AddMenuItemCheckbox(title, tooltip, false)}
	}
	return systrayItem{systray.AddMenuItem(title, tooltip)}
}

func (systrayShell) AddSeparator() { systray.AddSeparator() }

func (systrayShell) Reset() { systray.ResetMenu() }

type systrayItem struct{ *systray.MenuItem }

func (i systrayItem) AddSubItem(title, tooltip string) widget {
	return systrayItem{i.AddSubMenuItem(title, tooltip)}
}

func (i systrayItem) Clicked() <-chan struct{} { return i.ClickedCh }
