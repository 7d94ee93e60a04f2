package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tokentray/tokentray/oauthflow"
)

// SchemaVersion is the file format version written to new records.
const SchemaVersion = 1

// Record is the persisted state of one owned account: the tokens of the
// latest token response (RFC 6749 §5.1) and when they expire.
//
// On disk it is a JSON object with the fields version, access_token,
// refresh_token, id_token, token_type, scope, expiry, expiry_source,
// refresh_expiry and obtained_at; times are RFC 3339 strings in UTC and empty values are
// omitted. Fields the record does not know are kept verbatim and written
// back, so a newer tokentray (or a user) can add fields without an older
// one dropping them on the next refresh.
type Record struct {
	// Version is the schema version of the file; SchemaVersion when zero.
	Version int

	AccessToken  oauthflow.Secret
	RefreshToken oauthflow.Secret
	IDToken      oauthflow.Secret
	TokenType    string
	Scope        string
	// Expiry is when the access token expires; zero when unknown.
	Expiry time.Time
	// ExpirySource is where Expiry came from (server, jwt, none); "" in
	// records written before it was kept.
	ExpirySource oauthflow.ExpirySource
	// RefreshExpiry is when the refresh token (the login) expires; zero
	// when the server never said.
	RefreshExpiry time.Time
	// ObtainedAt is when the tokens were received.
	ObtainedAt time.Time

	// ModeWarning, set by Load and Update and never stored, says when the
	// token file or its directory can be read by other users; "" when not
	// (and always on Windows, where access is governed by ACLs).
	ModeWarning string

	// extra holds the JSON fields this version does not know, verbatim.
	extra map[string]json.RawMessage
	// unwritable is why a successor of this record could not be saved
	// (see Writable).
	unwritable error
}

// Writable reports whether a successor of r can be saved. For a record
// that Update hands to its function it is nil when the space for the new
// file has been reserved, and a *ReserveError (a full disk) otherwise: then
// do not send a request that rotates the refresh token, because the new
// one might have nowhere to go. Nil for records from Load.
func (r *Record) Writable() error {
	if r == nil {
		return nil
	}
	return r.unwritable
}

// The JSON field names of Record.
const (
	fieldVersion       = "version"
	fieldAccessToken   = "access_token"
	fieldRefreshToken  = "refresh_token"
	fieldIDToken       = "id_token"
	fieldTokenType     = "token_type"
	fieldScope         = "scope"
	fieldExpiry        = "expiry"
	fieldExpirySource  = "expiry_source"
	fieldRefreshExpiry = "refresh_expiry"
	fieldObtainedAt    = "obtained_at"
)

// NewRecord returns a record holding the token response t.
func NewRecord(t *oauthflow.Token) *Record {
	r := &Record{Version: SchemaVersion}
	if t != nil {
		r.AccessToken = t.AccessToken
		r.RefreshToken = t.RefreshToken
		r.IDToken = t.IDToken
		r.TokenType = t.TokenType
		r.Scope = t.Scope
		r.Expiry = t.Expiry
		r.ExpirySource = t.ExpirySource
		r.RefreshExpiry = t.RefreshExpiry
		r.ObtainedAt = t.ObtainedAt
	}
	return r
}

// Apply merges the token response t (typically from a refresh) into r.
//
// The access token, Expiry, ExpirySource and ObtainedAt are always replaced: the old
// expiry belongs to the old access token. Fields the response may omit
// keep their old value when t leaves them empty:
//   - RefreshToken (RFC 6749 §6: the server MAY issue a new one; if it
//     does not, the old one stays valid),
//   - RefreshExpiry (the login lifetime does not restart on a refresh
//     unless the server says so),
//   - IDToken (OpenID Connect Core §12.2: a refresh response might not
//     contain an id_token),
//   - Scope (RFC 6749 §5.1: omitted when identical to the requested scope)
//   - and TokenType.
//
// Unknown fields are kept. A nil t changes nothing.
func (r *Record) Apply(t *oauthflow.Token) {
	if t == nil {
		return
	}
	r.AccessToken = t.AccessToken
	r.Expiry = t.Expiry
	r.ExpirySource = t.ExpirySource
	r.ObtainedAt = t.ObtainedAt
	if !t.RefreshToken.IsZero() {
		r.RefreshToken = t.RefreshToken
	}
	if !t.RefreshExpiry.IsZero() {
		r.RefreshExpiry = t.RefreshExpiry
	}
	if !t.IDToken.IsZero() {
		r.IDToken = t.IDToken
	}
	if t.Scope != "" {
		r.Scope = t.Scope
	}
	if t.TokenType != "" {
		r.TokenType = t.TokenType
	}
}

