// Command smoke drives the Windows build of tokentray under Wine: the CLI
// smoke of the Windows CI stage (make test-windows). It runs on the Linux
// side, starts the fake issuer on loopback, writes a config and a login
// into the Wine user's profile (Wine sets APPDATA and LOCALAPPDATA from
// its prefix, whatever the Unix environment says), and runs
// `wine tokentray.exe ...` commands, each bounded by a timeout.
//
// Usage: go run ./.ci/windows/smoke -exe tokentray.exe -profile $WINEPREFIX/drive_c/users/$USER
//
// To measure how often Wine's exit deadlock (see errWineExit) hits, run one
// step many times: -run refresh -count 50 (6 x 3 starts each); the last
// line counts the commands and how they ended.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

const (
	runKey    = `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`
	autoID    = "io.tokentray.tokentray"
	cmdLimit  = 30 * time.Second
	procs     = 6
	rounds    = 3
	accountID = "work"
)

var (
	exe     = flag.String("exe", "", "tokentray.exe (a Unix path)")
	profile = flag.String("profile", "", "the Wine user's profile directory (a Unix path)")
	only    = flag.String("run", "", "run only the steps whose name contains this")
	count   = flag.Int("count", 1, "run each step this many times")
	failed  bool
)

// What the commands under Wine did, for the last line.
var started, wineExits, timeouts atomic.Int64

func main() {
	flag.Parse()
	if *exe == "" || *profile == "" {
		fmt.Fprintln(os.Stderr, "usage: smoke -exe tokentray.exe -profile DIR")
		os.Exit(2)
	}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"version", version},
		{"status --json", status},
		{"autostart enable/reg query/disable", autostart},
		{fmt.Sprintf("%d concurrent refresh --force x %d rounds, zero reuse", procs, rounds), concurrentRefresh},
	}
	passed, ran := 0, 0
	for _, s := range steps {
		if !strings.Contains(s.name, *only) {
			continue
		}
		for range *count {
			ran++
			start := time.Now()
			err := s.fn()
			for retry := 1; retry <= 2 && err != nil && onlyWineExits(err); retry++ {
				// Every command of the step that went wrong was stuck in
				// Wine's own process exit (errWineExit), after tokentray
				// had done its work: the step runs again, from a fresh
				// issuer and login, at most twice, and says so with what
				// the commands printed. A failure, or a command that timed
				// out inside the program, is never retried.
				fmt.Printf("    retry %d of smoke %s: %s\n", retry, s.name, strings.ReplaceAll(err.Error(), "\n", "; "))
				start = time.Now()
				err = s.fn()
			}
			if err != nil {
				fmt.Printf("--- FAIL: smoke %s (%.1fs)\n    %v\n", s.name, time.Since(start).Seconds(), strings.ReplaceAll(err.Error(), "\n", "\n    "))
				failed = true
				continue
			}
			passed++
			fmt.Printf("--- PASS: smoke %s (%.1fs)\n", s.name, time.Since(start).Seconds())
		}
	}
	fmt.Printf("smoke: %d commands under Wine: %d stuck in Wine's process exit, %d other timeouts\n",
		started.Load(), wineExits.Load(), timeouts.Load())
	if failed || ran == 0 {
		fmt.Printf("smoke: %d passed, %d failed\n", passed, ran-passed)
		os.Exit(1)
	}
}

// errTimedOut: a command did not end within cmdLimit while the program
// was running (more than one thread): a hang of the program's own, never
// retried.
var errTimedOut = errors.New("timed out")

