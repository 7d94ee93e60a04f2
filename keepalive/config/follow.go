package config

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// testHookFollowing, when set, is called once the watch is in place.
var testHookFollowing func()

// followDebounce lets an editor finish writing before the file is read.
const followDebounce = 200 * time.Millisecond

// Follow calls changed each time the file at path changes (created,
// written, replaced by rename, removed) until ctx ends. The directory is
// watched, so editors that replace the file are followed too; a change
// that leaves the content as it was is not reported.
func Follow(ctx context.Context, path string, changed func()) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	if err := w.Add(dir); err != nil {
		return err
	}
	last, _ := os.ReadFile(path)
	if testHookFollowing != nil {
		testHookFollowing()
	}
	clean := filepath.Clean(path)
	var settle <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if filepath.Clean(ev.Name) == clean {
				settle = time.After(followDebounce)
			}
		case _, ok := <-w.Errors:
			if !ok {
				return nil
			}
		case <-settle:
			settle = nil
			data, _ := os.ReadFile(path)
			if bytes.Equal(data, last) {
				continue
			}
			last = data
			changed()
		}
	}
}
