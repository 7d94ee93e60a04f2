package tokenfmt

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive"
)

var exp = time.Date(2026, 12, 1, 10, 30, 0, 0, time.FixedZone("CET", 3600))

func TestWrite(t *testing.T) {
	tok := keepalive.Token{AccessToken: "tt_at_ABC", TokenType: "bearer", Expiry: exp}
	noExp := keepalive.Token{AccessToken: "tt_at_ABC"}
	for _, tc := range []struct {
		f    Format
		tok  keepalive.Token
		info string
		want string
	}{
		{Raw, tok, "", "tt_at_ABC\n"},
		{Header, tok, "", "Authorization: Bearer tt_at_ABC\n"},
		{Header, keepalive.Token{AccessToken: "x", TokenType: "DPoP"}, "", "Authorization: DPoP x\n"},
		{JSON, tok, "", `{"access_token":"tt_at_ABC","token_type":"Bearer","expires_at":"2026-12-01T09:30:00Z"}` + "\n"},
		{JSON, noExp, "", `{"access_token":"tt_at_ABC","token_type":"Bearer","expires_at":null}` + "\n"},
		{ExecCredential, tok, "", `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false},"status":{"expirationTimestamp":"2026-12-01T09:30:00Z","token":"tt_at_ABC"}}` + "\n"},
		{ExecCredential, noExp, `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":true}}`,
			`{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":true},"status":{"token":"tt_at_ABC"}}` + "\n"},
	} {
		var b bytes.Buffer
		if err := Write(&b, tc.f, tc.tok, tc.info); err != nil {
			t.Errorf("%s: %v", tc.f, err)
			continue
		}
		if b.String() != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.f, b.String(), tc.want)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	tok := keepalive.Token{AccessToken: "tt_at_SECRET"}
	for _, info := range []string{`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`, `not json`, `{"apiVersion":"client.authentication.k8s.io/v1","kind":"Pod"}`} {
		var b bytes.Buffer
		err := Write(&b, ExecCredential, tok, info)
		if err == nil || b.Len() > 0 || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("exec info %q: err %v, output %q", info, err, b.String())
		}
	}
	for _, info := range []string{`garbage`, `[1, 2]`} {
		err := Write(&bytes.Buffer{}, ExecCredential, tok, info)
		if err == nil || !strings.HasPrefix(err.Error(), "KUBERNETES_EXEC_INFO is not an ExecCredential (not ") ||
			strings.Contains(err.Error(), "invalid character") || strings.Contains(err.Error(), "Go value") {
			t.Errorf("exec info %q: %v", info, err)
		}
	}
	if _, err := Parse("yaml"); err == nil || !strings.Contains(err.Error(), "raw, header, json, exec-credential") {
		t.Errorf("Parse(yaml) = %v", err)
	}
	if err := Write(&bytes.Buffer{}, Raw, keepalive.Token{}, ""); err == nil {
		t.Error("empty token written")
	}
}