// errWineExit: a command that Wine 8.0 failed to end after it called
// ExitProcess: its output is complete and its work done. Every hang of
// this smoke seen so far is one (about one `refresh --force` in 100 to
// 250; a 15-line Go program whose goroutine reads a directory while main
// returns hangs the same way, one start in 70). Wine's server ends the
// other threads with SIGQUIT, which Wine does not block while a thread
// holds its virtual-memory mutex, so a thread in the middle of an I/O
// control (os.ReadDir's GetVolumeInformationByHandle asks Wine's mount
// manager; in tokentray, the log rotation's clean-up goroutine reads the
// log folder) dies holding it; the completion of that request then reaches
// the exiting thread as an APC (SIGUSR1), whose handler waits for the
// mutex for ever. It shows in two ways:
//   - the process does not end and has one live thread (a Go program has
//     several from before its first package init until ExitProcess ends
//     them, so one thread is never tokentray's code running);
//   - it ends by a SIGKILL the smoke did not send: Wine's server kills a
//     process that still runs half a second after its last thread ended.
var errWineExit = errors.New("stuck in Wine's process exit")

func clipText(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

// onlyWineExits reports whether every error joined in err is a command
// stuck in Wine's process exit.
func onlyWineExits(err error) bool {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		if !errors.Is(e, errWineExit) {
			return false
		}
	}
	return len(errs) > 0
}

// wine runs a command under Wine and returns its stdout and stderr.
func wine(args ...string) (string, string, error) {
	return run(cmdLimit, "wine", args...)
}

// run runs a command for at most limit. `wine` execs the Windows program
// in its own process, so the process's threads on the Linux side are the
// program's.
func run(limit time.Duration, name string, args ...string) (string, string, error) {
	started.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	var threads atomic.Int64 // at the timeout, before the kill
	cmd.Cancel = func() error {
		threads.Store(int64(liveThreads(cmd.Process.Pid)))
		return cmd.Process.Kill()
	}
	err := cmd.Run()
	// What it printed, for the log.
	printed := fmt.Sprintf("stdout %q, stderr %q", clipText(out.String()), clipText(errb.String()))
	line := name + " " + strings.Join(args, " ")
	switch {
	case ctx.Err() != nil && threads.Load() == 1:
		wineExits.Add(1)
		err = fmt.Errorf("%s: %w: did not end within %v, one live thread (%s)", line, errWineExit, limit, printed)
	case ctx.Err() != nil:
		timeouts.Add(1)
		err = fmt.Errorf("%s: %w after %v with %d threads running (%s)", line, errTimedOut, limit, threads.Load(), printed)
	case killed(err):
		wineExits.Add(1)
		err = fmt.Errorf("%s: %w: ended by SIGKILL from Wine's server (%s)", line, errWineExit, printed)
	case err != nil:
		err = fmt.Errorf("%s: %w\n%s%s", line, err, out.String(), errb.String())
	}
	return out.String(), errb.String(), err
}

// liveThreads is how many threads of process pid are alive (not zombies:
// when the thread that calls ExitProcess is not the main one, the main
// thread can be a zombie while the process lives), from /proc; -1 when
// unknown.
func liveThreads(pid int) int { return liveThreadsIn("/proc", pid) }

func liveThreadsIn(proc string, pid int) int {
	dir := filepath.Join(proc, strconv.Itoa(pid), "task")
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return -1
	}
	n := 0
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, t.Name(), "stat"))
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			return -1
		}
		if st := b[i+2]; st != 'Z' && st != 'X' {
			n++
		}
	}
	return n
}

// killed reports whether err is a process ended by SIGKILL.
func killed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func tokentray(args ...string) (string, string, error) {
	return wine(append([]string{*exe}, args...)...)
}

func version() error {
	out, _, err := tokentray("version")
	if err != nil {
		return err
	}
	if !strings.HasPrefix(out, "tokentray ") {
		return fmt.Errorf("version printed %q", out)
	}
	return nil
}

// The Wine user's default locations, as tokentray resolves them on Windows.
func configFile() string {
	return filepath.Join(*profile, "AppData", "Roaming", "tokentray", "config.toml")
}
func tokenDir() string { return filepath.Join(*profile, "AppData", "Local", "tokentray", "tokens") }

