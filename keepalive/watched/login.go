package watched

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// LoginAction is how s's owner signs in again: the configured login
// command, else the tool's command for this login ([Source.DefaultLogin]),
// else a page to open ([Tool.LoginURL]).
//
//	claude-code  claude auth login
//	codex        codex login
//	opencode     opencode auth login --provider P   (in a terminal)
//	aws-sso      aws sso login --sso-session S      (legacy: --profile P)
//	gemini       (none) -> GeminiDocsURL
func (s Source) LoginAction() (argv []string, url string) {
	if len(s.LoginCommand) > 0 {
		return append([]string(nil), s.LoginCommand...), ""
	}
	if len(s.DefaultLogin) > 0 {
		return append([]string(nil), s.DefaultLogin...), ""
	}
	if t := ToolFor(s.Kind); t != nil {
		return nil, t.LoginURL
	}
	return nil, ""
}

// SignIn runs the login command of src ([Source.LoginAction], which must
// have one) the way its owner needs: in a terminal window when
// src.LoginTerminal is set ([RunInTerminal]), else detached with its output
// scanned ([RunLogin]); either way with src.LoginEnv added to its
// environment, so an extra store's owner signs in that store's profile.
func SignIn(ctx context.Context, src Source, log io.Writer, openURL func(string) error) error {
	return signIn(ctx, src, log, openURL, false)
}

// SignInAndWait is SignIn that, for a command it runs detached, waits
// until the command exits (or ctx ends) and returns how it ended: for a
// person at a terminal who asked for the login, the outcome does not
// depend on how fast the command fails.
func SignInAndWait(ctx context.Context, src Source, log io.Writer, openURL func(string) error) error {
	return signIn(ctx, src, log, openURL, true)
}

func signIn(ctx context.Context, src Source, log io.Writer, openURL func(string) error, wait bool) error {
	argv, url := src.LoginAction()
	if len(argv) == 0 {
		switch {
		case url == "":
			return errors.New("no login command")
		case openURL == nil:
			return errors.New("no login command; sign in at " + url)
		}
		return openURL(url)
	}
	if src.LoginTerminal {
		return RunInTerminal(ctx, argv, src.LoginEnv)
	}
	return runLogin(ctx, argv, src.LoginEnv, log, openURL, wait)
}

// loginGrace is how long RunLogin waits for a command that fails at once
// (unknown subcommand, old version) before returning.
var loginGrace = 500 * time.Millisecond

// fallbackDelay is how long after a "could not open the browser" phrase
// RunLogin waits for a URL on a following line before opening the last URL
// printed before the phrase.
var fallbackDelay = time.Second

// RunLogin starts the owner's sign-in command argv detached from tokentray
// (its own session on Unix, its own process group without a console window
// on Windows), so that the owner runs its own OAuth flow and writes its own
// store; tokentray never sees the tokens.
//
// Stdout and stderr go, line by line, to log (written from a background
// goroutine until the command exits, serialised by RunLogin; log must stay
// usable after RunLogin returns; nil discards). The output is scanned for
// https URLs, and openURL is called once (from another goroutine) only when
// the owner could not open a browser itself: a line (ANSI escapes removed,
// case-insensitive) reporting a failure ("could not open", "couldn't
// open", "unable to open", "failed to open", "will not be automatically
// opened", "error opening") always counts; the hints that Claude Code,
// Codex and the AWS CLI print every time ("did not open", "didn't open",
// "does not open", "navigate to this url", "open this url", "open the
// following url", "visit", ...) count only when the command's environment
// has no way to open a browser (see ownerCanOpenBrowser: no $BROWSER, and
// no display or no opener such as xdg-open; never on macOS and Windows).
// The first https URL on that line or a following one is opened, or, if
// none follows within a second, the last one printed before.
//
// RunLogin returns once the command has been running for half a second (or
// earlier if it exits), with an error if it could not start or exited
// non-zero in that time. The child is reaped in the background; cancelling
// ctx stops URL opening but does not kill the sign-in, which belongs to the
// user.
//
// Commands are looked up on PATH and then in the usual per-user install
// directories (~/.local/bin, ~/.claude/local, ~/.bun/bin, ~/.npm-global/bin,
// ~/.opencode/bin, ~/.volta/bin, /opt/homebrew/bin, /usr/local/bin), which
// are also appended to the child's PATH: apps started from a desktop
// session often have a minimal PATH.
func RunLogin(ctx context.Context, argv []string, log io.Writer, openURL func(string) error) error {
	return runLogin(ctx, argv, nil, log, openURL, false)
}

