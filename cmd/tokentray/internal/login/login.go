// Package login is `tokentray login`, and the terminal sign-in that add
// shares.
package login

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/oauthflow"
)

// Options are login's flags and arguments.
type Options struct {
	F       *cmdutil.Factory
	Account string
	How     How
}

// How says how a terminal sign-in reaches the user.
type How struct {
	// NoBrowser prints the URL instead of opening a browser, and reads the
	// pasted redirect URL (or code) from stdin.
	NoBrowser bool
	// Device uses the device authorization grant (RFC 8628): a code to
	// enter on a page opened on any device.
	Device bool
}

// NewCmdLogin returns the login command; runF replaces its work in tests.
func NewCmdLogin(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts, run := &Options{F: f}, cmdutil.Pick(Run, runF)
	cmd := &cobra.Command{
		Use:   "login ACCOUNT [--no-browser | --device]",
		Short: "Sign an account in (browser PKCE flow, device code, or the owner's login)",
		Long: "Sign an account in. For an owned account: the browser authorization-code + PKCE flow\n" +
			"with a loopback redirect; when no browser can be opened, the URL is printed and the\n" +
			"address the browser ends on (or the code) can be pasted. With --device (or sign_in =\n" +
			"\"device\", or by itself on a machine without a display when the server offers it): a\n" +
			"code to enter on a page opened on any device. For a watched account: the owner's own\n" +
			"login command.",
		Args:              cmdutil.ExactArgs(1, "ACCOUNT"),
		ValidArgsFunction: cmdutil.CompleteAccounts(f, true, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Account = args[0]
			return run(cmd.Context(), opts)
		},
	}
	AddFlags(cmd, &opts.How)
	return cmd
}

// AddFlags adds the sign-in flags (login, add).
func AddFlags(cmd *cobra.Command, how *How) {
	cmd.Flags().BoolVar(&how.NoBrowser, "no-browser", false, "print the URL and read the pasted redirect URL (or code) from stdin, e.g. over SSH")
	cmd.Flags().BoolVar(&how.Device, "device", false, "sign in with a code entered on a page opened on any device (device authorization grant)")
	cmd.MarkFlagsMutuallyExclusive("no-browser", "device")
}

// Run signs the account in.
func Run(ctx context.Context, opts *Options) error {
	f := opts.F
	if err := f.Setup(); err != nil {
		return err
	}
	defer f.Close()
	return SignIn(ctx, f, f.Engine(cmdutil.AllAccounts), opts.Account, opts.How)
}

// Timing of the terminal sign-in; tests shorten them.
var (
	// hintAfter is when the browser sign-in explains what an error shown
	// only in the browser usually means.
	hintAfter = 30 * time.Second
)

// SignIn runs one sign-in of a configured account in the terminal. A
// Ctrl-C ends it with "sign-in cancelled" and exit status 130.
func SignIn(ctx context.Context, f *cmdutil.Factory, e *keepalive.Engine, name string, how How) error {
	acc, ok := f.Config.Account(name)
	if !ok {
		acc = config.Account{Name: name} // a watched account
	}
	return SignInAccount(ctx, f, e, acc, how)
}

// SignInAccount is SignIn for an owned account that e holds but the
// configuration may not have yet (add signs in before it writes the file).
func SignInAccount(ctx context.Context, f *cmdutil.Factory, e *keepalive.Engine, acc config.Account, how How) error {
	name := acc.Name
	before, ok := e.Snapshot().Find(name)
	if !ok {
		return fmt.Errorf("no account %q (see 'tokentray status')", name)
	}
	owned := !before.Kind.IsWatched()
	t := &terminal{f: f, name: name, errOut: f.IO.ErrOut, redirect: redirectToRegister(acc.SignIn.Redirect)}
	ui := keepalive.SignInUI{
		Open:     t.open(how.NoBrowser),
		Unopened: t.unopened,
		Print:    t.print,
		Paste:    t.paste(stdinLines(f.IO.In)),
		Invalid:  t.invalid,
		Device:   t.device,
		Method:   method(acc, how),
		Manual:   how.NoBrowser, // printed for a browser anywhere: the authorization URL itself
	}
	if how.NoBrowser {
		ui.Print = nil
	}
	if !owned {
		// The owner's login runs here, for the person at this terminal:
		// its output is shown, and its outcome awaited.
		ui.Paste, ui.Invalid = nil, nil
		ui.Wait, ui.OwnerOutput = true, f.IO.ErrOut
	}
	err := e.SignInWith(ctx, name, ui)
	t.stop()
	if err != nil {
		return t.failed(ctx, err, how)
	}
	st, _ := e.Snapshot().Find(name)
	if st.Kind.IsWatched() {
		fmt.Fprintf(f.IO.Out, "%s: ran the owner's login; tokentray shows the new login once it is stored.\n", name)
		return nil
	}
	fmt.Fprintln(f.IO.Out, SignedIn(name, before.User, st, e.Snapshot().At))
	if st.State == keepalive.Warning {
		// No refresh token: say so now, with the likely fix.
		fmt.Fprintf(f.IO.ErrOut, "tokentray: warning: %s\n", st.Reason)
	}
	return nil
}

