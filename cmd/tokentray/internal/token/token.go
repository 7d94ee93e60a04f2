// Package token is `tokentray token`: a valid access token for scripts,
// HTTP clients and kubectl.
package token

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/tokenfmt"
)

// Options are token's flags and arguments.
type Options struct {
	F        *cmdutil.Factory
	Account  string
	MinValid time.Duration
	Format   string
}

// NewCmdToken returns the token command; runF replaces its work in tests.
func NewCmdToken(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "token ACCOUNT [--min-valid DURATION] [--format raw|header|json|exec-credential]",
		Short: "Print a valid access token (refreshes first when due)",
		Long: "Print a valid access token of an owned account on stdout, for scripts:\n\n" +
			"  curl -H \"Authorization: Bearer $(tokentray token work)\" ...\n\n" +
			"It refreshes first when the token is due, or when less than --min-valid remains.\n" +
			"--format header prints an Authorization header, json an object with access_token,\n" +
			"token_type and expires_at, exec-credential a Kubernetes ExecCredential for a kubeconfig\n" +
			"exec entry (the apiVersion of KUBERNETES_EXEC_INFO, else client.authentication.k8s.io/v1).\n" +
			"When tokentray runs, the token comes from it. Exits 2 with the reason when a sign-in is needed.",
		Example: "  tokentray token work --min-valid 10m\n" +
			"  curl -H \"$(tokentray token work --format header)\" https://api.example.com/me",
		Args:              cmdutil.ExactArgs(1, "ACCOUNT"),
		ValidArgsFunction: cmdutil.CompleteAccounts(f, false, false),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Account = args[0]
			if _, err := tokenfmt.Parse(opts.Format); err != nil {
				return cmdutil.Usagef(cmd, "invalid value %q for --format: %v", opts.Format, err)
			}
			if opts.MinValid < 0 {
				return cmdutil.Usagef(cmd, "--min-valid must not be negative")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().DurationVar(&opts.MinValid, "min-valid", 0, "refresh first when the token has less than this `duration` left, e.g. 10m")
	cmd.Flags().StringVar(&opts.Format, "format", string(tokenfmt.Raw), "output `format`: raw, header, json or exec-credential")
	cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, f := range tokenfmt.Formats {
			out = append(out, string(f))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// Run prints the token.
func Run(ctx context.Context, opts *Options) error {
	f, name := opts.F, opts.Account
	format, err := tokenfmt.Parse(opts.Format)
	if err != nil {
		return err
	}
	if err := f.SetupOwned(name); err != nil {
		return err
	}
	defer f.Close()
	tok, err := Get(ctx, f, name, opts.MinValid)
	if err != nil {
		return err
	}
	return tokenfmt.Write(f.IO.Out, format, tok, os.Getenv(tokenfmt.ExecInfoEnv))
}

// Get returns a valid access token of an owned account from the running
// instance or the token files, with a next step in the error when the
// user must sign in. token and exec use it.
func Get(ctx context.Context, f *cmdutil.Factory, name string, minValid time.Duration) (keepalive.Token, error) {
	svc := f.Service(ctx)
	tok, err := svc.Token(ctx, name, minValid)
	if errors.Is(err, keepalive.ErrNotSignedIn) {
		return keepalive.Token{}, &cmdutil.SignInError{Err: fmt.Errorf("%w; sign in with 'tokentray login %s'", err, name)}
	}
	if err != nil {
		return keepalive.Token{}, err
	}
	if snap, err := svc.Status(ctx); err == nil {
		if st, _ := snap.Find(name); st.State >= keepalive.Retrying { // not a lasting warning: it would be said at every call
			fmt.Fprintln(f.IO.ErrOut, "tokentray: warning: "+Warning(st, tok.Expiry, time.Now()))
		}
	}
	return tok, nil
}

// Warning says why a token handed out is not the whole story: "work needs
// sign-in (3 refreshes failed in a row); this token still works, expires
// in 40m".
func Warning(st keepalive.Account, expiry, now time.Time) string {
	var what string
	switch st.State {
	case keepalive.NeedsSignIn:
		what = st.Name + " needs sign-in"
	case keepalive.Warning:
		what = st.Name + " has a warning"
	default:
		what = st.Name + " is " + st.State.String()
	}
	if r := strings.TrimSpace(st.Reason); r != "" {
		what += " (" + r + ")"
	}
	return what + "; this token still works, " + keepalive.ExpiresIn(expiry, now)
}
