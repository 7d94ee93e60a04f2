package watched

import (
	"errors"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
	"strings"
	"testing"
)

// The fuzz targets check that no input makes a parser panic, that every
// failure is a *atomicfile.MalformedError with a zero Meta, and that no error text
// contains a token-like piece of the input. Seed corpora live in
// testdata/fuzz/<FuzzName>/.

func checkParse(t *testing.T, data []byte, m Meta, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var me *atomicfile.MalformedError
	if !errors.As(err, &me) {
		t.Fatalf("error %T is not a *atomicfile.MalformedError", err)
	}
	if m != (Meta{}) {
		t.Fatalf("non-zero Meta with an error: %+v", m)
	}
	assertNoLeak(t, "error", err.Error(), data)
}

func FuzzParseClaude(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseClaude(data)
		checkParse(t, data, m, err)
	})
}

func FuzzParseCodex(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseCodex(data)
		checkParse(t, data, m, err)
	})
}

func FuzzParseGemini(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseGemini(data)
		checkParse(t, data, m, err)
	})
}

func FuzzParseOpencode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseOpencode(data)
		checkParse(t, data, Meta{}, err)
		if err != nil && entries != nil {
			t.Fatal("entries with a document error")
		}
		for i, e := range entries {
			if i > 0 && entries[i-1].Provider >= e.Provider {
				t.Fatal("entries not sorted by provider")
			}
			checkParse(t, data, e.Meta, e.Err)
		}
	})
}

func FuzzParseAWSSSOToken(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseAWSSSOToken(data)
		checkParse(t, data, m, err)
		assertNoLeak(t, "meta", fmt.Sprintf("%+v", Meta{Mode: m.Mode, Method: m.Method, Email: m.Email, Plan: m.Plan}), data)
	})
}

// FuzzParseAWSConfig checks that no config makes the parser panic and that
// every login it reports is usable: a start URL, and a session or profile
// name without line breaks.
func FuzzParseAWSConfig(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range ParseAWSConfig(data) {
			if l.StartURL == "" || l.Session == "" && l.Profile == "" || strings.ContainsAny(l.Session+l.Profile, "\r\n") {
				t.Fatalf("unusable login %+v", l)
			}
			if len(l.CacheKey()) != 40 {
				t.Fatalf("cache key %q", l.CacheKey())
			}
		}
	})
}

func FuzzParseAzureMSAL(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		accts, err := ParseAzureMSAL(data)
		checkParse(t, data, Meta{}, err)
		if err != nil && accts != nil {
			t.Fatal("accounts with a document error")
		}
		for _, a := range accts {
			if a.HomeAccountID == "" || a.Meta.Email != a.Username {
				t.Fatalf("account %+v", a)
			}
		}
	})
}

func FuzzParseGCloudADC(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseGCloudADC(data)
		checkParse(t, data, m, err)
	})
}
