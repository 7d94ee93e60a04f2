package watched

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// maxStoreSize bounds how much of a store is read; real ones are a few KiB.
const maxStoreSize = 4 << 20

// Read reads and parses the login of src, read-only: a Keychain source is
// read with `security find-generic-password -w` (falling back to the file
// when the item does not exist or cannot be read); a file is opened
// read-only (following symlinks) and closed at once. The raw bytes are
// zeroed after parsing, so only the token-free [Meta] survives.
//
// Errors: one wrapping [ErrNotFound] when the store (or the opencode
// provider entry) is missing; a [*atomicfile.MalformedError] naming the path for a
// store that cannot be understood (including a directory in its place);
// other I/O errors as they are, without file contents.
func Read(src Source) (Meta, error) {
	if t := ToolFor(src.Kind); t != nil && t.Read != nil {
		return t.Read(src)
	}
	return readFile(src)
}

// readFile is the default [Tool.Read]: the Keychain item when the source
// has one, else the file at Path, through [Parse].
func readFile(src Source) (Meta, error) {
	if src.KeychainService != "" {
		data, err := readKeychain(src.KeychainService, src.KeychainAccount)
		if err == nil {
			defer clear(data)
			m, perr := Parse(src.Kind, src.Provider, data)
			return m, withPath(perr, "Keychain item "+src.KeychainService)
		}
		if errors.Is(err, ErrKeychainPending) {
			return Meta{}, err
		}
		if !errors.Is(err, ErrNotFound) && !fileExists(src.Path) {
			return Meta{}, err
		}
	}
	data, err := readStore(src.Path)
	if err != nil {
		return Meta{}, err
	}
	defer clear(data)
	m, err := Parse(src.Kind, src.Provider, data)
	return m, withPath(err, src.Path)
}

func withPath(err error, where string) error {
	if err == nil {
		return nil
	}
	var me *atomicfile.MalformedError
	if errors.As(err, &me) {
		cp := *me
		cp.Path = where
		return &cp
	}
	return fmt.Errorf("%s: %w", where, err)
}

// readStore reads a store file read-only. It refuses anything but a regular
// file (a FIFO would block, a directory is a broken store).
func readStore(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	if fi.IsDir() {
		return nil, &atomicfile.MalformedError{Path: path, Problem: "is a directory, not a file"}
	}
	if !fi.Mode().IsRegular() {
		return nil, &atomicfile.MalformedError{Path: path, Problem: "not a regular file"}
	}
	f, err := openReadOnly(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStoreSize+1))
	if err != nil {
		clear(data)
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > maxStoreSize {
		clear(data)
		return nil, &atomicfile.MalformedError{Path: path, Problem: "file too large"}
	}
	return data, nil
}

// securityPath is macOS's Keychain command-line tool. A variable so tests
// can substitute a fake.
var securityPath = "/usr/bin/security"

// securityNotFound is the exit status of `security find-generic-password`
// when no item matches (errSecItemNotFound).
const securityNotFound = 44

// existsTimeout bounds `security find-generic-password` without -w, which
// never prompts.
const existsTimeout = 30 * time.Second

// keychainWait is how long [Read] waits for `security ... -w` before
// reporting [ErrKeychainPending]. A read of the secret may raise macOS's
// "allow access" prompt, which stays open until the user answers, so the
// read itself is never killed: it goes on in the background, at most one
// per item, and its result serves the next Read.
var keychainWait = 5 * time.Second

// ErrKeychainPending is wrapped by [Read] errors while macOS may be asking
// the user to allow access to a Keychain item; [Evaluate] treats it as
// information, not as a broken store.
var ErrKeychainPending = errors.New("waiting for you to allow Keychain access")

type keychainResult struct {
	data []byte
	err  error
}

type keychainRead struct {
	done chan struct{}
	res  keychainResult
}

var (
	keychainMu    sync.Mutex
	keychainReads = map[[2]string]*keychainRead{} // (service, account) -> the read in flight or finished unclaimed
)

