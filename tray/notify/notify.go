// Package notify shows desktop notifications ("bubbles") that can offer a
// "Sign In" button, and reports which button the user pressed.
//
// Backends:
//
//   - Linux and the BSDs: the freedesktop Desktop Notifications
//     Specification over D-Bus (godbus), on a PRIVATE
//     session-bus connection. The shared connection (dbus.SessionBus) belongs
//     to fyne.io/systray, which exits its re-registration loop on the first
//     foreign signal it reads; ActionInvoked or NotificationClosed on that
//     connection would kill the tray icon (fyne-io/systray#131). When the
//     server lacks the "actions" capability, the body tells the user to use
//     the tray menu instead. Without a session bus, New returns a notifier
//     whose Show fails with ErrUnavailable (we deliberately do not fall back
//     to beeep, which would use the shared connection).
//   - Windows: toast notifications (git.sr.ht/~jackmordaunt/go-toast) with
//     a "Sign In" button and an activation callback.
//   - macOS and others: a plain notification through beeep (actionable
//     notifications need a signed app bundle); the body points to the tray
//     menu and Actions never delivers anything.
//
// Notification text is shown on screen and may be kept in the system's
// notification history: callers must never put a token, code or other
// secret in Title or Body — an account name and a state are enough.
package notify

import (
	"errors"
	"fmt"
	"sync"
)

// Action names delivered on Actions.
const (
	// ActionSignIn is the "Sign In" button.
	ActionSignIn = "signin"
	// ActionDefault is a click on the bubble itself.
	ActionDefault = "default"
)

// SignInLabel is the label of the sign-in button.
const SignInLabel = "Sign In"

// TrayHint is appended to the body of a sign-in notification when the
// platform cannot show a button.
const TrayHint = `Choose "Sign In to …" in the tokentray menu to sign in.`

// ErrUnavailable reports that no notification service could be reached;
// the caller should log it and rely on the tray icon.
var ErrUnavailable = errors.New("notify: desktop notifications unavailable")

// Notification is one bubble.
type Notification struct {
	// Key identifies the episode the bubble belongs to, e.g. the account
	// name. Showing a notification with the Key of a bubble that is still
	// open replaces it instead of stacking a second one (on Linux; Windows
	// toasts cannot be replaced and stack in the Action Center).
	Key string
	// Title and Body are shown to the user. Never put a secret in them.
	Title, Body string
	// SignIn offers the "Sign In" button (or the tray-menu hint where
	// buttons are not available).
	SignIn bool
}

// Action is the user's response to a bubble.
type Action struct {
	// Key is the Notification.Key of the bubble.
	Key string
	// Name is ActionSignIn or ActionDefault.
	Name string
}

// Notifier shows notifications. Implementations are safe for concurrent
// use.
type Notifier interface {
	// Show displays n, replacing the open bubble with the same Key where
	// the platform allows.
	Show(n Notification) error
	// Dismiss closes the open bubble for key, if any (no-op where the
	// platform cannot close bubbles). Call it when the problem is solved.
	Dismiss(key string) error
	// Actions delivers the user's clicks. It is buffered; when the reader
	// falls behind, further actions are dropped. It is closed by Close.
	Actions() <-chan Action
	// Close releases the notifier's resources and closes Actions. Open
	// bubbles stay on screen.
	Close() error
}

// New returns the best notifier for this platform and session. It never
// fails: when no notification service is reachable it returns a notifier
// whose Show returns an error wrapping ErrUnavailable. appName is the
// application name shown by the notification server (and the Windows
// AppUserModelID).
func New(appName string) Notifier {
	return newPlatform(appName)
}

// actionBuffer is the capacity of the Actions channel.
const actionBuffer = 16

// signInBody appends TrayHint to body.
func signInBody(body string) string {
	if body == "" {
		return TrayHint
	}
	return body + "\n\n" + TrayHint
}

// actionSink is an Actions channel that can be fed from callbacks running
// on any goroutine, without ever blocking them or sending after Close.
type actionSink struct {
	mu     sync.Mutex
	ch     chan Action
	closed bool
}

func newActionSink() *actionSink {
	return &actionSink{ch: make(chan Action, actionBuffer)}
}

// send delivers a, dropping it when the buffer is full or the sink closed.
func (s *actionSink) send(a Action) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- a:
	default:
	}
}

func (s *actionSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// unavailable is the notifier used when nothing can show notifications.
type unavailable struct {
	err     error
	actions *actionSink
}

func newUnavailable(reason error) *unavailable {
	return &unavailable{err: fmt.Errorf("%w: %w", ErrUnavailable, reason), actions: newActionSink()}
}

func (u *unavailable) Show(Notification) error { return u.err }
func (u *unavailable) Dismiss(string) error    { return nil }
func (u *unavailable) Actions() <-chan Action  { return u.actions.ch }
func (u *unavailable) Close() error            { u.actions.close(); return nil }
