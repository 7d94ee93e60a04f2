// Package add is `tokentray add`: a new owned account in the config.
package add

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/login"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/config"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/provider"
)

// Options are add's flags and arguments.
type Options struct {
	F       *cmdutil.Factory
	Account config.Account
	Secret  string
	Body    string
	Params  map[string]*string // provider parameters by name
	NoLogin bool
	How     login.How
}

// NewCmdAdd returns the add command; runF replaces its work in tests.
func NewCmdAdd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f, Params: map[string]*string{}}
	a := &opts.Account
	cmd := &cobra.Command{
		Use:   "add NAME (--provider P | --issuer URL) --client-id ID [flags]",
		Short: "Add an owned account to the config and sign in",
		Long: "Add an owned account: check the provider settings, sign in, and only then write its table to\n" +
			"the config file (keeping everything already there), so a failed add leaves the file as it was.\n" +
			"A running tokentray shows the account at once. Use your own OAuth client registration:\n" +
			"tokentray never borrows another vendor's client ID.\n\n" +
			"Providers (--provider) and what to register there:\n" + providerHelp(),
		Example: "  tokentray add gl --provider gitlab --client-id ID\n" +
			"  tokentray add work --provider microsoft --tenant contoso.onmicrosoft.com --client-id ID\n" +
			"  tokentray add corp --provider keycloak --url https://sso.example.com --realm main --client-id ID\n" +
			"  tokentray add mail --provider google --client-id ID --client-secret SECRET --scope https://mail.google.com/\n" +
			"  tokentray add other --issuer https://login.example.com --client-id ID --scope openid --scope offline_access",
		Args: cmdutil.ExactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			a.Name = args[0]
			if a.Client.ClientID == "" {
				return cmdutil.Usagef(cmd, "add: --client-id is required (the client ID of your own OAuth registration)")
			}
			if a.Provider == "" && a.Client.Endpoint.Issuer == "" && (a.Client.Endpoint.AuthURL == "" || a.Client.Endpoint.TokenURL == "") {
				return cmdutil.Usagef(cmd, "add: --provider or --issuer is required (or both --authorize-url and --token-url)")
			}
			if a.Provider != "" {
				if _, err := provider.Lookup(a.Provider); err != nil {
					return cmdutil.Usagef(cmd, "invalid value %q for --provider: %v", a.Provider, err)
				}
			}
			// Check the flags before anything is written, so that an error
			// names the flag rather than a line of a file never written.
			if err := store.ValidName(a.Name); err != nil {
				return cmdutil.Usagef(cmd, "add: %v", err)
			}
			if opts.Body != "form" && opts.Body != "json" {
				return cmdutil.Usagef(cmd, "add: --token-body must be form or json, not %q", opts.Body)
			}
			for _, u := range []struct{ flag, url string }{{"issuer", a.Client.Endpoint.Issuer}, {"authorize-url", a.Client.Endpoint.AuthURL}, {"token-url", a.Client.Endpoint.TokenURL}} {
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
			err := Run(cmd.Context(), opts)
			if ue := (*cmdutil.UsageError)(nil); errors.As(err, &ue) && ue.Cmd == nil {
				ue.Cmd = cmd // a flag's value that turned out wrong: point to --help
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&a.Provider, "provider", "", "a provider preset: "+strings.Join(provider.Names(), ", "))
	for _, p := range []struct{ name, help string }{
		{provider.ParamTenant, "microsoft: the tenant (default common)"},
		{provider.ParamURL, "gitlab: the instance URL (default https://gitlab.com); keycloak: the server URL"},
		{provider.ParamDomain, "okta, auth0: your domain, e.g. dev-123456.okta.com"},
		{provider.ParamRealm, "keycloak: the realm"},
	} {
		opts.Params[p.name] = fl.String(p.name, "", p.help)
	}
	fl.StringVar(&a.Client.Endpoint.Issuer, "issuer", "", "issuer `URL` (OIDC discovery)")
	fl.StringVar(&a.Client.Endpoint.AuthURL, "authorize-url", "", "authorization endpoint (instead of discovery)")
	fl.StringVar(&a.Client.Endpoint.TokenURL, "token-url", "", "token endpoint (instead of discovery)")
	fl.StringVar(&a.Client.ClientID, "client-id", "", "client `ID` of your OAuth client registration (required)")
	fl.StringVar(&opts.Secret, "client-secret", "", "client secret, for confidential clients (and Google and GitHub)")
	fl.Var(&clientAuthValue{&a.Client.ClientAuth}, "client-auth", "how the secret is sent: `basic`, post or none (default: basic when discovery offers it, else post)")
	fl.StringArrayVar(&a.Client.Scopes, "scope", nil, "a scope to request (repeatable; default: the provider's)")
	fl.StringArrayVar(&a.GitHosts, "git-host", nil, "a host whose git credentials this account serves (repeatable; github and gitlab add theirs)")
	fl.StringVar(&opts.Body, "token-body", "form", "token request encoding: form or json")
	fl.StringVar(&a.SignIn.Redirect.Host, "redirect-host", "", "redirect host: 127.0.0.1 (default), [::1] or localhost")
	fl.IntVar(&a.SignIn.Redirect.Port, "redirect-port", 0, "fixed redirect port (default: any free port)")
	fl.StringVar(&a.SignIn.Redirect.Path, "redirect-path", "", "redirect path (default /callback)")
	fl.BoolVar(&opts.NoLogin, "no-login", false, "check and write the config without signing in; sign in later with 'tokentray login NAME'")
	login.AddFlags(cmd, &opts.How)
	cmd.RegisterFlagCompletionFunc("client-auth", cobra.FixedCompletions([]cobra.Completion{"basic", "post", "none"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("provider", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return provider.Names(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// asFlagError says a mistake in the new account's settings in terms of
// add's flags ("--domain: is required ..."), not of a file line that was
// never written. Errors about the existing file are returned as they are.
func asFlagError(name string, err error) error {
	var ce *config.Error
	prefix := fmt.Sprintf("account %q.", name)
	if !errors.As(err, &ce) || !strings.HasPrefix(ce.Field, prefix) {
		return err
	}
	key := strings.TrimPrefix(ce.Field, prefix)
	flag := strings.ReplaceAll(key, "_", "-")
	switch key {
	case "redirect.host", "redirect.port", "redirect.path":
		flag = "redirect-" + strings.TrimPrefix(key, "redirect.")
	case "scopes":
		flag = "scope"
	case "git_hosts":
		flag = "git-host"
	}
	return &cmdutil.UsageError{Msg: fmt.Sprintf("--%s: %s", flag, ce.Msg)}
}

func providerHelp() string {
	var b strings.Builder
	for _, p := range provider.Presets {
		line := p.Name
		for _, q := range p.Params {
			line += " --" + q.Name
		}
		line += " (" + p.Title + "): " + p.Register
		for i, l := range wrap(line, 92) {
			b.WriteString(map[bool]string{true: "  ", false: "      "}[i == 0] + l + "\n")
		}
	}
	return b.String() + "Every registration uses a loopback redirect URI; any port is accepted."
}

// wrap breaks s into lines of at most n runes at spaces.
func wrap(s string, n int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(s) {
		if cur != "" && utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(w) > n {
			lines, cur = append(lines, cur), ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	return append(lines, cur)
}

// Run checks the account, signs it in, and writes it.
func Run(ctx context.Context, opts *Options) error {
	f, a := opts.F, opts.Account
	a.Client.ClientSecret, a.Client.TokenBody = oauthflow.Secret(opts.Secret), oauthflow.BodyEncoding(opts.Body)
	a.GitUsername = config.DefaultGitUsername
	if a.Provider != "" {
		a.ProviderParams = map[string]string{}
		for k, v := range opts.Params {
			if *v != "" {
				a.ProviderParams[k] = *v
			}
		}
		if p, err := provider.Lookup(a.Provider); err == nil && len(a.GitHosts) == 0 {
			if s, err := p.Resolve(a.ProviderParams); err == nil && s.GitHost != "" {
				a.GitHosts = []string{s.GitHost}
			}
		}
	} else {
		for k, v := range opts.Params {
			if *v != "" {
				return &cmdutil.UsageError{Msg: fmt.Sprintf("--%s is a provider setting: use it with --provider", k)}
			}
		}
	}
	if err := f.Setup(); err != nil {
		return err
	}
	defer f.Close()
	// 1. The settings: the file with the new table must parse, and the
	// provider must answer (discovery) unless a preset or explicit
	// endpoints make that needless.
	acc, err := config.CheckAccount(f.Paths.Config, a)
	if err != nil {
		return asFlagError(a.Name, err)
	}
	client := acc.Owned().Client
	if err := client.Discover(ctx); err != nil {
		return fmt.Errorf("%s: the provider's settings cannot be used: %w", a.Name, err)
	}
	// 2. The sign-in, with an engine that holds only the new account.
	signedIn := false
	if !opts.NoLogin {
		cfg := &config.Config{Path: f.Paths.Config, Accounts: []config.Account{acc}}
		e := keepalive.New(keepalive.Options{Store: store.Open(f.Paths.Data), Log: f.Log, OpenURL: oauthflow.OpenBrowser},
			cfg.Owned())
		if err := login.SignInAccount(ctx, f, e, acc, opts.How); err != nil {
			return fmt.Errorf("%w; the config was not changed", err)
		}
		signedIn = true
	}
	// 3. Only now the file.
	if err := config.AddAccount(f.Paths.Config, a); err != nil {
		if signedIn {
			// Do not leave a login behind for an account that is not there.
			if rerr := os.Remove(store.Open(f.Paths.Data).Path(a.Name)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				f.Log.Warn("cannot remove the token file of the account that was not added", "account", a.Name, "err", rerr)
			}
		}
		return err
	}
	fmt.Fprintf(f.IO.Out, "Added account %q to %s\n", a.Name, f.Paths.Config)
	if opts.NoLogin {
		fmt.Fprintf(f.IO.Out, "Sign in with 'tokentray login %s'\n", a.Name)
	}
	if _, err := f.NotifyAgent(ctx); err != nil {
		fmt.Fprintf(f.IO.ErrOut, "tokentray: the running instance did not take the new account (%v); restart it\n", err)
	}
	return nil
}

// clientAuthValue is --client-auth: the client authentication method
// (RFC 6749 §2.3.1), checked when given.
type clientAuthValue struct{ p *oauthflow.ClientAuth }

func (v *clientAuthValue) String() string {
	if v.p == nil {
		return ""
	}
	return string(*v.p)
}

func (v *clientAuthValue) Set(s string) error {
	switch a := oauthflow.ClientAuth(s); a {
	case oauthflow.AuthBasic, oauthflow.AuthPost, oauthflow.AuthNone:
		*v.p = a
		return nil
	}
	return errors.New(v.Hint())
}

func (v *clientAuthValue) Type() string { return "method" }
func (v *clientAuthValue) Hint() string { return "want basic, post or none" }
