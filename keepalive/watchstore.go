package keepalive

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/fsnotify/fsnotify"

	"github.com/tokentray/tokentray/keepalive/store"
)

// watchStore follows the token directory so that a refresh or sign-in done
// by another process (another tokentray, `tokentray login` in a terminal)
// updates health at once. Files are replaced by rename, so the directory is
// watched, not the files.
func (e *Engine) watchStore(ctx context.Context) (func(), error) {
	dir := filepath.Dir(e.store.Path("x"))
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
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				base := filepath.Base(ev.Name)
				name, ok := store.IsHealthFile(base)
				if !ok && filepath.Ext(base) == ".json" && !strings.HasPrefix(base, ".") {
					name, ok = strings.TrimSuffix(base, ".json"), true
				}
				if _, known := e.config(name); ok && known {
					e.reload(name)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				e.log.Warn("keepalive: watching the token directory", "err", err)
			}
		}
	}()
	return func() { w.Close(); <-done }, nil
}
