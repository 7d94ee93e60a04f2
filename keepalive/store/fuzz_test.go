package store

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzRecord feeds arbitrary token files to the parser. An error never
// quotes the file (it holds tokens); a parsed record encodes, and its
// encoding parses back to the same encoding. The seed corpus is in
// testdata/fuzz/FuzzRecord.
func FuzzRecord(f *testing.F) {
	f.Add([]byte(`{"version":1,"access_token":"SEKRET-at","refresh_token":"SEKRET-rt","expiry":"2026-01-02T03:04:05Z","x":{"y":[1,2]}}`))
	f.Add([]byte(`{"access_token": "SEKRET", oops}`))
	f.Add([]byte(`{"expiry": "SEKRET"}`))
	f.Add([]byte("{\"refresh_token\":\"SEKRET\"}" + strings.Repeat(" ", 64)))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Record
		if err := r.UnmarshalJSON(data); err != nil {
			if strings.Contains(err.Error(), "SEKRET") {
				t.Fatalf("error quotes the file: %v", err)
			}
			return
		}
		first, err := encode(&r)
		if err != nil {
			return // an unknown field holding a value json.Compact rejects
		}
		var again Record
		if err := again.UnmarshalJSON(first); err != nil {
			t.Fatalf("the encoding of a parsed record does not parse: %v\n%s", err, first)
		}
		second, err := encode(&again)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("encoding not stable (%v):\n%s\n%s", err, first, second)
		}
	})
}