// readKeychain returns the secret of a generic-password item. The output is
// read into a bounded buffer and nothing of it is put into errors. Only
// one `security -w` per item runs at a time; when it takes longer than
// keychainWait (a prompt is open), the error wraps [ErrKeychainPending]
// and a later call collects the result.
func readKeychain(service, account string) ([]byte, error) {
	key := [2]string{service, account}
	keychainMu.Lock()
	r := keychainReads[key]
	if r == nil {
		r = &keychainRead{done: make(chan struct{})}
		keychainReads[key] = r
		go func() {
			data, err := readKeychainNow(service, account)
			r.res = keychainResult{data, err}
			close(r.done)
		}()
	}
	keychainMu.Unlock()

	t := time.NewTimer(keychainWait)
	defer t.Stop()
	select {
	case <-r.done:
	case <-t.C:
		return nil, fmt.Errorf("Keychain item %q: %w", service, ErrKeychainPending)
	}
	keychainMu.Lock()
	if keychainReads[key] == r {
		delete(keychainReads, key)
	}
	keychainMu.Unlock()
	return r.res.data, r.res.err
}

// readKeychainNow runs `security find-generic-password -w` to the end.
func readKeychainNow(service, account string) ([]byte, error) {
	out, code, err := runSecurity(service, account, true)
	if err != nil {
		return nil, fmt.Errorf("reading Keychain item %q: %w", service, err)
	}
	switch {
	case code == securityNotFound:
		return nil, fmt.Errorf("Keychain item %q: %w", service, ErrNotFound)
	case code != 0:
		return nil, fmt.Errorf("reading Keychain item %q: security exited with status %d", service, code)
	}
	data := bytes.TrimRight(out, "\r\n")
	// security -w prints the secret as hex when it is not plain text.
	if len(data) > 0 && data[0] != '{' && len(data)%2 == 0 {
		dec := make([]byte, len(data)/2)
		if _, err := hex.Decode(dec, data); err == nil && bytes.HasPrefix(bytes.TrimSpace(dec), []byte("{")) {
			clear(out)
			return dec, nil
		}
		clear(dec)
	}
	return data, nil
}

// keychainItemExists asks whether the item exists without reading its
// secret (no -w, so macOS does not prompt for access).
func keychainItemExists(service, account string) bool {
	out, code, err := runSecurity(service, account, false)
	clear(out)
	return err == nil && code == 0
}

func runSecurity(service, account string, secret bool) (out []byte, code int, err error) {
	if _, err := os.Stat(securityPath); err != nil {
		return nil, 0, err
	}
	args := []string{"find-generic-password", "-s", service}
	if account != "" {
		args = append(args, "-a", account)
	}
	if secret {
		args = append(args, "-w")
	}
	// Without -w nothing prompts: bound it. With -w a prompt may be open
	// while the user reads it: never kill it (see keychainWait).
	ctx := context.Background()
	if !secret {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, existsTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, securityPath, args...)
	var buf capBuffer
	buf.max = maxStoreSize
	cmd.Stdout = &buf
	cmd.Stderr = io.Discard
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ctx.Err() == nil {
		clear(buf.b)
		return nil, ee.ExitCode(), nil
	}
	if err != nil {
		clear(buf.b)
		return nil, 0, err
	}
	return buf.b, 0, nil
}

// capBuffer keeps at most max bytes and discards the rest.
type capBuffer struct {
	b   []byte
	max int
}

func (c *capBuffer) Write(p []byte) (int, error) {
	if room := c.max - len(c.b); room > 0 {
		c.b = append(c.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// perLogin lists the sources of a store that holds several logins (Azure
// CLI accounts, opencode providers) at base.Path: one per login that parse
// finds, made from base by each (which names it) and marked existing. A
// store that is missing (watched until it appears), unreadable, malformed
// (both reported through Read) or without a login gives base alone.
func perLogin[T any](base Source, parse func([]byte) ([]T, error), each func(Source, T) Source) []Source {
	data, err := readStore(base.Path)
	if err != nil {
		base.Exists = !errors.Is(err, ErrNotFound)
		return []Source{base}
	}
	defer clear(data)
	logins, err := parse(data)
	if err != nil || len(logins) == 0 {
		base.Exists = err != nil
		return []Source{base}
	}
	out := make([]Source, 0, len(logins))
	for _, l := range logins {
		s := each(base, l)
		s.Exists = true
		out = append(out, s)
	}
	return out
}
