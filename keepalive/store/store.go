// Package store is tokentray's token store for the accounts it owns (the
// accounts it is the OAuth client for): one JSON file per account in one
// directory.
//
// Refresh tokens rotate (RFC 6749 §6, RFC 9700 §4.14.2), so two refreshers
// working from the same stale copy log the user out. Every change therefore
// goes through Dir.Update, which serialises updaters of an account inside
// the process and across processes and hands the updater the file as it is
// on disk after the lock was taken:
//
//	lock -> read -> decide -> refresh -> write -> unlock
//
// Files are written journal-then-rename (see journal.go) with mode 0600 in
// a directory with mode 0700; looser modes are tightened when Update writes
// and reported by Load meanwhile (Record.ModeWarning). The cross-process
// lock is a separate file, "<dir>/.<account>.lock", that is never renamed;
// only Forget removes it, while holding it, and a lock counts only on the
// file in place. New tokens that cannot be written where they belong (a full
// disk) are kept in a journal or a rescue directory, and the next Load or
// Update finds them: once the server has rotated a refresh token, the new
// one is never only in the memory of a process that may exit.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/keepalive/internal/storefault"
)

func init() {
	storefault.SetWriteAt = func(d any, w storefault.WriteAt) {
		if w == nil {
			w = (*os.File).WriteAt
		}
		d.(*Dir).writeAt = w
	}
}

const (
	// FileMode is the mode of new token files.
	FileMode fs.FileMode = 0o600
	// DirMode is the mode of a store directory created by the store.
	DirMode fs.FileMode = 0o700

	// maxFileSize bounds what Load reads; a token file is a few KiB.
	maxFileSize = 1 << 20
	// lockRetry is how often a waiting Update retries the file lock.
	lockRetry = 10 * time.Millisecond
	// maxNameLen is the longest valid account name.
	maxNameLen = 64
)

// Dir is a token store directory. The zero value is not usable; call Open.
// A Dir is safe for concurrent use, and several Dirs (in one process or in
// many) on the same directory coordinate through the lock files.
type Dir struct {
	dir        string
	rescueDirs []string
	retryFor   time.Duration

	// Seams for tests.
	now     func() time.Time
	sleep   func(time.Duration)
	writeAt func(f *os.File, b []byte, off int64) (int, error)
	rename  func(from, to string) error
}

// Open returns the store in directory dir. Nothing is touched on disk: the
// directory is created (mode 0700) by the first Update.
func Open(dir string) *Dir {
	return &Dir{
		dir:        filepath.Clean(dir),
		rescueDirs: defaultRescueDirs(dir),
		retryFor:   saveRetryFor,
		now:        time.Now,
		sleep:      time.Sleep,
		writeAt:    (*os.File).WriteAt,
		rename:     atomicfile.Rename,
	}
}

// Path returns the token file of account: "<dir>/<account>.json". It does
// not check the name; Load, Update and Delete do (see ValidName).
func (d *Dir) Path(account string) string {
	return filepath.Join(d.dir, account+".json")
}

func (d *Dir) lockPath(account string) string {
	return filepath.Join(d.dir, "."+account+".lock")
}

// ValidName reports whether account can name a token file: 1 to 64 ASCII
// letters, digits, '.', '_' or '-', not starting with '.' (so it cannot be a
// lock or temp file or escape the directory), and not a device name that
// Windows reserves (CON, NUL, COM1, ...).
func ValidName(account string) error {
	if account == "" || len(account) > maxNameLen {
		return fmt.Errorf("invalid account name %q: want 1 to %d characters", account, maxNameLen)
	}
	if account[0] == '.' {
		return fmt.Errorf("invalid account name %q: must not start with '.'", account)
	}
	for _, c := range []byte(account) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return fmt.Errorf("invalid account name %q: only letters, digits, '.', '_' and '-' are allowed", account)
		}
	}
	base, _, _ := strings.Cut(account, ".")
	if isWindowsDevice(base) {
		return fmt.Errorf("invalid account name %q: reserved on Windows", account)
	}
	return nil
}

func isWindowsDevice(base string) bool {
	switch strings.ToUpper(base) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}

// tokenFile names a token file in a *atomicfile.MalformedError.
const tokenFile = "token file"