func runLogin(ctx context.Context, argv, extraEnv []string, log io.Writer, openURL func(string) error, wait bool) error {
	if len(argv) == 0 {
		return errors.New("empty login command")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	path, env, err := lookCommand(argv[0], extraEnv)
	if err != nil {
		return err
	}
	if log == nil {
		log = io.Discard
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("login command: %w", err)
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Env = env
	cmd.Stdout = pw
	cmd.Stderr = pw
	cmd.SysProcAttr = detachedAttr()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return fmt.Errorf("starting %s: %w", argv[0], err)
	}
	pw.Close() // the child holds the write end now

	out := &lockedWriter{w: log}
	sc := &urlScanner{ctx: ctx, open: openURL, ownerOpens: ownerCanOpenBrowser(runtime.GOOS, env)}
	scanned := make(chan struct{})
	go func() {
		sc.scan(pr, out)
		pr.Close()
		close(scanned)
	}()
	exited := make(chan error, 1)
	go func() {
		// Reap the child even if a grandchild (a browser launcher) keeps
		// the output pipe open.
		werr := cmd.Wait()
		exited <- werr
		select {
		case <-scanned:
		case <-time.After(2 * time.Second):
		}
		if werr != nil {
			fmt.Fprintf(out, "[tokentray] %v\n", exitError(argv[0], werr))
		} else {
			fmt.Fprintf(out, "[tokentray] %s: finished\n", argv[0])
		}
	}()

	t := time.NewTimer(loginGrace)
	defer t.Stop()
	grace := t.C
	if wait {
		grace = nil
	}
	select {
	case werr := <-exited:
		// Let its last words reach the log before reporting.
		lastWords := loginGrace
		if wait {
			lastWords = 2 * time.Second
		}
		select {
		case <-scanned:
		case <-time.After(lastWords):
		}
		if werr != nil {
			return exitError(argv[0], werr)
		}
		return nil
	case <-grace:
		return nil
	case <-ctx.Done():
		if wait {
			return ctx.Err()
		}
		return nil
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

var (
	ansiRE  = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)`)
	httpsRE = regexp.MustCompile(`https://[^\s"'<>` + "`" + `]+`)
	// failedPhrases are the owner's reports that it could not open a
	// browser.
	failedPhrases = []string{
		"could not open", "couldn't open", "unable to open", "failed to open",
		"will not be automatically opened", "error opening",
	}
	// hintPhrases introduce the URL "in case the browser did not open":
	// Claude Code, Codex and the AWS CLI print them every time, so they
	// count only when the owner had no way to open a browser.
	hintPhrases = []string{
		"did not open", "didn't open", "does not open", "doesn't open",
		"navigate to this url", "open this url", "open the following url",
		"visit", "go to:",
	}
)

// ownerCanOpenBrowser reports whether a command run with env can open a
// browser itself: always on macOS and Windows; elsewhere when $BROWSER is
// set, or a display ($DISPLAY, $WAYLAND_DISPLAY) and an opener (xdg-open,
// gio, ...) on the command's PATH are there.
func ownerCanOpenBrowser(goos string, env []string) bool {
	if goos == "darwin" || goos == "windows" {
		return true
	}
	get := func(k string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if name, v, ok := strings.Cut(env[i], "="); ok && name == k {
				return v
			}
		}
		return ""
	}
	if get("BROWSER") != "" {
		return true
	}
	if get("DISPLAY") == "" && get("WAYLAND_DISPLAY") == "" {
		return false
	}
	for _, dir := range filepath.SplitList(get("PATH")) {
		for _, opener := range []string{"xdg-open", "gio", "gnome-open", "kde-open", "x-www-browser", "sensible-browser", "wslview"} {
			if fi, err := os.Stat(filepath.Join(dir, opener)); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return true
			}
		}
	}
	return false
}

// findURL returns the first https URL in line, without trailing punctuation.
func findURL(line string) string {
	u := httpsRE.FindString(line)
	return strings.TrimRight(u, ".,;:)]}!?")
}

// saysBrowserNotOpened reports whether line says the user has to open the
// URL: an explicit failure always, a "did not open?" hint only when the
// owner could not open a browser itself.
func saysBrowserNotOpened(line string, ownerOpens bool) bool {
	l := strings.ToLower(line)
	for _, p := range failedPhrases {
		if strings.Contains(l, p) {
			return true
		}
	}
	if ownerOpens {
		return false
	}
	for _, p := range hintPhrases {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}

// urlScanner implements RunLogin's URL heuristic.
type urlScanner struct {
	ctx        context.Context
	open       func(string) error
	ownerOpens bool // the owner can open a browser itself

	mu      sync.Mutex
	last    string // last URL seen before the phrase
	phrase  bool
	opened  bool
	pending *time.Timer
}

func (s *urlScanner) scan(r io.Reader, out io.Writer) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			_, _ = io.WriteString(out, line)
			if !strings.HasSuffix(line, "\n") {
				_, _ = io.WriteString(out, "\n")
			}
			s.line(ansiRE.ReplaceAllString(line, ""))
		}
		if err != nil {
			break
		}
	}
	s.mu.Lock()
	if s.pending != nil {
		s.pending.Stop()
	}
	s.mu.Unlock()
}

