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
	// ActionDefault is a click on the bubble itself, on platforms that
	// report it apart from the buttons (Windows). On Linux a click on the
	// bubble is delivered as the bubble's first button, and a bubble
	// without buttons offers no click action at all, so nothing on screen
	// ever does nothing.
	ActionDefault = "default"
)

// Button is an action button of a notification. Every button must have a
// handler in the program that reads Actions: a button that does nothing
// is a defect.
type Button struct {
	// ID is delivered as Action.Name when the button is pressed. It must
	// not be "default" (the click on the bubble, see ActionDefault).
	ID string
	// Label is shown on the button.
	Label string
}

// SignInLabel is the label of the sign-in button.
const SignInLabel = "Sign In"

// TrayHint is appended to the body of a sign-in notification when the
// platform cannot show a button.
const TrayHint = `Choose "Sign In to …" in the tokentray menu to sign in.`

// ErrUnavailable reports that no notification service could be reached;
// the caller should log it and rely on the tray icon.
var ErrUnavailable = errors.New("desktop notifications unavailable")

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
	// buttons are not available) as the first button.
	SignIn bool
	// Buttons are further buttons, after Sign In. Where buttons cannot be
	// shown, NoButtonsHint is added to the body instead.
	Buttons []Button
	// NoButtonsHint replaces the buttons where the platform or the
	// notification server cannot show them ("" with SignIn: TrayHint).
	NoButtonsHint string
	// Urgent asks for critical urgency: the bubble stays until the user
	// acts on it (freedesktop urgency 2; a long toast on Windows).
	Urgent bool
}

// buttons returns every button of n, Sign In first.
func (n Notification) buttons() []Button {
	var b []Button
	if n.SignIn {
		b = append(b, Button{ID: ActionSignIn, Label: SignInLabel})
	}
	return append(b, n.Buttons...)
}

// fallbackBody is n's body for a platform or server without buttons: the
// body with the hint that replaces them.
func (n Notification) fallbackBody() string {
	hint := n.NoButtonsHint
	if hint == "" && n.SignIn {
		hint = TrayHint
	}
	return appendHint(n.Body, hint)
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

// appendHint appends hint to body as its own paragraph.
func appendHint(body, hint string) string {
	switch {
	case hint == "":
		return body
	case body == "":
		return hint
	}
	return body + "\n\n" + hint
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
