package root

import (
	"context"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/iostreams"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/version"
)

func runRoot(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	t.Setenv("XDG_CONFIG_HOME", testfs.TempDir(t))
	t.Setenv("XDG_STATE_HOME", testfs.TempDir(t))
	t.Setenv("XDG_DATA_HOME", testfs.TempDir(t))
	code = Main(context.Background(), args, ios, version.Info{Version: "v9.9.9", Go: "go1.26", Platform: "test/arch"})
	return out.String(), errOut.String(), code
}

func TestExitCodesAndOutputStreams(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		out, err   string // substrings; "" for empty stream
		emptyOut   bool
		emptyError bool
	}{
		{args: nil, code: 0, out: "Available Commands:", emptyError: true},
		{args: []string{"--help"}, code: 0, out: "Available Commands:", emptyError: true},
		{args: []string{"help"}, code: 0, out: "Available Commands:", emptyError: true},
		{args: []string{"status", "--help"}, code: 0, out: "--json", emptyError: true},
		{args: []string{"--version"}, code: 0, out: "tokentray v9.9.9 built with go1.26 for test/arch\n", emptyError: true},
		{args: []string{"-v"}, code: 0, out: "tokentray v9.9.9", emptyError: true},
		{args: []string{"version"}, code: 0, out: "tokentray v9.9.9", emptyError: true},
		{args: []string{"stauts"}, code: 2, err: `unknown command "stauts"; did you mean "status"?`, emptyOut: true},
		{args: []string{"status", "--jsn"}, code: 2, err: "unknown flag: --jsn (see 'tokentray status --help')", emptyOut: true},
		{args: []string{"login"}, code: 2, err: "login: missing ACCOUNT", emptyOut: true},
		{args: []string{"token", "a", "b"}, code: 2, err: "token: too many arguments", emptyOut: true},
		{args: []string{"autostart"}, code: 2, err: "autostart: say enable, disable or status", emptyOut: true},
		{args: []string{"autostart", "enabel"}, code: 2, err: `did you mean "enable"?`, emptyOut: true},
		{args: []string{"demo", "--backoff", "soon"}, code: 2, err: `invalid value "soon" for --backoff: want a duration`, emptyOut: true},
		{args: []string{"add", "work", "--issuer", "https://idp.example"}, code: 2, err: "add: --client-id is required", emptyOut: true},
		{args: []string{"token", "nosuch"}, code: 1, err: `no owned account "nosuch"`, emptyOut: true},
		{args: []string{"status", "--config"}, code: 2, err: "flag needs an argument: --config", emptyOut: true},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := runRoot(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.out) || tc.emptyOut && out != "" {
				t.Errorf("stdout %q, want %q", out, tc.out)
			}
			if !strings.Contains(errOut, tc.err) || tc.emptyError && errOut != "" {
				t.Errorf("stderr %q, want %q", errOut, tc.err)
			}
			if tc.code != 0 && strings.Count(errOut, "\n") != 1 {
				t.Errorf("an error takes exactly one line:\n%s", errOut)
			}
		})
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{
		"bash":       "__start_tokentray",
		"zsh":        "#compdef tokentray",
		"fish":       "complete -c tokentray",
		"powershell": "Register-ArgumentCompleter",
	} {
		out, errOut, code := runRoot(t, "completion", shell)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("completion %s: exit %d, lacks %q\n%s", shell, code, want, errOut)
		}
	}
}

func TestCompletionOfAccountNames(t *testing.T) {
	cfg := filepath.Join(testfs.TempDir(t), "my.toml")
	os.WriteFile(cfg, []byte("[account.work]\nclient_id = \"c\"\nissuer = \"https://idp.example\"\n\n"+
		"[account.home]\nclient_id = \"c\"\nissuer = \"https://idp.example\"\n"), 0o600)
	// --config after the command is honoured while completing.
	out, errOut, code := runRoot(t, "__complete", "token", "--config", cfg, "")
	if code != 0 || !strings.Contains(out, "work\towned account\n") || !strings.Contains(out, "home\towned account\n") {
		t.Fatalf("exit %d:\n%s%s", code, out, errOut)
	}
	// A name already given is not offered again; token takes only one.
	if out, _, _ := runRoot(t, "__complete", "--config", cfg, "refresh", "work", ""); strings.Contains(out, "work") || !strings.Contains(out, "home") {
		t.Errorf("refresh work <TAB>:\n%s", out)
	}
	if out, _, _ := runRoot(t, "__complete", "--config", cfg, "token", "work", ""); strings.Contains(out, "home") {
		t.Errorf("token work <TAB>:\n%s", out)
	}
}

// TestReadmeMatchesHelp: README's Command line section is the help's
// command and flag list, verbatim.
func TestReadmeMatchesHelp(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	out, _, _ := runRoot(t, "--help")
	start := strings.Index(out, "Available Commands:")
	end := strings.Index(out, "\nUse \"tokentray [command]")
	if start < 0 || end < 0 {
		t.Fatalf("unexpected help:\n%s", out)
	}
	want := "```\n" + strings.TrimRight(out[start:end], "\n") + "\n```\n"
	if !strings.Contains(string(readme), want) {
		t.Errorf("README.md's Command line section differs from --help; paste this:\n%s", want)
	}
}

func TestHelpAndCompletionRefuseUnknownWords(t *testing.T) {
	for args, want := range map[string]string{
		"help stauts":     `unknown command "stauts"; did you mean "status"?`,
		"completion bsh":  `completion: unknown command "bsh"; did you mean "bash"?`,
		"completion":      "completion: say bash, zsh, fish or powershell",
		"help status foo": `unknown command "status"`,
	} {
		out, errOut, code := runRoot(t, strings.Fields(args)...)
		if code != 2 || out != "" || !strings.Contains(errOut, want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if out, _, code := runRoot(t, "help", "autostart", "enable"); code != 0 || !strings.Contains(out, "tokentray autostart enable") {
		t.Errorf("help autostart enable: exit %d\n%s", code, out)
	}
}

// TestHelpFits: every command's help fits 100 columns, except the
// example command lines, which a reader copies whole.
func TestHelpFits(t *testing.T) {
	var paths [][]string
	var walk func(prefix []string, c *cobra.Command)
	walk = func(prefix []string, c *cobra.Command) {
		paths = append(paths, prefix)
		for _, sub := range c.Commands() {
			walk(append(append([]string{}, prefix...), sub.Name()), sub)
		}
	}
	ios, _, _, _ := iostreams.Test()
	walk(nil, NewCmdRoot(&cmdutil.Factory{IO: ios}))
	for _, p := range paths {
		out, _, _ := runRoot(t, append(p, "--help")...)
		for _, l := range strings.Split(out, "\n") {
			if utf8.RuneCountInString(l) > 100 && !strings.HasPrefix(strings.TrimSpace(l), "tokentray ") {
				t.Errorf("tokentray %s --help: a line of %d columns:\n%s", strings.Join(p, " "), utf8.RuneCountInString(l), l)
			}
		}
	}
}
