package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
)

var (
	t0 = time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)
	t1 = t0.Add(time.Hour)
	t2 = t0.Add(30 * 24 * time.Hour)
)

func fullToken() *oauthflow.Token {
	return &oauthflow.Token{
		AccessToken:   "at-1",
		RefreshToken:  "rt-1",
		IDToken:       "id-1",
		TokenType:     "Bearer",
		Scope:         "openid offline_access",
		Expiry:        t1,
		RefreshExpiry: t2,
		ObtainedAt:    t0,
	}
}

func TestRecordJSONFieldNames(t *testing.T) {
	tok := fullToken()
	tok.Expiry = tok.Expiry.In(time.FixedZone("X", 2*3600)) // written as UTC
	data, err := NewRecord(tok).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"access_token":"at-1","refresh_token":"rt-1","id_token":"id-1",` +
		`"token_type":"Bearer","scope":"openid offline_access",` +
		`"expiry":"2026-03-01T11:00:00.123456789Z","refresh_expiry":"2026-03-31T10:00:00.123456789Z",` +
		`"obtained_at":"2026-03-01T10:00:00.123456789Z"}`
	if string(data) != want {
		t.Errorf("got  %s\nwant %s", data, want)
	}

	// Zero values are omitted.
	data, err = NewRecord(&oauthflow.Token{AccessToken: "a"}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"version":1,"access_token":"a"}`; string(data) != want {
		t.Errorf("got %s, want %s", data, want)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	in := NewRecord(fullToken())
	data, err := json.Marshal(in) // through the json.Marshaler interface
	if err != nil {
		t.Fatal(err)
	}
	var out Record
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if out.Version != SchemaVersion {
		t.Errorf("Version = %d", out.Version)
	}
	if got, want := *out.Token(), *in.Token(); !tokensEqual(got, want) {
		t.Errorf("round trip: got %+v, want %+v", got, want)
	}
	if out.AccessToken.Reveal() != "at-1" || out.RefreshToken.Reveal() != "rt-1" || out.IDToken.Reveal() != "id-1" {
		t.Error("token values lost in round trip")
	}
}

func tokensEqual(a, b oauthflow.Token) bool {
	return a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken &&
		a.IDToken == b.IDToken && a.TokenType == b.TokenType && a.Scope == b.Scope &&
		a.Expiry.Equal(b.Expiry) && a.RefreshExpiry.Equal(b.RefreshExpiry) &&
		a.ObtainedAt.Equal(b.ObtainedAt)
}

func TestRecordUnknownFieldsRoundTrip(t *testing.T) {
	in := `{"zeta":[1,{"b":2}],"access_token":"a","alpha":"x","version":7,"expiry":null,"scope":""}`
	var r Record
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if r.Version != 7 || !r.Expiry.IsZero() || r.Scope != "" {
		t.Errorf("decoded %+v", r)
	}
	out, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	// A newer version number is kept; unknown fields follow, sorted.
	want := `{"version":7,"access_token":"a","alpha":"x","zeta":[1,{"b":2}]}`
	if string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
}

func TestRecordUnmarshalErrorsDoNotQuoteData(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"access_token": SEKRET}`, "invalid JSON at byte offset"},
		{`{"access_token": "SEKRET"`, "invalid JSON"},
		{`{"access_token": "SEKRET"} SEKRET`, "invalid JSON"},
		{`["SEKRET"]`, "not a JSON object"},
		{`"SEKRET"`, "not a JSON object"},
		{`null`, "not a JSON object"},
		{`{"expiry": 5}`, `field "expiry": want an RFC 3339 time string`},
		{`{"expiry": "SEKRET"}`, `field "expiry": want an RFC 3339 time string`},
		{`{"refresh_expiry": "2026-13-01T00:00:00Z"}`, `field "refresh_expiry"`},
		{`{"access_token": 7}`, `field "access_token": want a string`},
		{`{"scope": ["SEKRET"]}`, `field "scope": want a string`},
		{`{"version": "SEKRET"}`, `field "version": want an integer`},
		{`{"version": 1.5}`, `field "version": want an integer`},
	} {
		var r Record
		err := r.UnmarshalJSON([]byte(tc.in))
		if err == nil {
			t.Errorf("%s: no error", tc.in)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q, want it to contain %q", tc.in, msg, tc.want)
		}
		if strings.Contains(msg, "SEKRET") || strings.Contains(msg, "'S'") || strings.Contains(msg, "2026") {
			t.Errorf("%s: error %q quotes the data", tc.in, msg)
		}
	}
}

func TestApply(t *testing.T) {
	r := NewRecord(fullToken())
	r.extra = map[string]json.RawMessage{"label": json.RawMessage(`"work"`)}

	// A refresh response without refresh token, id token, scope or
	// refresh expiry: those are kept, the rest replaced.
	later := t0.Add(2 * time.Hour)
	r.Apply(&oauthflow.Token{AccessToken: "at-2", Expiry: later.Add(time.Hour), ObtainedAt: later})
	want := oauthflow.Token{
		AccessToken: "at-2", RefreshToken: "rt-1", IDToken: "id-1", TokenType: "Bearer",
		Scope: "openid offline_access", Expiry: later.Add(time.Hour), RefreshExpiry: t2, ObtainedAt: later,
	}
	if got := *r.Token(); !tokensEqual(got, want) {
		t.Errorf("after Apply without rotation: got %+v, want %+v", got, want)
	}

	// A rotating response replaces everything it carries; a missing expiry
	// clears the old one (it belonged to the old access token).
	r.Apply(&oauthflow.Token{
		AccessToken: "at-3", RefreshToken: "rt-3", IDToken: "id-3", TokenType: "DPoP",
		Scope: "openid", RefreshExpiry: t2.Add(time.Hour), ObtainedAt: later.Add(time.Minute),
	})
	want = oauthflow.Token{
		AccessToken: "at-3", RefreshToken: "rt-3", IDToken: "id-3", TokenType: "DPoP",
		Scope: "openid", RefreshExpiry: t2.Add(time.Hour), ObtainedAt: later.Add(time.Minute),
	}
	if got := *r.Token(); !tokensEqual(got, want) {
		t.Errorf("after rotating Apply: got %+v, want %+v", got, want)
	}

	r.Apply(nil)
	if got := *r.Token(); !tokensEqual(got, want) {
		t.Errorf("Apply(nil) changed the record: %+v", got)
	}
	if string(r.extra["label"]) != `"work"` {
		t.Errorf("unknown field lost: %v", r.extra)
	}
}

func TestRecordPrintsNoSecrets(t *testing.T) {
	r := NewRecord(fullToken())
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r), fmt.Sprintf("%v", *r.Token())} {
		for _, secret := range []string{"at-1", "rt-1", "id-1"} {
			if strings.Contains(s, secret) {
				t.Errorf("formatted record %q contains %q", s, secret)
			}
		}
	}
}
