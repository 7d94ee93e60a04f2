package keepalive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/keepalive/watched"
	"github.com/tokentray/tokentray/oauthflow"
)

// ErrSignInInProgress is returned by SignIn when a sign-in for the account
// is already open; its URL has been opened again.
var ErrSignInInProgress = errors.New("a sign-in is already in progress")

// SignInUI is how a sign-in reaches the user. The zero value opens the
// browser with Options.OpenURL.
type SignInUI struct {
	// Open shows the authorization URL (default Options.OpenURL).
	Open func(url string) error
	// Paste, when set, reads what the user pastes (the redirect URL, a
	// bare code or code#state) for machines where the browser cannot reach
	// the loopback listener, e.g. over SSH. It is called until an input is
	// accepted or the sign-in ends.
	Paste func(ctx context.Context) (string, error)
	// Invalid reports a pasted input that was not accepted.
	Invalid func(err error)
	// Unopened, when set, is told that Open failed (no browser could be
	// opened): it shows the URL some other way, and the flow keeps
	// waiting for the browser's redirect (or a paste) until it times out.
	// Without Unopened and Paste a failed Open ends the sign-in.
	Unopened func(url string, err error)

	// Method chooses the grant of an owned account's sign-in.
	Method SignInMethod
	// Device shows the user code and the verification page of a device
	// sign-in (RFC 8628 §3.3); it is called again when the user asks for
	// a device sign-in that is already waiting. Without it, the
	// verification page is opened with Open.
	Device func(da *oauthflow.DeviceAuthorization)
	// Manual says the user opens the sign-in elsewhere (another machine,
	// --no-browser): Open then gets the authorization URL itself.
	// Otherwise Open launches a browser here and gets a one-time loopback
	// start URL, so the authorization request is on no command line (see
	// oauthflow.Flow.StartURL).
	Manual bool
	// Print, when set, gets a link to show the user, just before Open
	// runs: another one-time start URL, so that clicking it after the
	// browser did open is not a second visit of the browser's URL (in
	// Manual mode, the authorization URL).
	Print func(url string)

	// Wait makes a watched account's sign-in wait until the owner's
	// login command exits, and return how it ended (the CLI); otherwise
	// it returns once the command has run for a moment (the tray).
	// OwnerOutput, when set, gets the command's output instead of the log.
	Wait        bool
	OwnerOutput io.Writer
}

// show hands flow f to the user: Print, then Open.
func (ui SignInUI) show(f *oauthflow.Flow) error {
	if ui.Print != nil {
		ui.Print(ui.url(f))
	}
	return ui.Open(ui.url(f))
}

// url is what ui.Open gets for flow f.
func (ui SignInUI) url(f *oauthflow.Flow) string {
	if ui.Manual {
		return f.URL()
	}
	return f.StartURL()
}

// DeviceAuthorization is what a device sign-in shows the user: the user
// code, the verification page and when the code expires.
type DeviceAuthorization = oauthflow.DeviceAuthorization

// SignInMethod is the grant a sign-in of an owned account uses.
type SignInMethod int

const (
	// MethodAccount is the account's setting (OwnedAccount.Device), the
	// browser by default.
	MethodAccount SignInMethod = iota
	// MethodBrowser is the authorization code flow in a browser.
	MethodBrowser
	// MethodDevice is the device authorization grant (RFC 8628): the user
	// enters a code on a page opened on any device.
	MethodDevice
	// MethodDeviceIfOffered is the device grant when the server offers it
	// and the browser otherwise: for machines without a display.
	MethodDeviceIfOffered
)

// setSignInError records why an owned account's sign-in did not complete
// ("" once it did) and publishes it.
func (e *Engine) setSignInError(a OwnedAccount, msg string) {
	e.deliver(evSignInError{name: a.Name, msg: msg})
}

// browserProblem says why no browser could be opened.
func browserProblem(err error) string {
	if errors.Is(err, exec.ErrNotFound) {
		return "no browser opener such as xdg-open is installed"
	}
	return err.Error()
}

// signIns tracks the open sign-in per owned account: its browser flow or
// its device authorization (both nil while the sign-in is starting).
type signIns struct {
	mu    sync.Mutex
	flows map[string]*openSignIn
}

type openSignIn struct {
	flow   *oauthflow.Flow
	device *oauthflow.DeviceAuthorization
}

// SignIn signs an account in with the default UI (the browser). For an
// owned account it runs the authorization code + PKCE flow and stores the
// new tokens; for a watched account it runs the owner's own login command
// (or opens its documentation). It is what every "Sign In" in the product
// calls.
func (e *Engine) SignIn(ctx context.Context, name string) error {
	return e.SignInWith(ctx, name, SignInUI{})
}