// MarshalJSON implements json.Marshaler: the known fields in a fixed order,
// then the unknown fields sorted by name. The token values are written in
// clear; that is the point of the store.
func (r *Record) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	put := func(name string, v any) error {
		val, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode field %q: %w", name, err)
		}
		putRaw(&b, &first, name, val)
		return nil
	}
	version := r.Version
	if version == 0 {
		version = SchemaVersion
	}
	if err := put(fieldVersion, version); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		val  string
	}{
		{fieldAccessToken, r.AccessToken.Reveal()},
		{fieldRefreshToken, r.RefreshToken.Reveal()},
		{fieldIDToken, r.IDToken.Reveal()},
		{fieldTokenType, r.TokenType},
		{fieldScope, r.Scope},
		{fieldExpiry, formatTime(r.Expiry)},
		{fieldExpirySource, string(r.ExpirySource)},
		{fieldRefreshExpiry, formatTime(r.RefreshExpiry)},
		{fieldObtainedAt, formatTime(r.ObtainedAt)},
	} {
		if f.val == "" {
			continue
		}
		if err := put(f.name, f.val); err != nil {
			return nil, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.extra)) {
		if isKnownField(name) {
			continue // a field set by an older caller; the typed value wins
		}
		// Compact re-validates the raw value and normalises its layout.
		var val bytes.Buffer
		if err := json.Compact(&val, r.extra[name]); err != nil {
			return nil, fmt.Errorf("encode field %q: invalid JSON value", name)
		}
		putRaw(&b, &first, name, val.Bytes())
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func putRaw(b *bytes.Buffer, first *bool, name string, val []byte) {
	if !*first {
		b.WriteByte(',')
	}
	*first = false
	key, _ := json.Marshal(name) // marshalling a string cannot fail
	b.Write(key)
	b.WriteByte(':')
	b.Write(val)
}

// UnmarshalJSON implements json.Unmarshaler. The data must be a JSON
// object. Errors describe the problem (a byte offset, a field name and the
// expected type) but never quote the data, which holds tokens.
func (r *Record) UnmarshalJSON(data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		if se, ok := errors.AsType[*json.SyntaxError](err); ok {
			return fmt.Errorf("invalid JSON at byte offset %d", se.Offset)
		}
		return errors.New("not a JSON object")
	}
	if fields == nil {
		return errors.New("not a JSON object") // the literal null
	}
	var out Record
	for name, raw := range fields {
		var err error
		switch name {
		case fieldVersion:
			err = decodeInt(raw, &out.Version)
		case fieldAccessToken:
			err = decodeString(raw, (*string)(&out.AccessToken))
		case fieldRefreshToken:
			err = decodeString(raw, (*string)(&out.RefreshToken))
		case fieldIDToken:
			err = decodeString(raw, (*string)(&out.IDToken))
		case fieldTokenType:
			err = decodeString(raw, &out.TokenType)
		case fieldScope:
			err = decodeString(raw, &out.Scope)
		case fieldExpiry:
			err = decodeTime(raw, &out.Expiry)
		case fieldExpirySource:
			err = decodeString(raw, (*string)(&out.ExpirySource))
		case fieldRefreshExpiry:
			err = decodeTime(raw, &out.RefreshExpiry)
		case fieldObtainedAt:
			err = decodeTime(raw, &out.ObtainedAt)
		default:
			if out.extra == nil {
				out.extra = make(map[string]json.RawMessage)
			}
			out.extra[name] = raw
		}
		if err != nil {
			return fmt.Errorf("field %q: %w", name, err)
		}
	}
	*r = out
	return nil
}

func isKnownField(name string) bool {
	switch name {
	case fieldVersion, fieldAccessToken, fieldRefreshToken, fieldIDToken,
		fieldTokenType, fieldScope, fieldExpiry, fieldExpirySource, fieldRefreshExpiry, fieldObtainedAt:
		return true
	}
	return false
}

// decodeString accepts a JSON string or null (empty).
func decodeString(raw json.RawMessage, dst *string) error {
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil {
		return errors.New("want a string")
	}
	if s != nil {
		*dst = *s
	}
	return nil
}

// decodeInt accepts a JSON integer or null (zero).
func decodeInt(raw json.RawMessage, dst *int) error {
	var n *int
	if err := json.Unmarshal(raw, &n); err != nil {
		return errors.New("want an integer")
	}
	if n != nil {
		*dst = *n
	}
	return nil
}

// decodeTime accepts an RFC 3339 string, "" or null (the zero time).
func decodeTime(raw json.RawMessage, dst *time.Time) error {
	var s string
	if err := decodeString(raw, &s); err != nil {
		return errors.New("want an RFC 3339 time string")
	}
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// time.Parse quotes its input; do not pass that on.
		return errors.New("want an RFC 3339 time string")
	}
	*dst = t
	return nil
}

// formatTime formats t as RFC 3339 in UTC, or "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
