// Command tokentray keeps OAuth logins alive and shows their health in the
// system tray. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tokentray/tokentray/oauthflow"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

// exitError carries an exit status without printing more.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, g *globals, args []string) error
}

func commands() []command {
	return []command{
		{"run", "[--headless]", "start the keepalive (tray icon, or headless)", cmdRun},
		{"status", "[--json]", "show the health of every account", cmdStatus},
		{"refresh", "[--force] [ACCOUNT...]", "refresh owned accounts now (when due, or always with --force)", cmdRefresh},
		{"token", "ACCOUNT", "print a valid access token for scripts (refreshes first when due)", cmdToken},
		{"login", "ACCOUNT [--no-browser]", "sign an account in (browser PKCE flow, or the owner's login)", cmdLogin},
		{"add", "NAME --issuer URL --client-id ID", "add an owned account to the config and sign in", cmdAdd},
		{"logout", "ACCOUNT", "revoke and forget an owned account's login", cmdLogout},
		{"demo", "[--headless]", "everything against an embedded local issuer; touches nothing of yours", cmdDemo},
		{"autostart", "enable|disable|status", "start tokentray when you log in (or stop, or show)", cmdAutostart},
		{"version", "", "print the version", cmdVersion},
	}
}

func main() {
	oauthflow.Version = version
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var code exitError
	switch {
	case err == nil:
	case errors.As(err, &code):
		os.Exit(int(code))
	case errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "tokentray:", err)
		os.Exit(1)
	}
}

func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	g := &globals{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("tokentray", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&g.configPath, "config", "", "configuration `file` (default: the user config dir's tokentray/config.toml)")
	fs.Usage = func() { usage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		rest = []string{"run"}
	}
	for _, c := range commands() {
		if c.name == rest[0] {
			return c.run(ctx, g, rest[1:])
		}
	}
	if rest[0] == "help" {
		usage(stdout, fs)
		return nil
	}
	usage(stderr, fs)
	return fmt.Errorf("unknown command %q", rest[0])
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "tokentray %s keeps OAuth logins alive and tells you when one needs you.\n\n", version)
	fmt.Fprintln(w, "Usage: tokentray [--config FILE] COMMAND [ARGS]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %-24s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nGlobal flags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintln(w, "\nRun 'tokentray COMMAND --help' for a command's flags.")
}

// newFlags returns a flag set for a subcommand with a usage line.
func newFlags(g *globals, name, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(g.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: tokentray %s %s\n\n%s\n", name, args, summary)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may appear before or after the
// positional arguments ("refresh work --force").
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// oneArg parses the flags of a command that takes exactly one positional
// argument (an account name) and returns it; otherwise it prints the usage
// and fails with exit status 2.
func oneArg(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", exitError(2)
	}
	return pos[0], nil
}

func cmdVersion(_ context.Context, g *globals, args []string) error {
	fs := newFlags(g, "version", "", "Print the version.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, "tokentray", version)
	return nil
}