// SignInWith is SignIn with a custom UI.
func (e *Engine) SignInWith(ctx context.Context, name string, ui SignInUI) error {
	if ui.Open == nil {
		ui.Open = e.openURL
	}
	if a, ok := e.config(name); ok {
		return e.signInOwned(ctx, a, ui)
	}
	for _, w := range e.watchedList() {
		if w.src.Name == name {
			return e.signInWatched(ctx, w, ui)
		}
	}
	return fmt.Errorf("%w %q", ErrUnknownAccount, name)
}

func (e *Engine) signInOwned(ctx context.Context, a OwnedAccount, ui SignInUI) error {
	name := a.Name
	e.signIns.mu.Lock()
	if open, ok := e.signIns.flows[name]; ok {
		e.signIns.mu.Unlock()
		return e.showAgain(name, open, ui)
	}
	slot := &openSignIn{}
	e.signIns.flows[name] = slot // reserve the slot; start outside the lock
	e.signIns.mu.Unlock()
	defer func() {
		e.signIns.mu.Lock()
		delete(e.signIns.flows, name)
		e.signIns.mu.Unlock()
	}()
	method := ui.Method
	if method == MethodAccount {
		method = MethodBrowser
		if a.Device {
			method = MethodDevice
		}
	}
	if method == MethodDevice || method == MethodDeviceIfOffered {
		tok, err := e.deviceSignIn(ctx, a, slot, ui)
		switch {
		case err == nil:
			return e.storeSignIn(ctx, a, tok)
		case method == MethodDeviceIfOffered && errors.Is(err, oauthflow.ErrNoDeviceEndpoint):
			e.log.Info("the server offers no device sign-in; using the browser", "account", name)
		default:
			return err
		}
	}
	return e.browserSignIn(ctx, a, slot, ui)
}

// showAgain answers a sign-in request for an account whose sign-in is
// already open: it shows its URL or code again.
func (e *Engine) showAgain(name string, open *openSignIn, ui SignInUI) error {
	e.signIns.mu.Lock()
	flow, da := open.flow, open.device
	e.signIns.mu.Unlock()
	switch {
	case flow != nil:
		e.log.Info("sign-in already open; showing it again", "account", name)
		if err := ui.show(flow); err != nil {
			if ui.Unopened == nil {
				return err
			}
			ui.Unopened(flow.URL(), err)
		}
	case da != nil:
		e.log.Info("device sign-in already waiting; showing its code again", "account", name)
		e.showDevice(da, ui)
	}
	return ErrSignInInProgress // (or still starting: discovery, listener)
}

// showDevice shows a device authorization with ui.Device, or opens its
// verification page.
func (e *Engine) showDevice(da *oauthflow.DeviceAuthorization, ui SignInUI) {
	if ui.Device != nil {
		ui.Device(da)
		return
	}
	page := da.VerificationURIComplete
	if page == "" {
		page = da.VerificationURI
	}
	if err := ui.Open(page); err != nil {
		e.log.Warn("cannot open the verification page", "err", err)
	}
}

// deviceSignIn runs the device authorization grant (RFC 8628) until the
// user approves, declines, the code expires or ctx ends.
func (e *Engine) deviceSignIn(ctx context.Context, a OwnedAccount, slot *openSignIn, ui SignInUI) (*oauthflow.Token, error) {
	name := a.Name
	da, err := a.Client.StartDevice(ctx, nil)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, oauthflow.ErrNoDeviceEndpoint) {
			e.setSignInError(a, err.Error())
		}
		return nil, fmt.Errorf("sign-in for %s: %w", name, err)
	}
	e.signIns.mu.Lock()
	slot.device = da
	e.signIns.mu.Unlock()
	e.log.Info("device sign-in started", "account", name, "verification_uri", da.VerificationURI)
	e.showDevice(da, ui)
	tok, err := a.Client.PollDevice(ctx, da)
	if err != nil {
		if ctx.Err() != nil {
			e.setSignInError(a, "")
		} else {
			e.log.Warn("device sign-in failed", "account", name, "err", err)
			e.setSignInError(a, err.Error())
		}
		return nil, fmt.Errorf("sign-in for %s: %w", name, err)
	}
	return tok, nil
}