func (s *urlScanner) line(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opened {
		return
	}
	u := findURL(line)
	if saysBrowserNotOpened(line, s.ownerOpens) {
		if u != "" {
			s.openLocked(u)
			return
		}
		if !s.phrase {
			s.phrase = true
			if s.last != "" {
				fallback := s.last
				s.pending = time.AfterFunc(fallbackDelay, func() {
					s.mu.Lock()
					defer s.mu.Unlock()
					if !s.opened {
						s.openLocked(fallback)
					}
				})
			}
		}
		return
	}
	if u == "" {
		return
	}
	if s.phrase {
		if s.pending != nil {
			s.pending.Stop()
		}
		s.openLocked(u)
		return
	}
	s.last = u
}

func (s *urlScanner) openLocked(u string) {
	s.opened = true
	if s.open == nil || s.ctx.Err() != nil {
		return
	}
	go func() { _ = s.open(u) }()
}

// extraBinDirs are per-user install locations of the owners' CLIs.
func extraBinDirs() []string {
	if runtime.GOOS == "windows" {
		var dirs []string
		if a := os.Getenv("APPDATA"); a != "" {
			dirs = append(dirs, filepath.Join(a, "npm"))
		}
		if h, err := os.UserHomeDir(); err == nil {
			dirs = append(dirs, filepath.Join(h, ".local", "bin"), filepath.Join(h, ".bun", "bin"))
		}
		return dirs
	}
	var dirs []string
	if h, err := os.UserHomeDir(); err == nil {
		for _, d := range []string{".local/bin", ".claude/local", ".bun/bin", ".npm-global/bin", ".opencode/bin", ".volta/bin"} {
			dirs = append(dirs, filepath.Join(h, d))
		}
	}
	return append(dirs, "/opt/homebrew/bin", "/usr/local/bin")
}

// lookCommand resolves name on PATH, then in extraBinDirs, and returns the
// environment for the child: tokentray's, with the existing extra
// directories appended to PATH and extra (NAME=value) set.
func lookCommand(name string, extra []string) (string, []string, error) {
	pathList := filepath.SplitList(os.Getenv("PATH"))
	have := map[string]bool{}
	for _, d := range pathList {
		have[d] = true
	}
	for _, d := range extraBinDirs() {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() && !have[d] {
			pathList = append(pathList, d)
			have[d] = true
		}
	}
	env := os.Environ()
	for i, kv := range env {
		if k, _, ok := strings.Cut(kv, "="); ok && strings.EqualFold(k, "PATH") {
			env = append(env[:i:i], env[i+1:]...)
			break
		}
	}
	env = append(env, "PATH="+strings.Join(pathList, string(os.PathListSeparator)))
	env = withEnv(env, extra)

	if strings.ContainsRune(name, '/') || strings.ContainsRune(name, filepath.Separator) {
		p, err := exec.LookPath(name)
		return p, env, err
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, env, nil
	}
	for _, d := range pathList {
		if d == "" || !filepath.IsAbs(d) {
			continue
		}
		if p, err := exec.LookPath(filepath.Join(d, name)); err == nil {
			return p, env, nil
		}
	}
	return "", nil, &notInstalledError{name}
}

// notInstalledError is a login command that is not installed: "claude is
// not installed (not on PATH, nor in ~/.local/bin and the like)". It is
// exec.ErrNotFound.
type notInstalledError struct{ name string }

func (e *notInstalledError) Error() string {
	return e.name + " is not installed (not on PATH, nor in ~/.local/bin and the like)"
}
func (e *notInstalledError) Unwrap() error { return exec.ErrNotFound }

// exitError says how a login command ended, "aws exited with status 2",
// keeping the *exec.ExitError for errors.As.
func exitError(name string, err error) error {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("%s: %w", name, err)
	}
	return &exitedError{name: name, err: ee}
}

type exitedError struct {
	name string
	err  *exec.ExitError
}

func (e *exitedError) Error() string {
	if c := e.err.ExitCode(); c >= 0 {
		return fmt.Sprintf("%s exited with status %d", e.name, c)
	}
	return e.name + " ended: " + e.err.String() // "signal: killed"
}
func (e *exitedError) Unwrap() error { return e.err }

