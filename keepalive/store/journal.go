package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
)

// The write path of Update ("journal, then rename"):
//
//  1. Before fn runs (before the refresh request is sent), the journal
//     ".<file>.journal" beside the token file is created and filled with
//     reserve bytes of JSON whitespace: the disk space for the new record
//     is taken while nothing has been rotated yet. When that fails (a full
//     disk), fn learns it from Record.Writable and sends nothing.
//  2. When fn returns a record, it is written over the start of the
//     journal in one write. From that moment the journal is a complete,
//     valid record (JSON ignores the trailing whitespace), so a process
//     killed at any later point loses nothing.
//  3. The journal is truncated to the record, synced, and renamed over the
//     token file; the directory is synced.
//
// The next Update of the account (under the lock, so no live writer owns
// the journal) adopts a complete journal left by a dead process when it is
// newer than the token file (see supersedes) and removes it otherwise.
// Temporary files of older tokentray versions, ".<file>.tmp-*", are
// treated the same way once they are old enough not to belong to a writer
// that is still running.

const (
	// minReserve is the least space reserved for a new record; a record
	// is a few KiB (an ID token is the largest part).
	minReserve = 16 << 10
	// saveRetryFor bounds the retries of a failed write of new tokens.
	saveRetryFor = 5 * time.Second
	// legacyTempAge is how old a ".<file>.tmp-*" must be before Update
	// treats it as abandoned.
	legacyTempAge = time.Minute
)

// reservePad is the content of a fresh journal: JSON whitespace.
var reservePad = bytes.Repeat([]byte{' '}, minReserve)

func journalPath(target string) string {
	dir, base := filepath.Split(target)
	return filepath.Join(dir, "."+base+".journal")
}

// journal is the reserved journal of one Update.
type journal struct {
	d    *Dir
	path string
	f    *os.File
}

// reserve creates the journal beside target and fills it with size bytes
// of whitespace. On failure nothing is left behind.
func (d *Dir) reserve(target string, size int) (*journal, error) {
	j := &journal{d: d, path: journalPath(target)}
	f, err := os.OpenFile(j.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, FileMode)
	if err != nil {
		return nil, err
	}
	pad := reservePad
	if size > len(pad) {
		pad = bytes.Repeat([]byte{' '}, size)
	}
	if _, err := d.writeAt(f, pad[:size], 0); err != nil {
		f.Close()
		os.Remove(j.path)
		return nil, err
	}
	j.f = f
	return j, nil
}

// commit writes data into the journal and renames it over target. It
// reports whether the journal held the complete record when it failed.
func (j *journal) commit(target string, data []byte) (complete bool, err error) {
	if j.f == nil {
		if j.f, err = os.OpenFile(j.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, FileMode); err != nil {
			return false, err
		}
	}
	if _, err := j.d.writeAt(j.f, data, 0); err != nil {
		return false, err
	}
	// Complete from here on: the rest of the file is whitespace.
	if err := j.f.Truncate(int64(len(data))); err != nil {
		return true, err
	}
	if err := j.f.Sync(); err != nil {
		return true, err
	}
	err = j.f.Close()
	j.f = nil
	if err != nil {
		return true, err
	}
	if err := j.d.rename(j.path, target); err != nil {
		return true, err
	}
	return false, atomicfile.SyncDir(filepath.Dir(target))
}

// discard closes the journal and removes it, when it was not committed.
func (j *journal) discard() {
	if j == nil {
		return
	}
	if j.f != nil {
		j.f.Close()
		j.f = nil
	}
	_ = os.Remove(j.path)
}

// save stores data (the encoded new record) at target through the
// journal j (nil when no space could be reserved). A failed write is
// retried for up to saveRetryFor; after that the record stays in the
// journal when it got there complete, or goes to a rescue directory. The
// error then says where it is.
func (d *Dir) save(account, target string, j *journal, data []byte) error {
	if j == nil {
		j = &journal{d: d, path: journalPath(target)}
	}
	deadline := d.now().Add(d.retryFor)
	delay := 50 * time.Millisecond
	for {
		complete, err := j.commit(target, data)
		if err == nil {
			return nil
		}
		if d.now().Add(delay).After(deadline) {
			if complete {
				return &SaveError{Account: account, KeptIn: j.path, Err: err}
			}
			j.discard()
			if p, rerr := d.rescue(account, data); rerr == nil {
				return &SaveError{Account: account, KeptIn: p, Err: err}
			}
			return &SaveError{Account: account, Err: err}
		}
		d.sleep(delay)
		delay = min(2*delay, time.Second)
	}
}

