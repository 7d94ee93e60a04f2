package store

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tokentray/tokentray/oauthflow"
)

// The expiry's source is stored with the record and follows every refresh:
// status reads it from there.
func TestRecordExpirySource(t *testing.T) {
	tok := fullToken()
	tok.ExpirySource = oauthflow.ExpiryFromJWT
	data, err := json.Marshal(NewRecord(tok))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"expiry_source":"jwt"`) {
		t.Errorf("written %s", data)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if r.ExpirySource != oauthflow.ExpiryFromJWT || r.Token().ExpirySource != oauthflow.ExpiryFromJWT {
		t.Errorf("read back %q", r.ExpirySource)
	}
	r.Apply(&oauthflow.Token{AccessToken: "at-2", ExpirySource: oauthflow.ExpiryUnknown})
	if r.ExpirySource != oauthflow.ExpiryUnknown {
		t.Errorf("after Apply %q", r.ExpirySource)
	}
}
