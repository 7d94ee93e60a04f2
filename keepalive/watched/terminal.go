package watched

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// NoTerminalError is returned by [RunInTerminal] when no terminal window
// can be opened. Its message says which command to run by hand.
type NoTerminalError struct {
	Command string // the command line to run in a terminal, shell-quoted
}

func (e *NoTerminalError) Error() string {
	return "no terminal window could be opened; run this in a terminal: " + e.Command
}

// terminalSyntax is how an emulator is told to run a command: the
// arguments that come before the command's argv.
var terminalSyntax = map[string][]string{
	"x-terminal-emulator": {"-e"},
	"gnome-terminal":      {"--"},
	"konsole":             {"-e"},
	"xfce4-terminal":      {"-x"},
	"kitty":               nil,
	"alacritty":           {"-e"},
	"foot":                nil,
	"wezterm":             {"start", "--"},
	"xterm":               {"-e"},
}

// linuxTerminals is the order in which emulators are tried after
// $TERMINAL.
var linuxTerminals = []string{"x-terminal-emulator", "gnome-terminal", "konsole", "xfce4-terminal", "kitty", "alacritty", "foot", "wezterm", "xterm"}

// holdScript runs "$@" after exporting the NAME=value words before "--",
// then keeps the window open until Enter, so the user sees how it ended.
const holdScript = `while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do export "$1"; shift; done; shift
"$@"; s=$?
printf '\n[tokentray] %s finished (exit status %s). Press Enter to close this window.' "$1" "$s"
read -r _ || :`

// terminalArgv returns the command that opens a terminal window running
// argv (an absolute program path first) with env (NAME=value) set, for
// goos; look finds programs (exec.LookPath), getenv reads tokentray's
// environment. ok is false when no terminal is known or found.
func terminalArgv(goos string, argv, env []string, look func(string) (string, error), getenv func(string) string) (out []string, ok bool) {
	switch goos {
	case "windows":
		// A new console: the caller sets CREATE_NEW_CONSOLE.
		return argv, true
	case "darwin":
		osa, err := look("osascript")
		if err != nil {
			return nil, false
		}
		line := shellLine(append(append([]string{"/usr/bin/env"}, env...), argv...))
		return []string{osa, "-e", `tell application "Terminal"`, "-e", "activate",
			"-e", "do script " + appleScriptString(line), "-e", "end tell"}, true
	}
	inner := append(append(append([]string{"/bin/sh", "-c", holdScript, "sh"}, env...), "--"), argv...)
	var cands []string
	if t := strings.TrimSpace(getenv("TERMINAL")); t != "" {
		cands = append(cands, t)
	}
	cands = append(cands, linuxTerminals...)
	for _, name := range cands {
		path, err := look(name)
		if err != nil {
			continue
		}
		pre, known := terminalSyntax[filepath.Base(name)]
		if !known {
			pre = []string{"-e"} // what most emulators (and $TERMINAL conventions) take
		}
		return append(append([]string{path}, pre...), inner...), true
	}
	return nil, false
}

// RunInTerminal runs the owner's interactive login argv in a new terminal
// window (Linux/BSD: $TERMINAL, x-terminal-emulator, then gnome-terminal,
// konsole, xfce4-terminal, kitty, alacritty, foot, wezterm, xterm; macOS:
// Terminal; Windows: a new console), with env (NAME=value) added. It
// returns once the window has been asked for, or with a
// [*NoTerminalError] naming the command to run by hand when there is no
// terminal, or when the terminal program failed at once.
func RunInTerminal(ctx context.Context, argv, env []string) error {
	if len(argv) == 0 {
		return errors.New("empty login command")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	manual := &NoTerminalError{Command: shellLine(append(append([]string(nil), env...), argv...))}
	path, childEnv, err := lookCommand(argv[0], env)
	if err != nil {
		return err
	}
	full := append([]string{path}, argv[1:]...)
	targv, ok := terminalArgv(runtime.GOOS, full, env, exec.LookPath, os.Getenv)
	if !ok {
		return manual
	}
	cmd := exec.Command(targv[0], targv[1:]...)
	cmd.Env = childEnv
	cmd.SysProcAttr = terminalAttr()
	if err := cmd.Start(); err != nil {
		return manual
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t := time.NewTimer(loginGrace)
	defer t.Stop()
	select {
	case err := <-exited:
		if err != nil {
			return fmt.Errorf("%w (the terminal program: %v)", manual, exitError(filepath.Base(targv[0]), err))
		}
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// shellLine quotes argv for a POSIX shell.
func shellLine(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
		}) < 0 {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// appleScriptString quotes s as an AppleScript string literal.
func appleScriptString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