// SignedIn is the line that confirms a sign-in: who signed in, how long
// the access token lasts, and, plainly, when it is another identity than
// the account's previous login.
func SignedIn(name, previousUser string, st keepalive.Account, now time.Time) string {
	line := name + ": signed in"
	if st.User != "" {
		line += " as " + st.User
	}
	line += ", " + st.ExpiryText(now)
	if previousUser != "" && st.User != "" && !strings.EqualFold(previousUser, st.User) {
		line += "\nNote: this is a different account than before: " + name + " was signed in as " + previousUser + "."
	}
	return line
}

// method chooses the grant: --device, then the account's sign_in, then
// the device grant on a machine without a display (when the server
// offers it; otherwise the browser flow, which then prints its URL).
func method(acc config.Account, how How) keepalive.SignInMethod {
	switch {
	case how.Device || acc.SignInMethod == "device":
		return keepalive.MethodDevice
	case how.NoBrowser || acc.SignInMethod == "browser":
		return keepalive.MethodBrowser
	case !haveDisplay(runtime.GOOS, os.Getenv):
		return keepalive.MethodDeviceIfOffered
	}
	return keepalive.MethodBrowser
}

// haveDisplay reports whether a browser could be shown to the user: on
// Linux and the BSDs an X11 or Wayland display, elsewhere a session that
// is not over SSH.
func haveDisplay(goos string, getenv func(string) string) bool {
	switch goos {
	case "windows", "darwin":
		return getenv("SSH_CONNECTION") == ""
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}

// redirectToRegister is the redirect URI the client registration must
// allow, as the user would type it into the provider's console.
func redirectToRegister(r oauthflow.Redirect) string {
	host := r.Host
	if host == "" {
		host = "127.0.0.1"
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	path := r.Path
	if path == "" {
		path = oauthflow.DefaultRedirectPath
	}
	if r.Port != 0 {
		return "http://" + net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(r.Port)) + path
	}
	return "http://" + host + path + " (any port)"
}

// terminal is the sign-in's conversation on stderr.
type terminal struct {
	f        *cmdutil.Factory
	name     string
	errOut   io.Writer
	redirect string

	mu      sync.Mutex
	hint    *time.Timer
	printed string // the link to show in case the browser does not open
}

const pasteHelp = "If the browser then shows an error page (it cannot reach this machine), copy the\n" +
	"address from its address bar and paste it here (the code alone works too):\n"

// open shows the authorization URL: in a browser, or printed with
// --no-browser (the sign-in then also takes a paste). When no browser can
// be opened it returns the error and unopened prints the URL.
func (t *terminal) open(noBrowser bool) func(url string) error {
	return func(url string) error {
		if noBrowser {
			fmt.Fprintf(t.errOut, "To sign in %s, open this URL in a browser:\n\n  %s\n\n%s", t.name, url, pasteHelp)
			t.waiting()
			return nil
		}
		if err := oauthflow.OpenBrowser(url); err != nil {
			return err
		}
		t.mu.Lock()
		link := t.printed
		t.mu.Unlock()
		if link == "" {
			link = url
		}
		fmt.Fprintf(t.errOut, "Opening your browser to sign in %s. If it does not open, visit:\n\n  %s\n\n", t.name, link)
		t.waiting()
		return nil
	}
}

// print keeps the link to print once the browser is launched: its own
// one-time start URL, so that clicking it after the browser opened is not
// a second visit of the browser's link.
func (t *terminal) print(url string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.printed = url
}

// unopened prints the authorization URL when no browser could be opened:
// the sign-in goes on, through that URL opened anywhere (and a paste).
func (t *terminal) unopened(url string, err error) {
	fmt.Fprintf(t.errOut, "No browser could be opened (%s).\nTo sign in %s, open this URL in a browser:\n\n  %s\n\n%s",
		browserProblem(err), t.name, url, pasteHelp)
	t.waiting()
}

// waiting says how long the browser sign-in waits and how to stop it.
func (t *terminal) waiting() {
	fmt.Fprintf(t.errOut, "Waiting for you to sign in in the browser… (Ctrl-C to cancel; gives up after %s)\n",
		minutes(oauthflow.DefaultSignInTimeout))
	t.startHint()
}

// minutes is a duration as "5 min" (rounded up), or in seconds below
// a minute.
func minutes(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int(max(d, 0).Round(time.Second)/time.Second)) + " s"
	}
	return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + " min"
}