// withEnv returns env with each NAME=value of extra replacing any earlier
// setting of NAME.
func withEnv(env, extra []string) []string {
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		env = slices.DeleteFunc(env, func(e string) bool {
			n, _, _ := strings.Cut(e, "=")
			return n == k || runtime.GOOS == "windows" && strings.EqualFold(n, k)
		})
		env = append(env, kv)
	}
	return env
}

// checkTimeout bounds a check command when ctx has no deadline.
const checkTimeout = 30 * time.Second

// RunCheck runs an owner's status command (e.g. `claude auth status`) and
// reports whether the owner considers itself signed in: exit status 0, and,
// when stdout is a JSON object with a boolean "loggedIn", that value. detail
// is a short summary for the UI (from the JSON's "email" and
// "subscriptionType" when present, else the first output line, with long
// token-like words redacted). err is non-nil only when the command could not
// be run or timed out; a non-zero exit is ok == false with err == nil.
func RunCheck(ctx context.Context, argv []string) (ok bool, detail string, err error) {
	return runCheck(ctx, argv, nil)
}

// RunSourceCheck runs src's check command ([RunCheck]) with src.LoginEnv
// added to its environment, so it checks the same profile as the store.
func RunSourceCheck(ctx context.Context, src Source) (ok bool, detail string, err error) {
	return runCheck(ctx, src.CheckCommand, src.LoginEnv)
}

func runCheck(ctx context.Context, argv, extraEnv []string) (ok bool, detail string, err error) {
	if len(argv) == 0 {
		return false, "", errors.New("empty check command")
	}
	path, env, err := lookCommand(argv[0], extraEnv)
	if err != nil {
		return false, "", fmt.Errorf("check command: %w", err)
	}
	if _, has := ctx.Deadline(); !has {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, checkTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, path, argv[1:]...)
	cmd.Env = env
	stdout := &capBuffer{max: 64 << 10}
	stderr := &capBuffer{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = time.Second
	runErr := cmd.Run()
	defer clear(stdout.b)
	defer clear(stderr.b)

	var ee *exec.ExitError
	exitCode := 0
	switch {
	case runErr == nil:
	case errors.As(runErr, &ee) && ctx.Err() == nil:
		exitCode = ee.ExitCode()
	case ctx.Err() != nil:
		return false, "", fmt.Errorf("%s: %w", argv[0], ctx.Err())
	default:
		return false, "", fmt.Errorf("%s: %w", argv[0], runErr)
	}

	ok = exitCode == 0
	loggedIn, summary, isJSON := statusJSON(stdout.b)
	if isJSON {
		ok = ok && loggedIn
		detail = summary
	} else {
		detail = firstLine(stdout.b)
		if detail == "" {
			detail = firstLine(stderr.b)
		}
	}
	if exitCode != 0 {
		detail = strings.TrimSuffix(fmt.Sprintf("exit status %d; %s", exitCode, detail), "; ")
	}
	return ok, detail, nil
}

// statusJSON reads `claude auth status`-style output.
func statusJSON(out []byte) (loggedIn bool, summary string, ok bool) {
	var v struct {
		LoggedIn         *bool  `json:"loggedIn"`
		Email            string `json:"email"`
		SubscriptionType string `json:"subscriptionType"`
	}
	if json.Unmarshal(bytes.TrimSpace(out), &v) != nil || v.LoggedIn == nil {
		return false, "", false
	}
	summary = "not logged in"
	if *v.LoggedIn {
		summary = "logged in"
	}
	if v.Email != "" {
		summary += " as " + redactWords(v.Email)
	}
	if v.SubscriptionType != "" {
		summary += " (" + redactWords(v.SubscriptionType) + ")"
	}
	return *v.LoggedIn, summary, true
}

func firstLine(b []byte) string {
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(ansiRE.ReplaceAllString(l, ""))
		if l != "" {
			if r := []rune(l); len(r) > 200 {
				l = string(r[:200]) + "…"
			}
			return redactWords(l)
		}
	}
	return ""
}

var tokenLikeRE = regexp.MustCompile(`[A-Za-z0-9_\-.+/=~]{24,}`)

// redactWords hides long words mixing letters and digits, which is what
// tokens look like, in case a status command prints one.
func redactWords(s string) string {
	return tokenLikeRE.ReplaceAllStringFunc(s, func(w string) string {
		if strings.ContainsAny(w, "0123456789") && strings.IndexFunc(w, func(r rune) bool {
			return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
		}) >= 0 {
			return "[redacted]"
		}
		return w
	})
}
