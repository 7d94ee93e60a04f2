package autostart

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The fixtures were written by Python's plistlib (FMT_BINARY), an
// independent writer of the format.
func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestBinaryPlistEnabled(t *testing.T) {
	for name, want := range map[string]bool{
		"agent-enabled.bplist":        true,
		"agent-disabled.bplist":       false,
		"agent-norunatload.bplist":    false,
		"agent-unicode-nested.bplist": true, // a nested RunAtLoad=false does not count
	} {
		got, err := plistEnabled(readFixture(t, name))
		if err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", name, got, err, want)
		}
	}
}

func TestParseBinaryPlistValues(t *testing.T) {
	top, err := parseBinaryPlist(readFixture(t, "agent-unicode-nested.bplist"))
	if err != nil {
		t.Fatal(err)
	}
	d := top.(map[string]any)
	want := map[string]any{
		"Label":            "ünïcode ключ",
		"ProgramArguments": []any{"/Applications/tokentray.app/Contents/MacOS/tokentray", "run"},
		"RunAtLoad":        true,
		"ProcessType":      "Interactive",
		"Nested":           map[string]any{"a": []any{int64(1), 2.5, []byte{0, 1}, map[string]any{"RunAtLoad": false}}},
		"Big":              int64(1 << 40),
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("decoded %#v\nwant %#v", d, want)
	}
}

// TestParseBinaryPlistMalformed: every truncation and a set of corrupted
// trailers are errors, never a panic or a hang.
func TestParseBinaryPlistMalformed(t *testing.T) {
	good := readFixture(t, "agent-enabled.bplist")
	for n := len("bplist00"); n < len(good); n++ {
		if _, err := plistEnabled(good[:n]); err == nil {
			t.Errorf("truncated to %d bytes: accepted", n)
		}
	}
	corrupt := func(f func(tr []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b[len(b)-32:])
		return b
	}
	cases := map[string][]byte{
		"offset size 0":         corrupt(func(tr []byte) { tr[6] = 0 }),
		"ref size 9":            corrupt(func(tr []byte) { tr[7] = 9 }),
		"top out of range":      corrupt(func(tr []byte) { binary.BigEndian.PutUint64(tr[16:], 1<<40) }),
		"huge object count":     corrupt(func(tr []byte) { binary.BigEndian.PutUint64(tr[8:], 1<<62) }),
		"table past the end":    corrupt(func(tr []byte) { binary.BigEndian.PutUint64(tr[24:], 1<<50) }),
		"not a dict at the top": corrupt(func(tr []byte) { binary.BigEndian.PutUint64(tr[16:], 1) }),
	}
	// A dict that contains itself.
	self := []byte("bplist00")
	self = append(self, 0xD1, 0x01, 0x00) // dict of one pair: key ref 1, value ref 0 (itself)
	self = append(self, 0x51, 'k')        // "k"
	table := len(self)
	self = append(self, 8, 11)
	tr := make([]byte, 32)
	tr[6], tr[7] = 1, 1
	binary.BigEndian.PutUint64(tr[8:], 2)
	binary.BigEndian.PutUint64(tr[24:], uint64(table))
	cases["cycle"] = append(self, tr...)
	for name, data := range cases {
		if _, err := plistEnabled(data); err == nil || !errors.Is(err, errBplist) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