// Load reads the record of account without taking the lock; it sees either
// the previous or the next version of a file being rewritten, never a mix.
// Use Update to change a record. New tokens that a full disk kept out of the
// token file (in a rescue directory) are returned when they supersede it.
// Load never blocks on a FIFO or device in place of the file.
//
// An absent file gives an error satisfying errors.Is(err, fs.ErrNotExist);
// an unusable one gives a *atomicfile.MalformedError.
func (d *Dir) Load(account string) (*Record, error) {
	if err := ValidName(account); err != nil {
		return nil, err
	}
	rec, err := load(d.Path(account))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if r := d.bestRescued(account, rec); r != nil {
		return r, nil
	}
	return rec, err
}

func load(path string) (*Record, error) {
	f, err := atomicfile.Open(path)
	if errors.Is(err, atomicfile.ErrNotRegular) {
		return nil, &atomicfile.MalformedError{What: tokenFile, Path: path, Err: errors.New("not a regular file")}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	switch {
	case len(data) == 0:
		return nil, &atomicfile.MalformedError{What: tokenFile, Path: path, Err: errors.New("empty file")}
	case len(data) > maxFileSize:
		return nil, &atomicfile.MalformedError{What: tokenFile, Path: path, Err: fmt.Errorf("larger than %d bytes", maxFileSize)}
	}
	r := new(Record)
	if err := r.UnmarshalJSON(data); err != nil {
		return nil, &atomicfile.MalformedError{What: tokenFile, Path: path, Err: err}
	}
	r.ModeWarning = modeWarning(path, fi.Mode())
	return r, nil
}

// Update is the safe read-modify-write of account's record.
//
// It takes the account's lock (waiting until ctx is done), re-reads the
// file and calls fn with the current record, nil when there is none. The
// lock is held while fn runs, so fn may perform the network refresh and
// decide from the fresh record whether one is still needed. A non-nil
// record returned by fn is written atomically; nil writes nothing. Update
// returns the record now stored: fn's result, or the current record when fn
// returned nil.
//
// An error from fn is returned as is and nothing is written. If the file
// is malformed, Update returns the *atomicfile.MalformedError without calling fn and
// leaves the file alone. fn must not call Update or Delete for the same
// account (it would wait for itself) and must not wait for a user (a
// browser sign-in): the lock blocks every other refresher meanwhile.
func (d *Dir) Update(ctx context.Context, account string, fn func(cur *Record) (*Record, error)) (*Record, error) {
	if err := ValidName(account); err != nil {
		return nil, err
	}
	unlock, err := d.lock(ctx, account)
	if err != nil {
		return nil, err
	}
	defer unlock()

	target, err := atomicfile.Resolve(d.Path(account))
	if err != nil {
		return nil, err
	}
	cur, err := load(target)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err // malformed: the file and any leftovers stay as they are
	}
	cur, pending, err := d.recoverLeftovers(account, target, cur)
	if err != nil {
		return nil, err
	}
	// Reserve the space for the new record before fn can send a request
	// that rotates the refresh token. Encoding cur sizes the reservation
	// and warms the encoder, which shortens the moment between the
	// server's answer and the journal write.
	size := minReserve
	if cur != nil {
		if b, err := encode(cur); err == nil {
			size = max(size, 2*len(b))
		}
	}
	var j *journal
	rerr := pending // a journal that could not be renamed holds cur: keep it
	if rerr == nil {
		j, rerr = d.reserve(target, size)
		defer j.discard()
	}
	if cur != nil && rerr != nil {
		cur.unwritable = &ReserveError{Dir: filepath.Dir(target), Err: rerr}
	}
	next, err := fn(cur)
	if err != nil {
		return nil, err
	}
	if next == nil {
		return cur, nil
	}
	data, err := encode(next)
	if err != nil {
		return nil, err
	}
	if err := d.save(account, target, j, data); err != nil {
		return nil, err
	}
	next.ModeWarning, next.unwritable = "", nil
	return next, nil
}

// encode renders r as the token file's content: indented for a person who
// opens it, ending in a newline.
func encode(r *Record) ([]byte, error) {
	data, err := r.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var file bytes.Buffer
	if err := json.Indent(&file, data, "", "  "); err != nil {
		return nil, err
	}
	file.WriteByte('\n')
	return file.Bytes(), nil
}

