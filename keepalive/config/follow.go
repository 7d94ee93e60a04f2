package config

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"time"

	"github.com/tokentray/tokentray/keepalive/internal/dirwatch"
)

// testHookFollowing, when set, is called once the watch is in place.
var testHookFollowing func()

// followDebounce lets an editor finish writing before the file is read.
const followDebounce = 200 * time.Millisecond

// Follow calls changed each time the file at path changes (created,
// written, replaced by rename, removed) until ctx ends. The directory is
// watched, so editors that replace the file are followed too; a change
// that leaves the content as it was is not reported. loaded is the
// content the caller is running with (Config.Source): when the file
// already differs from it once the watch is in place (it changed while
// the caller started), changed is called at once.
func Follow(ctx context.Context, path string, loaded []byte, changed func()) error {
	base := filepath.Base(path)
	touched := make(chan struct{}, 1)
	stop, err := dirwatch.Watch(ctx, filepath.Dir(path), followDebounce, func(name string) {
		if name == base {
			select {
			case touched <- struct{}{}:
			default:
			}
		}
	}, nil)
	if err != nil {
		return err
	}
	defer stop()
	// Only a digest of the content is kept: an idle instance does not
	// hold a second copy of the file.
	last := sha256.Sum256(loaded)
	data, _ := os.ReadFile(path)
	if sum := sha256.Sum256(data); sum != last {
		last = sum
		changed()
	}
	if testHookFollowing != nil {
		testHookFollowing()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-touched:
			data, _ := os.ReadFile(path)
			sum := sha256.Sum256(data)
			if sum == last {
				continue
			}
			last = sum
			changed()
		}
	}
}
