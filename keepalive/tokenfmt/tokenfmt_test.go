package tokenfmt

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	if _, err := Parse("yaml"); err == nil || !strings.Contains(err.Error(), "raw, header, json, exec-credential") {
		t.Errorf("Parse(yaml) = %v", err)
	}
	if err := Write(&bytes.Buffer{}, Raw, keepalive.Token{}, ""); err == nil {
		t.Error("empty token written")
	}
}

// TestExecCredentialSchema reads the output as an exec credential client
// does (k8s.io/client-go/plugin/pkg/client/auth/exec): strictly, the
// apiVersion must be the one asked for, the token set, the expiry RFC 3339.
func TestExecCredentialSchema(t *testing.T) {
	for _, version := range []string{"", ExecV1, ExecV1beta1} {
		info := ""
		want := ExecV1
		if version != "" {
			info = `{"apiVersion":"` + version + `","kind":"ExecCredential","spec":{"interactive":false}}`
			want = version
		}
		var b bytes.Buffer
		if err := Write(&b, ExecCredential, keepalive.Token{AccessToken: "tok", Expiry: exp}, info); err != nil {
			t.Fatal(err)
		}
		token, expiry, err := consumeExecCredential(b.Bytes(), want)
		if err != nil {
			t.Fatalf("%s: %v\n%s", want, err, b.String())
		}
		if token != "tok" || !expiry.Equal(exp) {
			t.Errorf("%s: token %q expiry %v", want, token, expiry)
		}
	}
}

func consumeExecCredential(data []byte, wantVersion string) (string, time.Time, error) {
	var cred struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Interactive bool             `json:"interactive"`
			Cluster     *json.RawMessage `json:"cluster,omitempty"`
		} `json:"spec"`
		Status *struct {
			ExpirationTimestamp   *string `json:"expirationTimestamp,omitempty"`
			Token                 string  `json:"token,omitempty"`
			ClientCertificateData string  `json:"clientCertificateData,omitempty"`
			ClientKeyData         string  `json:"clientKeyData,omitempty"`
		} `json:"status,omitempty"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cred); err != nil {
		return "", time.Time{}, err
	}
	switch {
	case cred.Kind != "ExecCredential":
		return "", time.Time{}, errorf("kind %q", cred.Kind)
	case cred.APIVersion != wantVersion:
		return "", time.Time{}, errorf("exec plugin is configured to use API version %s, plugin returned version %s", wantVersion, cred.APIVersion)
	case cred.Status == nil:
		return "", time.Time{}, errorf("exec plugin didn't return a status field")
	case cred.Status.Token == "" && cred.Status.ClientCertificateData == "":
		return "", time.Time{}, errorf("exec plugin didn't return a token or cert/key pair")
	}
	var expiry time.Time
	if cred.Status.ExpirationTimestamp != nil {
		var err error
		if expiry, err = time.Parse(time.RFC3339, *cred.Status.ExpirationTimestamp); err != nil {
			return "", time.Time{}, err
		}
	}
	return cred.Status.Token, expiry, nil
}

type schemaError string

func (e schemaError) Error() string { return string(e) }

func errorf(format string, args ...any) error {
	return schemaError(fmt.Sprintf(format, args...))
}
