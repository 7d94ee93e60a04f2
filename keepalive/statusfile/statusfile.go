// Package statusfile is the protocol between the running instance and
// `tokentray status` in a terminal: the instance keeps its latest snapshot
// in status.json (compact JSON, mode 0600, written atomically only when it
// changed and at most about once a second), and status overlays it on
// what the token files say, because only the instance knows retries and
// last errors.
package statusfile

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"log/slog"
	"os"
	"time"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
)

// MinInterval is the shortest gap between two writes of the file.
const MinInterval = time.Second

// testHookWritten, when set, is called after each write with the data.
var testHookWritten func([]byte)

// Publish keeps path current with the snapshots of sub until ctx ends,
// then removes the file. Every change of an account's health is logged.
func Publish(ctx context.Context, sub func() (<-chan keepalive.Snapshot, func()), path string, log *slog.Logger) {
	snaps, cancel := sub()
	defer cancel()
	defer os.Remove(path)
	prev := map[string]keepalive.State{}
	// Only a digest of what was written is kept (with 1,000 accounts the
	// file is some 200 KB).
	var written [sha256.Size]byte
	var pending []byte
	var last time.Time
	var wait <-chan time.Time
	write := func() {
		if pending == nil || sha256.Sum256(pending) == written {
			pending = nil
			return
		}
		if err := atomicfile.WriteFile(path, pending, 0o600); err != nil {
			log.Warn("cannot write status file", "err", err)
		} else {
			written = sha256.Sum256(pending)
			if testHookWritten != nil {
				testHookWritten(pending)
			}
		}
		pending, last = nil, time.Now()
	}
	for {
		select {
		case <-ctx.Done():
			write()
			return
		case <-wait:
			wait = nil
			write()
		case s := <-snaps:
			for _, a := range s.Accounts {
				if old, ok := prev[a.Name]; !ok || old != a.State {
					log.Info("health", "account", a.Name, "state", a.State.String(), "reason", a.Reason)
				}
				prev[a.Name] = a.State
			}
			// The instant of the snapshot alone is no change.
			s.At = time.Time{}
			data, err := json.Marshal(s)
			if err != nil {
				log.Warn("cannot encode status", "err", err)
				continue
			}
			pending = append(data, '\n')
			if wait == nil {
				if d := MinInterval - time.Since(last); d > 0 {
					wait = time.After(d)
				} else {
					write()
				}
			}
		}
	}
}

// Overlay replaces the file-derived status of each account in snap with
// the running instance's view read from path, when it has one.
func Overlay(snap keepalive.Snapshot, path string) keepalive.Snapshot {
	data, err := atomicfile.ReadFile(path, 16<<20)
	if err != nil {
		return snap
	}
	var running keepalive.Snapshot
	if json.Unmarshal(data, &running) != nil {
		return snap
	}
	out := snap
	out.Accounts = make([]keepalive.Account, len(snap.Accounts))
	for i, a := range snap.Accounts {
		if r, ok := running.Find(a.Name); ok && r.Kind == a.Kind {
			a = r
		}
		out.Accounts[i] = a
	}
	return out
}
