// Package login is `tokentray login`, and the terminal sign-in that add
// shares.
package login

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/oauthflow"
)

// Options are login's flags and arguments.
type Options struct {
	F         *cmdutil.Factory
	Account   string
	NoBrowser bool
}

// NewCmdLogin returns the login command; runF replaces its work in tests.
func NewCmdLogin(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "login ACCOUNT [--no-browser]",
		Short: "Sign an account in (browser PKCE flow, or the owner's login)",
		Long: "Sign an account in. For an owned account: the browser authorization-code + PKCE flow\n" +
			"with a loopback redirect. For a watched account: the owner's own login command.",
		Args:              cmdutil.ExactArgs(1, "ACCOUNT"),
		ValidArgsFunction: cmdutil.CompleteAccounts(f, true, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Account = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.NoBrowser, "no-browser", false, "print the URL and read the pasted redirect URL (or code) from stdin, e.g. over SSH")
	return cmd
}

// Run signs the account in.
func Run(ctx context.Context, opts *Options) error {
	f := opts.F
	if err := f.Setup(); err != nil {
		return err
	}
	defer f.Close()
	return SignIn(ctx, f, f.Engine(cmdutil.AllAccounts), opts.Account, opts.NoBrowser)
}

// SignIn runs one sign-in in the terminal (login, add).
func SignIn(ctx context.Context, f *cmdutil.Factory, e *keepalive.Engine, name string, noBrowser bool) error {
	if _, ok := e.Snapshot().Find(name); !ok {
		return fmt.Errorf("no account %q (see 'tokentray status')", name)
	}
	ui := keepalive.SignInUI{
		// The printed link is its own one-time URL: clicking it after the
		// browser opened is not a second visit of the browser's link.
		Print: func(url string) {
			fmt.Fprintf(f.IO.ErrOut, "Opening your browser to sign in %s. If it does not open, visit:\n\n  %s\n\n", name, url)
		},
		Open: oauthflow.OpenBrowser,
	}
	if noBrowser {
		ui.Manual, ui.Print = true, nil
		lines := stdinLines(f.IO.In)
		ui.Open = func(url string) error {
			fmt.Fprintf(f.IO.ErrOut, "Open this URL in a browser and sign in %s:\n\n  %s\n\n"+
				"If the browser then shows an error page (it cannot reach this machine), copy the\n"+
				"address from its address bar and paste it here (the code alone works too):\n", name, url)
			return nil
		}
		ui.Paste = func(ctx context.Context) (string, error) {
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
		ui.Invalid = func(err error) { fmt.Fprintf(f.IO.ErrOut, "Not accepted: %v\nPaste again:\n", err) }
	}
	err := e.SignInWith(ctx, name, ui)
	if err != nil {
		return err
	}
	st, _ := e.Snapshot().Find(name)
	if st.Kind.IsWatched() {
		fmt.Fprintf(f.IO.Out, "%s: started the owner's login; tokentray shows the new login once it is stored.\n", name)
		return nil
	}
	fmt.Fprintf(f.IO.Out, "%s: signed in, %s\n", name, st.ExpiryText(e.Snapshot().At))
	if st.State == keepalive.Warning {
		// No refresh token: say so now, with the likely fix.
		fmt.Fprintf(f.IO.ErrOut, "tokentray: warning: %s\n", st.Reason)
	}
	return nil
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
