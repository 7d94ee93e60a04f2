package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/tokentray/tokentray/keepalive/atomicfile"
)

// Rescue directories hold new tokens that could not be written to the
// token directory (a full disk): "<base>/rescue/<hash of the store
// directory>/<account>.json". The bases are tried in order, each on what
// is usually another file system than the user's data: the runtime
// directory ($XDG_RUNTIME_DIR/tokentray, Linux and BSD), the user cache
// directory (.../tokentray) and the system temp directory
// (tokentray-<uid>, or tokentray on Windows). Load returns a rescued record that supersedes the
// token file; Update moves it back as soon as it can write.

// defaultRescueDirs returns the rescue directories of the store in dir.
func defaultRescueDirs(dir string) []string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	sum := sha256.Sum256([]byte(abs))
	key := hex.EncodeToString(sum[:8])
	var bases []string
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" && runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		bases = append(bases, filepath.Join(rt, "tokentray"))
	}
	if c, err := os.UserCacheDir(); err == nil {
		bases = append(bases, filepath.Join(c, "tokentray"))
	}
	tmp := "tokentray"
	if uid := os.Getuid(); uid >= 0 { // -1 on Windows, whose temp dir is per user
		tmp = fmt.Sprintf("tokentray-%d", uid)
	}
	bases = append(bases, filepath.Join(os.TempDir(), tmp))
	out := make([]string, len(bases))
	for i, b := range bases {
		out[i] = filepath.Join(b, "rescue", key)
	}
	return out
}

func (d *Dir) rescuePaths(account string) []string {
	var out []string
	for _, r := range d.rescueDirs {
		if trustedDir(r) {
			out = append(out, filepath.Join(r, account+".json"))
		}
	}
	return out
}

// rescue writes data to the first rescue directory that takes it and
// returns the file's path.
func (d *Dir) rescue(account string, data []byte) (string, error) {
	err := fmt.Errorf("no rescue directory")
	for _, r := range d.rescueDirs {
		if err = os.MkdirAll(r, DirMode); err != nil {
			continue
		}
		if !trustedDir(r) {
			err = fmt.Errorf("%s is not a private directory", r)
			continue
		}
		p := filepath.Join(r, account+".json")
		if err = atomicfile.WriteFile(p, data, FileMode); err == nil {
			return p, nil
		}
	}
	return "", err
}

// bestRescued returns the rescued record of account that supersedes cur,
// or nil.
func (d *Dir) bestRescued(account string, cur *Record) *Record {
	var best *Record
	for _, p := range d.rescuePaths(account) {
		r, err := load(p)
		if err != nil {
			continue
		}
		against := cur
		if best != nil {
			against = best
		}
		if supersedes(r, against) {
			best = r
		}
	}
	return best
}