// Delete removes account's token file under the account's lock (logout).
// A symlinked file has its target removed and the link kept, like
// Update writes through it. Leftover journals and rescued copies of the
// account are removed too. Deleting an absent account is not an
// error. The lock file and the remembered health stay (see Forget).
func (d *Dir) Delete(ctx context.Context, account string) error {
	if err := ValidName(account); err != nil {
		return err
	}
	unlock, err := d.lock(ctx, account)
	if err != nil {
		return err
	}
	defer unlock()
	return d.deleteLocked(account)
}

// Forget removes all the store keeps of account (the account is removed
// from the configuration): what Delete removes, the remembered health and
// the lock file. The lock file is removed while it is held, so a process
// that opened it before and gets the lock afterwards sees that it locks a
// file no longer in place and takes the new one (lock checks this).
// Windows cannot remove a file that is open: there the lock file goes
// after it is released, unless another process has it open by then.
func (d *Dir) Forget(ctx context.Context, account string) error {
	if err := ValidName(account); err != nil {
		return err
	}
	unlock, err := d.lock(ctx, account)
	if err != nil {
		return err
	}
	err = d.deleteLocked(account)
	if herr := d.SaveHealth(account, Health{}); err == nil {
		err = herr
	}
	lockPath := d.lockPath(account)
	removed := os.Remove(lockPath) == nil
	unlock()
	if !removed && runtime.GOOS == "windows" {
		_ = os.Remove(lockPath) // fails while another process has it open: it stays
	}
	return err
}

func (d *Dir) deleteLocked(account string) error {
	target, err := atomicfile.Resolve(d.Path(account))
	if err != nil {
		return err
	}
	// Leftovers and rescued copies would bring the login back.
	d.removeLeftovers(account, target)
	fi, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &atomicfile.MalformedError{What: tokenFile, Path: target, Err: errors.New("not a regular file")}
	}
	if err := os.Remove(target); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(target))
}

// gates serialises updaters inside the process, one buffered channel (a
// mutex that a context can abandon) per lock file path, so goroutines queue
// here without polling and only one per process contends for the file lock.
var gates sync.Map // absolute lock path -> chan struct{}

// lock takes account's in-process gate and then its lock file, creating
// the store directory if needed. The returned func releases both.
func (d *Dir) lock(ctx context.Context, account string) (unlock func(), err error) {
	if err := os.MkdirAll(d.dir, DirMode); err != nil {
		return nil, fmt.Errorf("create directory: %w", err)
	}
	if err := tightenDir(d.dir); err != nil {
		return nil, fmt.Errorf("token directory: %w", err)
	}
	path, err := filepath.Abs(d.lockPath(account))
	if err != nil {
		return nil, err
	}
	g, _ := gates.LoadOrStore(path, make(chan struct{}, 1))
	gate := g.(chan struct{})
	select {
	case gate <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for lock of %q: %w", account, ctx.Err())
	}

	for range maxLockFiles {
		fl := flock.New(path, flock.SetPermissions(FileMode))
		ok, err := fl.TryLockContext(ctx, lockRetry)
		if !ok || err != nil {
			<-gate
			if err == nil {
				err = errors.New("lock not acquired")
			}
			return nil, fmt.Errorf("waiting for lock of %q: %w", account, err)
		}
		if testHookLocked != nil {
			testHookLocked()
		}
		// Forget removes lock files: a lock on a file that is no longer
		// at path (opened before it was removed) excludes nobody, so
		// take the one in place instead.
		same, err := lockedInPlace(fl, path)
		if err == nil && same {
			return func() {
				_ = fl.Unlock() // also closes the descriptor
				<-gate
			}, nil
		}
		_ = fl.Unlock()
		if err != nil {
			<-gate
			return nil, fmt.Errorf("lock of %q: %w", account, err)
		}
	}
	<-gate
	return nil, fmt.Errorf("lock of %q: the lock file keeps being replaced", account)
}

// testHookLocked, when set, is called each time lock has locked a file,
// before it checks the file is still in place.
var testHookLocked func()

// maxLockFiles bounds how many replaced lock files lock tries in a row.
const maxLockFiles = 100

// lockedInPlace reports whether the locked file fl is the one at path.
func lockedInPlace(fl *flock.Flock, path string) (bool, error) {
	held, err := fl.Stat()
	if err != nil {
		return false, err
	}
	cur, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(held, cur), nil
}