// browserSignIn runs the authorization code flow with PKCE and a loopback
// redirect, then stores the new tokens.
func (e *Engine) browserSignIn(ctx context.Context, a OwnedAccount, slot *openSignIn, ui SignInUI) error {
	name := a.Name
	var flow *oauthflow.Flow
	defer func() {
		if flow != nil {
			flow.Close()
		}
	}()
	flow, err := a.Client.StartSignIn(ctx, a.SignIn)
	if err != nil {
		if ctx.Err() == nil {
			e.setSignInError(a, err.Error())
		}
		return fmt.Errorf("sign-in for %s: %w", name, err)
	}
	e.signIns.mu.Lock()
	slot.flow = flow
	e.signIns.mu.Unlock()

	e.log.Info("sign-in started", "account", name)
	if err := ui.show(flow); err != nil {
		e.log.Warn("cannot open the browser", "account", name, "err", err)
		msg := "no browser could be opened (" + browserProblem(err) + ")"
		if ui.Paste == nil && ui.Unopened == nil {
			e.setSignInError(a, msg)
			return fmt.Errorf("sign-in for %s: %s", name, msg)
		}
		// The flow stays alive: the link is shown some other way.
		e.setSignInError(a, msg+"; open the sign-in link yourself")
		if ui.Unopened != nil {
			ui.Unopened(flow.URL(), err)
		}
	}
	pctx, stopPaste := context.WithCancel(ctx)
	defer stopPaste()
	if ui.Paste != nil {
		go func() {
			for pctx.Err() == nil {
				in, err := ui.Paste(pctx)
				if err != nil {
					return
				}
				if err := flow.Paste(in); err == nil {
					return
				} else if ui.Invalid != nil {
					ui.Invalid(err)
				}
			}
		}()
	}
	tok, err := flow.Wait(ctx)
	if err != nil {
		if ctx.Err() != nil {
			e.setSignInError(a, "") // cancelled: nothing went wrong
		} else {
			e.log.Warn("sign-in failed", "account", name, "err", err)
			e.setSignInError(a, err.Error())
		}
		return fmt.Errorf("sign-in for %s: %w", name, err)
	}
	return e.storeSignIn(ctx, a, tok)
}

// storeSignIn stores the tokens of a completed sign-in and publishes the
// account as signed in.
func (e *Engine) storeSignIn(ctx context.Context, a OwnedAccount, tok *oauthflow.Token) error {
	name := a.Name
	// The store lock is taken only now, after the browser: never across
	// it. The engine is told first, so that it does not take the new file
	// (seen through fsnotify) for a plain recovery.
	e.deliver(evSigningIn{name: name})
	// The code is spent: store the tokens even if the caller gives up now.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	rec, err := e.store.Update(wctx, name, func(cur *store.Record) (*store.Record, error) {
		next := store.NewRecord(tok)
		if cur != nil {
			cur.Apply(tok)
			next = cur
			next.RefreshToken = tok.RefreshToken // a new login, even if the response had none
			next.RefreshExpiry = tok.RefreshExpiry
		}
		return next, nil
	})
	e.deliver(evSignedIn{name: name, rec: rec, err: err})
	if err != nil {
		return fmt.Errorf("storing the new login of %s: %w", name, err)
	}
	e.log.Info("signed in", "account", name, "as", tok.Identity().String(), "expires_in", HumanDuration(rec.Expiry.Sub(e.clock.Now())))
	return nil
}

func (e *Engine) signInWatched(ctx context.Context, w *watchedAcc, ui SignInUI) error {
	argv, url := w.src.LoginAction()
	if len(argv) == 0 {
		e.log.Info("no login command; opening the tool's page", "account", w.src.Name, "url", url)
		return ui.Open(url)
	}
	e.log.Info("running the owner's login command", "account", w.src.Name, "command", argv[0])
	out := e.logWriter
	if ui.OwnerOutput != nil {
		out = ui.OwnerOutput
	}
	if ui.Wait {
		return watched.SignInAndWait(ctx, w.src, out, ui.Open)
	}
	return watched.SignIn(ctx, w.src, out, ui.Open)
}

// SignOut forgets an owned account's login: it revokes the refresh token
// at the server when the server has a revocation endpoint (RFC 7009) and
// deletes the stored tokens. A failed revocation is reported but the local
// tokens are deleted anyway.
func (e *Engine) SignOut(ctx context.Context, name string) (revokeErr error, err error) {
	a, ok := e.config(name)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownAccount, name)
	}
	// Revoke under the lock, so that it is the newest refresh token that
	// gets revoked even while another process refreshes.
	_, err = e.store.Update(ctx, name, func(cur *store.Record) (*store.Record, error) {
		if cur != nil && !cur.RefreshToken.IsZero() {
			revokeErr = a.Client.Revoke(ctx, cur.RefreshToken, "refresh_token")
		}
		return nil, nil
	})
	var me *atomicfile.MalformedError
	if err != nil && !errors.As(err, &me) {
		return revokeErr, err
	}
	if revokeErr != nil {
		e.log.Warn("revocation failed; deleting the local login anyway", "account", name, "err", revokeErr)
	}
	e.deliver(evSigningOut{name: name})
	if err := e.store.Delete(ctx, name); err != nil {
		e.deliver(evFileChanged{name: name})
		return revokeErr, err
	}
	e.deliver(evSignedOut{name: name})
	e.log.Info("signed out", "account", name)
	return revokeErr, nil
}
