// Package add is `tokentray add`: a new owned account in the config.
package add

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/login"
	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
)

// Options are add's flags and arguments.
type Options struct {
	F       *cmdutil.Factory
	Account config.Account
	Secret  string
	Body    string
	NoLogin bool
	How     login.How
}

// NewCmdAdd returns the add command; runF replaces its work in tests.
func NewCmdAdd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	a := &opts.Account
	cmd := &cobra.Command{
		Use:   "add NAME --issuer URL --client-id ID [--scope S]...",
		Short: "Add an owned account to the config and sign in",
		Long: "Add an owned account to the config file (keeping everything already there), then sign in.\n" +
			"Use your own OAuth client registration: tokentray never borrows another vendor's client ID.",
		Example: "  tokentray add work --issuer https://login.example.com --client-id ID --scope openid --scope offline_access",
		Args:    cmdutil.ExactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.Name = args[0]
			if a.ClientID == "" {
				return cmdutil.Usagef(cmd, "add: --client-id is required (the client ID of your own OAuth registration)")
			}
			if a.Issuer == "" && (a.AuthorizeURL == "" || a.TokenURL == "") {
				return cmdutil.Usagef(cmd, "add: --issuer is required (or both --authorize-url and --token-url)")
			}
			// Check the flags before anything is written, so that an error
			// names the flag rather than a line of a file never written.
			if err := store.ValidName(a.Name); err != nil {
				return cmdutil.Usagef(cmd, "add: %v", err)
			}
			if opts.Body != "form" && opts.Body != "json" {
				return cmdutil.Usagef(cmd, "add: --token-body must be form or json, not %q", opts.Body)
			}
			for _, u := range []struct{ flag, url string }{{"issuer", a.Issuer}, {"authorize-url", a.AuthorizeURL}, {"token-url", a.TokenURL}} {
				if u.url == "" {
					continue
				}
				if err := oauthflow.CheckURL(u.url); err != nil {
					return cmdutil.Usagef(cmd, "add: --%s: %v", u.flag, err)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&a.Issuer, "issuer", "", "issuer `URL` (OIDC discovery)")
	fl.StringVar(&a.AuthorizeURL, "authorize-url", "", "authorization endpoint (instead of discovery)")
	fl.StringVar(&a.TokenURL, "token-url", "", "token endpoint (instead of discovery)")
	fl.StringVar(&a.ClientID, "client-id", "", "client `ID` of your OAuth client registration (required)")
	fl.StringVar(&opts.Secret, "client-secret", "", "client secret, for confidential clients")
	fl.StringArrayVar(&a.Scopes, "scope", nil, "a scope to request (repeatable)")
	fl.StringVar(&opts.Body, "token-body", "form", "token request encoding: form or json")
	fl.StringVar(&a.Redirect.Host, "redirect-host", "", "redirect host: 127.0.0.1 (default), [::1] or localhost")
	fl.IntVar(&a.Redirect.Port, "redirect-port", 0, "fixed redirect port (default: any free port)")
	fl.StringVar(&a.Redirect.Path, "redirect-path", "", "redirect path (default /callback)")
	fl.BoolVar(&opts.NoLogin, "no-login", false, "only write the config; sign in later with 'tokentray login NAME'")
	login.AddFlags(cmd, &opts.How)
	return cmd
}

// Run writes the account and signs it in.
func Run(ctx context.Context, opts *Options) error {
	f, a := opts.F, opts.Account
	a.ClientSecret, a.TokenBody = oauthflow.Secret(opts.Secret), oauthflow.BodyEncoding(opts.Body)
	if err := f.Setup(); err != nil {
		return err
	}
	defer f.Close()
	if err := config.AddAccount(f.Paths.Config, a); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "Added account %q to %s\n", a.Name, f.Paths.Config)
	if opts.NoLogin {
		return nil
	}
	var err error
	if f.Config, err = config.Load(f.Paths.Config); err != nil {
		return err
	}
	return login.SignIn(ctx, f, f.Engine(cmdutil.OwnedOnly), a.Name, opts.How)
}