// browserProblem says in words why no browser could be opened.
func browserProblem(err error) string {
	if errors.Is(err, os.ErrNotExist) || strings.Contains(err.Error(), "executable file not found") {
		return "no xdg-open, x-www-browser or www-browser is installed"
	}
	return err.Error()
}

// startHint arms the hint on errors that only the browser shows.
func (t *terminal) startHint() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.hint != nil {
		return
	}
	t.hint = time.AfterFunc(hintAfter, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.hint == nil {
			return
		}
		fmt.Fprintf(t.errOut, "\nStill waiting. If the browser shows an error instead of a sign-in page, the server refused\n"+
			"the request, and says so only there. Usually the redirect URI is not registered for\n"+
			"this client (register %s), the client ID is wrong, or a scope\n"+
			"is not allowed. Fix the account in %s, then run 'tokentray login %s' again.\n",
			t.redirect, t.f.Paths.Config, t.name)
	})
}

// stop disarms the hint.
func (t *terminal) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.hint != nil {
		t.hint.Stop()
	}
	t.hint = nil
}

// paste reads the pasted redirect URL or code.
func (t *terminal) paste(lines <-chan string) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		select {
		case l, ok := <-lines:
			if !ok {
				return "", errors.New("stdin closed")
			}
			return l, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func (t *terminal) invalid(err error) {
	fmt.Fprintf(t.errOut, "Not accepted: %s\nPaste the address again (or just the code):\n", err)
}

// device shows the code of a device sign-in.
func (t *terminal) device(da *oauthflow.DeviceAuthorization) {
	fmt.Fprintf(t.errOut, "To sign in %s, open this page on any device:\n\n  %s\n\nand enter the code:  %s\n\n",
		t.name, da.VerificationURI, da.UserCode)
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(t.errOut, "(Or open %s, which has the code filled in.)\n", da.VerificationURIComplete)
	}
	fmt.Fprintf(t.errOut, "Waiting for you to approve… (Ctrl-C to cancel; the code expires in %s)\n",
		minutes(time.Until(da.ExpiresAt)))
}

// failed turns a sign-in's error into what the user reads.
func (t *terminal) failed(ctx context.Context, err error, how How) error {
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(t.errOut, "sign-in cancelled")
		return cmdutil.SilentError{Code: cmdutil.ExitCancelled}
	case errors.Is(err, oauthflow.ErrDeviceDenied):
		return fmt.Errorf("%s: the sign-in was denied on the verification page", t.name)
	case errors.Is(err, oauthflow.ErrDeviceExpired):
		return fmt.Errorf("%s: the code expired before it was approved; run 'tokentray login %s --device' again", t.name, t.name)
	case errors.Is(err, oauthflow.ErrNoDeviceEndpoint):
		return fmt.Errorf("%s: the server offers no device sign-in; use 'tokentray login %s --no-browser' instead", t.name, t.name)
	case errors.Is(err, oauthflow.ErrSignInTimeout):
		return fmt.Errorf("%s: no sign-in arrived within %s; run 'tokentray login %s' again (--no-browser to paste the address, --device for a code)",
			t.name, minutes(oauthflow.DefaultSignInTimeout), t.name)
	}
	return err
}

var (
	stdinOnce sync.Once
	stdinCh   chan string
)

// stdinLines reads standard input line by line in the background.
func stdinLines(in io.Reader) <-chan string {
	stdinOnce.Do(func() {
		stdinCh = make(chan string)
		go func() {
			defer close(stdinCh)
			sc := bufio.NewScanner(in)
			for sc.Scan() {
				if l := strings.TrimSpace(sc.Text()); l != "" {
					stdinCh <- l
				}
			}
		}()
	})
	return stdinCh
}