// issuer starts the fake issuer and configures account work against it
// with a fresh login.
func issuer() (*oauthtest.Issuer, error) {
	iss, err := oauthtest.Start(oauthtest.Options{AccessTTL: time.Hour})
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("[account.%s]\nclient_id = %q\nauthorize_url = %q\ntoken_url = %q\n",
		accountID, oauthtest.DefaultClientID, iss.URL()+"/authorize", iss.TokenURL())
	if err := os.MkdirAll(filepath.Dir(configFile()), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(configFile(), []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	tok := iss.Mint(oauthtest.DefaultClientID, "")
	_, err = store.Open(tokenDir()).Update(context.Background(), accountID, func(*store.Record) (*store.Record, error) {
		return store.NewRecord(&tok), nil
	})
	return iss, err
}

func status() error {
	iss, err := issuer()
	if err != nil {
		return err
	}
	defer iss.Close()
	out, _, err := tokentray("status", "--json")
	if err != nil {
		return err
	}
	var snap struct {
		Accounts []struct{ Name, Status string }
	}
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		return fmt.Errorf("status --json is not JSON: %v\n%s", err, out)
	}
	if len(snap.Accounts) != 1 || snap.Accounts[0].Name != accountID || snap.Accounts[0].Status != "ok" {
		return fmt.Errorf("status --json: want one ok account %q:\n%s", accountID, out)
	}
	return nil
}

// regValue reads the Run value back with `wine reg query`.
func regValue() (string, bool, error) {
	out, _, err := wine("reg", "query", runKey, "/v", autoID)
	if err != nil {
		if strings.Contains(err.Error(), "exit status 1") {
			return "", false, nil
		}
		return "", false, err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == autoID && f[1] == "REG_SZ" {
			_, v, _ := strings.Cut(line, "REG_SZ")
			return strings.TrimSpace(v), true, nil
		}
	}
	return "", false, fmt.Errorf("reg query printed no %s value:\n%s", autoID, out)
}

func autostart() error {
	if _, _, err := tokentray("autostart", "enable"); err != nil {
		return err
	}
	v, ok, err := regValue()
	if err != nil {
		return err
	}
	winExe := `Z:` + strings.ReplaceAll(*exe, "/", `\`)
	if want := `"` + winExe + `" run`; !ok || !strings.EqualFold(v, want) {
		return fmt.Errorf("Run value after enable = %q (present %v), want %q", v, ok, want)
	}
	if out, _, err := tokentray("autostart", "status"); err != nil || !strings.Contains(out, "enabled") || strings.Contains(out, "disabled") {
		return fmt.Errorf("autostart status after enable: %q %v", out, err)
	}
	if _, _, err := tokentray("autostart", "disable"); err != nil {
		return err
	}
	if v, ok, err := regValue(); err != nil || ok {
		return fmt.Errorf("Run value after disable = %q (present %v, %v)", v, ok, err)
	}
	if _, _, err := tokentray("autostart", "disable"); err != nil {
		return fmt.Errorf("disabling twice: %w", err)
	}
	return nil
}

// concurrentRefresh is the race that logs people out: processes refreshing
// one rotating refresh token at once. The lock and re-read must leave the
// issuer with no replayed token.
func concurrentRefresh() error {
	iss, err := issuer()
	if err != nil {
		return err
	}
	defer iss.Close()
	var mu sync.Mutex
	var errs []error
	for round := range rounds {
		var wg sync.WaitGroup
		for range procs {
			wg.Go(func() {
				out, _, err := tokentray("refresh", "--force", accountID)
				if err == nil && !strings.Contains(out, accountID+": refreshed") {
					err = fmt.Errorf("refresh printed %q", out)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("round %d: %w", round, err))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s := iss.Stats()
	if s.Rejected != 0 || s.ReuseDetected != 0 || s.FamiliesRevoked != 0 || s.Succeeded != procs*rounds {
		return fmt.Errorf("issuer after %d refreshes: %+v", procs*rounds, s)
	}
	rec, err := store.Open(tokenDir()).Load(accountID)
	if err != nil || !iss.Valid(rec.AccessToken.Reveal()) {
		return fmt.Errorf("the stored token is not the issuer's latest: %v", err)
	}
	return nil
}
