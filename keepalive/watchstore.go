package keepalive

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/tokentray/tokentray/keepalive/internal/dirwatch"
	"github.com/tokentray/tokentray/keepalive/store"
)

// watchStore follows the token directory so that a refresh or sign-in done
// by another process (another tokentray, `tokentray login` in a terminal)
// updates health at once. Files are replaced by rename, so the directory is
// watched, not the files.
func (e *Engine) watchStore(ctx context.Context) (func(), error) {
	dir := filepath.Dir(e.store.Path("x"))
	return dirwatch.Watch(ctx, dir, 0, func(base string) {
		name, ok := store.IsHealthFile(base)
		if !ok && filepath.Ext(base) == ".json" && !strings.HasPrefix(base, ".") {
			name, ok = strings.TrimSuffix(base, ".json"), true
		}
		if _, known := e.config(name); ok && known {
			e.reload(name)
		}
	}, func(err error) {
		e.log.Warn("watching the token directory", "err", err)
	})
}
