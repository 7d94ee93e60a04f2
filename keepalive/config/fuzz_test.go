package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokentray/tokentray/keepalive/store"
)

// FuzzParse feeds arbitrary text to the config parser: it returns a config
// or an *Error naming the file, never panics, and what it accepts holds
// only valid account names, none two differing only in case. The seed
// corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("[account.work]\nclient_id = \"a\"\nissuer = \"https://x.example\"\n[account.WORK]\nclient_id = \"b\"\nissuer = \"https://y.example\"\n"))
	f.Add([]byte("[account.w]\nclient_id = 5\n"))
	f.Add([]byte("[watch.claude-code]\nwarn_before = \"72h\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("c.toml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), "c.toml") {
				t.Fatalf("error %v (%T): want an *Error naming the file", err, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, a := range c.Accounts {
			if err := store.ValidName(a.Name); err != nil {
				t.Fatalf("accepted account name: %v", err)
			}
			if seen[strings.ToLower(a.Name)] {
				t.Fatalf("accepted two accounts named %q apart from case", a.Name)
			}
			seen[strings.ToLower(a.Name)] = true
		}
	})
}