// SaveError reports new tokens that could not be written to the token
// file. When KeptIn is set they are safe there, and the next Load or
// Update of the account finds them; otherwise they are lost.
type SaveError struct {
	Account string
	KeptIn  string
	Err     error
}

func (e *SaveError) Error() string {
	if e.KeptIn != "" {
		return fmt.Sprintf("cannot save the new tokens of %q (%v); they were kept in %s and are moved back by the next refresh or sign-in once the disk can be written",
			e.Account, errText(e.Err), e.KeptIn)
	}
	return fmt.Sprintf("cannot save the new tokens of %q anywhere (%v); the login may be lost", e.Account, errText(e.Err))
}

func (e *SaveError) Unwrap() error { return e.Err }

// ReserveError reports that the space for the next version of a token file
// could not be reserved: a refresh now could rotate the refresh token
// without a place to store the new one.
type ReserveError struct {
	Dir string
	Err error
}

func (e *ReserveError) Error() string {
	return fmt.Sprintf("cannot reserve space in %s for new tokens (%v); not refreshing, the stored login is kept", e.Dir, errText(e.Err))
}

func (e *ReserveError) Unwrap() error { return e.Err }

// errText is the system's description of err without the paths and
// operations of *fs.PathError (the caller names the place).
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

// supersedes reports whether a record found in a journal, a leftover temp
// file or a rescue directory should replace cur: it holds tokens, and cur
// is absent or older and holds another refresh token (the one the server
// has since rotated).
func supersedes(r, cur *Record) bool {
	if r.AccessToken.IsZero() && r.RefreshToken.IsZero() {
		return false
	}
	return cur == nil || (r.ObtainedAt.After(cur.ObtainedAt) && r.RefreshToken != cur.RefreshToken)
}

// recoverLeftovers, called under the lock, adopts the newest complete
// record left by a writer that did not finish (a dead process's journal,
// an older version's temp file, a rescue copy) when it supersedes cur, and
// removes the leftovers that are incomplete or older. It returns the
// record now current. When the adoption cannot be written, the leftover is
// kept and its record returned, so the caller refreshes from the newest
// refresh token; if that leftover is the journal, pending says why it
// could not be renamed, and the journal must not be reused.
func (d *Dir) recoverLeftovers(account, target string, cur *Record) (rec *Record, pending error, err error) {
	type leftover struct {
		path string
		rec  *Record
	}
	var found []leftover
	paths := []string{journalPath(target)}
	dir, base := filepath.Split(target)
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), "."+base+".tmp-") {
				continue
			}
			if fi, err := e.Info(); err == nil && d.now().Sub(fi.ModTime()) > legacyTempAge {
				paths = append(paths, filepath.Join(dir, e.Name()))
			}
		}
	}
	paths = append(paths, d.rescuePaths(account)...)
	for _, p := range paths {
		rec, err := load(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			_ = os.Remove(p) // incomplete: a writer died before its record was whole
			continue
		}
		found = append(found, leftover{p, rec})
	}
	if len(found) == 0 {
		return cur, nil, nil
	}
	best := -1
	for i, l := range found {
		against := cur
		if best >= 0 {
			against = found[best].rec
		}
		if supersedes(l.rec, against) {
			best = i
		}
	}
	if best >= 0 {
		l := found[best]
		data, err := encode(l.rec)
		if err != nil {
			return nil, nil, err
		}
		j := &journal{d: d, path: journalPath(target)}
		inJournal := l.path == j.path
		if inJournal {
			// Rewrite in place: the same bytes, then the truncation.
			if j.f, err = os.OpenFile(j.path, os.O_RDWR, 0); err != nil {
				return l.rec, err, nil
			}
		}
		if _, err := j.commit(target, data); err != nil {
			// The leftover stays; it is adopted next time.
			if j.f != nil {
				j.f.Close()
			}
			if inJournal {
				return l.rec, err, nil
			}
			_ = os.Remove(j.path)
			return l.rec, nil, nil
		}
		cur = l.rec
	}
	for i, l := range found {
		if i != best || l.path != journalPath(target) {
			_ = os.Remove(l.path)
		}
	}
	return cur, nil, nil
}

// removeLeftovers removes account's journal, temp files and rescued copies.
func (d *Dir) removeLeftovers(account, target string) {
	_ = os.Remove(journalPath(target))
	dir, base := filepath.Split(target)
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "."+base+".tmp-") {
				_ = os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	for _, p := range d.rescuePaths(account) {
		_ = os.Remove(p)
	}
}
