package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/oauthflow"
)

func cmdLogin(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "login", "ACCOUNT [--no-browser]",
		"Sign an account in. For an owned account: the browser authorization-code + PKCE flow\n"+
			"with a loopback redirect. For a watched account: the owner's own login command.")
	noBrowser := fs.Bool("no-browser", false, "print the URL and read the pasted redirect URL (or code) from stdin, e.g. over SSH")
	name, err := oneArg(fs, args)
	if err != nil {
		return err
	}
	if err := g.setup(false); err != nil {
		return err
	}
	defer g.shutdown()
	return g.login(ctx, g.engine(allAccounts), name, *noBrowser)
}

// login runs one sign-in in the terminal.
func (g *globals) login(ctx context.Context, e *keepalive.Engine, name string, noBrowser bool) error {
	if _, ok := e.Snapshot().Find(name); !ok {
		return fmt.Errorf("no account %q (see 'tokentray status')", name)
	}
	ui := keepalive.SignInUI{Open: func(url string) error {
		fmt.Fprintf(g.stderr, "Opening your browser to sign in %s. If it does not open, visit:\n\n  %s\n\n", name, url)
		return oauthflow.OpenBrowser(url)
	}}
	if noBrowser {
		lines := stdinLines()
		ui.Open = func(url string) error {
			fmt.Fprintf(g.stderr, "Open this URL in a browser and sign in %s:\n\n  %s\n\n"+
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
		ui.Invalid = func(err error) { fmt.Fprintf(g.stderr, "Not accepted: %v\nPaste again:\n", err) }
	}
	err := e.SignInWith(ctx, name, ui)
	if err != nil {
		return err
	}
	st, _ := e.Snapshot().Find(name)
	if st.Kind.IsWatched() {
		fmt.Fprintf(g.stdout, "%s: started the owner's login; tokentray shows the new login once it is stored.\n", name)
		return nil
	}
	fmt.Fprintf(g.stdout, "%s: signed in, %s\n", name, keepalive.ExpiresIn(st.Expiry, e.Snapshot().At))
	return nil
}

var (
	stdinOnce sync.Once
	stdinCh   chan string
)

// stdinLines reads standard input line by line in the background.
func stdinLines() <-chan string {
	stdinOnce.Do(func() {
		stdinCh = make(chan string)
		go func() {
			defer close(stdinCh)
			sc := bufio.NewScanner(os.Stdin)
			for sc.Scan() {
				if l := strings.TrimSpace(sc.Text()); l != "" {
					stdinCh <- l
				}
			}
		}()
	})
	return stdinCh
}

func cmdLogout(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "logout", "ACCOUNT",
		"Forget an owned account's login: revoke it at the server (when it offers revocation)\nand delete the stored tokens.")
	name, err := g.ownedArg(fs, args)
	if err != nil {
		return err
	}
	defer g.shutdown()
	revokeErr, err := g.engine(ownedOnly).SignOut(ctx, name)
	if err != nil {
		return err
	}
	if revokeErr != nil {
		fmt.Fprintf(g.stdout, "%s: signed out locally; revocation at the server failed: %v\n", name, revokeErr)
		return nil
	}
	fmt.Fprintf(g.stdout, "%s: signed out\n", name)
	return nil
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, " ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func cmdAdd(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "add", "NAME --issuer URL --client-id ID [--scope S]... [flags]",
		"Add an owned account to the config file (keeping everything already there), then sign in.\n"+
			"Use your own OAuth client registration: tokentray never borrows another vendor's client ID.")
	var a config.Account
	var scopes stringList
	var secret, body string
	fs.StringVar(&a.Issuer, "issuer", "", "issuer URL (OIDC discovery)")
	fs.StringVar(&a.AuthorizeURL, "authorize-url", "", "authorization endpoint (instead of discovery)")
	fs.StringVar(&a.TokenURL, "token-url", "", "token endpoint (instead of discovery)")
	fs.StringVar(&a.ClientID, "client-id", "", "client ID of your OAuth client registration (required)")
	fs.StringVar(&secret, "client-secret", "", "client secret, for confidential clients")
	fs.Var(&scopes, "scope", "a scope to request (repeatable)")
	fs.StringVar(&body, "token-body", "form", "token request encoding: form or json")
	fs.StringVar(&a.Redirect.Host, "redirect-host", "", "redirect host: 127.0.0.1 (default), [::1] or localhost")
	fs.IntVar(&a.Redirect.Port, "redirect-port", 0, "fixed redirect port (default: any free port)")
	fs.StringVar(&a.Redirect.Path, "redirect-path", "", "redirect path (default /callback)")
	noLogin := fs.Bool("no-login", false, "only write the config; sign in later with 'tokentray login NAME'")
	noBrowser := fs.Bool("no-browser", false, "sign in by pasting the redirect URL (see login --help)")
	name, err := oneArg(fs, args)
	if err != nil {
		return err
	}
	a.Name, a.Scopes = name, scopes
	a.ClientSecret, a.TokenBody = oauthflow.Secret(secret), oauthflow.BodyEncoding(body)
	if err := g.setup(false); err != nil {
		return err
	}
	defer g.shutdown()
	if err := config.AddAccount(g.paths.Config, a); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "Added account %q to %s\n", a.Name, g.paths.Config)
	if *noLogin {
		return nil
	}
	if g.cfg, err = config.Load(g.paths.Config); err != nil {
		return err
	}
	return g.login(ctx, g.engine(ownedOnly), a.Name, *noBrowser)
}
