// Package dirwatch follows the files of one directory with fsnotify.
// Programs replace files by renaming a new one over them, which ends a
// watch on the file itself, so the directory is watched and events are
// reported by file name.
package dirwatch

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch watches dir (created with mode 0700 when missing) and returns
// once the watch is in place. Until ctx ends, changed is then called from
// one goroutine, one call at a time, with the base name of each file that
// was created, written, replaced, removed or chmodded; with debounce > 0,
// once per name after the events have been quiet for debounce (an editor
// or an atomic write makes several). failed, when not nil, gets the
// watcher's errors. stop ends the watch and waits for the goroutine.
func Watch(ctx context.Context, dir string, debounce time.Duration, changed func(name string), failed func(error)) (stop func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.Close()
		pending := map[string]bool{}
		var settle <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				name := filepath.Base(ev.Name)
				if debounce <= 0 {
					changed(name)
					continue
				}
				pending[name] = true
				settle = time.After(debounce)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				if failed != nil {
					failed(err)
				}
			case <-settle:
				settle = nil
				for name := range pending {
					delete(pending, name)
					changed(name)
				}
			}
		}
	}()
	return func() { cancel(); <-done }, nil
}
