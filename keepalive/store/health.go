package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"github.com/tokentray/tokentray/oauthflow"
)

// Health is what tokentray remembers about an account's login beside its
// token file, in "<dir>/.<account>.health.json", so that every process
// (status, token, the tray, a later run) agrees on it: a refresh token the
// server rejected, the failure count of an episode, or a deliberate sign-out.
//
// Health names the login it is about by a fingerprint of its refresh
// token (never the token itself): once the token file holds another login
// (a sign-in, a rotation by another process) the health no longer
// applies, so a new login clears it even if nobody removes the file.
type Health struct {
	// Login is Fingerprint of the refresh token the health is about; empty
	// for a sign-out.
	Login string `json:"login,omitempty"`
	// Rejected says why the server rejected the refresh token (a terminal
	// error): the login needs a new sign-in.
	Rejected string `json:"rejected,omitempty"`
	// Failures counts the consecutive failed refreshes of the episode.
	Failures int `json:"failures,omitempty"`
	// LastError is the last failure (never a token).
	LastError string `json:"last_error,omitempty"`
	// SignedOut: the user signed out on purpose (the token file is gone).
	SignedOut bool `json:"signed_out,omitempty"`
	// At is when the health was recorded.
	At time.Time `json:"at,omitzero"`
}

// IsZero reports whether h records nothing.
func (h Health) IsZero() bool { return h == Health{} }

// About reports whether h is about the login holding refresh token rt.
func (h Health) About(rt oauthflow.Secret) bool {
	return h.Login != "" && !rt.IsZero() && h.Login == Fingerprint(rt)
}

// Fingerprint identifies a refresh token without revealing it: the first
// 16 bytes of its SHA-256, in hex.
func Fingerprint(rt oauthflow.Secret) string {
	sum := sha256.Sum256([]byte(rt.Reveal()))
	return hex.EncodeToString(sum[:16])
}

func (d *Dir) healthPath(account string) string {
	return filepath.Join(d.dir, "."+account+".health.json")
}

// IsHealthFile reports the account whose health file has base name base
// (".work.health.json" -> "work").
func IsHealthFile(base string) (account string, ok bool) {
	const prefix, suffix = ".", ".health.json"
	if len(base) <= len(prefix)+len(suffix) || base[0] != '.' || base[len(base)-len(suffix):] != suffix {
		return "", false
	}
	return base[1 : len(base)-len(suffix)], true
}

// LoadHealth reads account's remembered health; an absent file is the zero
// Health. A file that cannot be decoded is ignored (zero Health): it is
// only a memory, and the next failure rewrites it.
func (d *Dir) LoadHealth(account string) (Health, error) {
	if err := ValidName(account); err != nil {
		return Health{}, err
	}
	path := d.healthPath(account)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Health{}, nil
	}
	if err != nil {
		return Health{}, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxFileSize {
		return Health{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Health{}, err
	}
	var h Health
	if json.Unmarshal(data, &h) != nil {
		return Health{}, nil
	}
	return h, nil
}

// SaveHealth records account's health; the zero Health removes the file.
func (d *Dir) SaveHealth(account string, h Health) error {
	if err := ValidName(account); err != nil {
		return err
	}
	path := d.healthPath(account)
	if h.IsZero() {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(d.dir, DirMode); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	h.At = h.At.UTC()
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(data, '\n'), FileMode)
}
