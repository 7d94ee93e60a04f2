// Command smoke drives the Windows build of tokentray under Wine: the CLI
// smoke of the Windows CI stage (make test-windows). It runs on the Linux
// side, starts the fake issuer on loopback, writes a config and a login
// into the Wine user's profile (Wine sets APPDATA and LOCALAPPDATA from
// its prefix, whatever the Unix environment says), and runs
// `wine tokentray.exe ...` commands, each bounded by a timeout.
//
// Usage: go run ./.ci/windows/smoke -exe tokentray.exe -profile $WINEPREFIX/drive_c/users/$USER
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
	"strings"
	"sync"
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
	failed  bool
)

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
	passed := 0
	for _, s := range steps {
		start := time.Now()
		err := s.fn()
		for retry := 1; retry <= 2 && err != nil && onlyTimeouts(err); retry++ {
			// Wine 8.0 now and then freezes a process it starts (about one
			// start in 200; a stack dump armed in the program's own init
			// never fired in such a hang). A step whose only errors are
			// timeouts runs again, from a fresh issuer and login, at most
			// twice, and says so with what the command printed. A failure
			// is never retried.
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
	if failed {
		fmt.Printf("smoke: %d passed, %d failed\n", passed, len(steps)-passed)
		os.Exit(1)
	}
}

// errTimedOut: a command did not finish within cmdLimit.
var errTimedOut = errors.New("timed out")

func clipText(s string) string {
	if len(s) > 400 {
		return s[:400] + "…"
	}
	return s
}

// onlyTimeouts reports whether every error joined in err is a
// command that timed out.
func onlyTimeouts(err error) bool {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		if !errors.Is(e, errTimedOut) {
			return false
		}
	}
	return len(errs) > 0
}

// wine runs a command under Wine and returns its stdout and stderr.
func wine(args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "wine", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		// What it printed, for telling a Wine freeze (nothing, or Wine's
		// own lines) from a hang of tokentray's.
		err = fmt.Errorf("wine %s: %w after %v (stdout %q, stderr %q)", strings.Join(args, " "), errTimedOut, cmdLimit,
			clipText(out.String()), clipText(errb.String()))
	} else if err != nil {
		err = fmt.Errorf("wine %s: %w\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), errb.String(), err
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
