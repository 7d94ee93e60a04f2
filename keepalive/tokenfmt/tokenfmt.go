// Package tokenfmt prints an access token the way its consumer wants it:
// the bare token for scripts, an HTTP header, a JSON object, or a
// Kubernetes ExecCredential for a kubeconfig exec entry.
package tokenfmt

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tokentray/tokentray/keepalive"
)

// Format is an output format of `tokentray token`.
type Format string

// The formats.
const (
	Raw            Format = "raw"             // the token and a newline
	Header         Format = "header"          // Authorization: Bearer TOKEN
	JSON           Format = "json"            // {"access_token", "token_type", "expires_at"}
	ExecCredential Format = "exec-credential" // Kubernetes client.authentication.k8s.io ExecCredential
)

// Formats lists the formats, for help and completion.
var Formats = []Format{Raw, Header, JSON, ExecCredential}

// Parse returns the format named s.
func Parse(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown format %q (use %s)", s, strings.Join(names, ", "))
}

// ExecInfoEnv is the variable kubectl passes to exec credential plugins:
// an ExecCredential whose apiVersion the answer must use.
const ExecInfoEnv = "KUBERNETES_EXEC_INFO"

// Kubernetes exec credential API versions (client.authentication.k8s.io).
const (
	ExecV1      = "client.authentication.k8s.io/v1"
	ExecV1beta1 = "client.authentication.k8s.io/v1beta1"
)

// Write prints tok to w in format f. execInfo is the value of
// KUBERNETES_EXEC_INFO ("" when unset); it selects the ExecCredential's
// apiVersion (v1 by default).
func Write(w io.Writer, f Format, tok keepalive.Token, execInfo string) error {
	if tok.AccessToken.IsZero() {
		return errors.New("no access token")
	}
	// The one place tokens are revealed: the user asked for them.
	access := tok.AccessToken.Reveal()
	switch f {
	case Raw, "":
		_, err := fmt.Fprintln(w, access)
		return err
	case Header:
		_, err := fmt.Fprintf(w, "Authorization: %s %s\n", scheme(tok.TokenType), access)
		return err
	case JSON:
		out := struct {
			AccessToken string  `json:"access_token"`
			TokenType   string  `json:"token_type"`
			ExpiresAt   *string `json:"expires_at"`
		}{access, scheme(tok.TokenType), timestamp(tok.Expiry)}
		return encode(w, out)
	case ExecCredential:
		in, err := parseExecInfo(execInfo)
		if err != nil {
			return err
		}
		cred := execCredential{APIVersion: in.APIVersion, Kind: "ExecCredential", Spec: execSpec{Interactive: in.Spec.Interactive}}
		cred.Status = &execStatus{Token: access, ExpirationTimestamp: timestamp(tok.Expiry)}
		return encode(w, cred)
	}
	return fmt.Errorf("unknown format %q", f)
}

// scheme is the Authorization scheme for a token_type: token types are
// case-insensitive (RFC 6749 §5.1), the header spells it "Bearer"
// (RFC 6750 §2.1).
func scheme(tokenType string) string {
	if tokenType == "" || strings.EqualFold(tokenType, "bearer") {
		return "Bearer"
	}
	return tokenType
}

func timestamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func encode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// execCredential is the part of the ExecCredential type
// (k8s.io/client-go/pkg/apis/clientauthentication) a plugin reads and
// writes.
type execCredential struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Spec       execSpec    `json:"spec"`
	Status     *execStatus `json:"status,omitempty"`
}

type execSpec struct {
	Interactive bool `json:"interactive"`
}

type execStatus struct {
	// ExpirationTimestamp is RFC 3339; kubectl runs the plugin again
	// after it (or on a 401) and caches the token until then.
	ExpirationTimestamp *string `json:"expirationTimestamp,omitempty"`
	Token               string  `json:"token"`
}

// parseExecInfo reads KUBERNETES_EXEC_INFO; empty means v1.
func parseExecInfo(s string) (execCredential, error) {
	in := execCredential{APIVersion: ExecV1}
	if strings.TrimSpace(s) == "" {
		return in, nil
	}
	var got struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Interactive bool `json:"interactive"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(s), &got); err != nil {
		// Not the decoder's text ("invalid character 'g' looking for
		// beginning of value"): what is wrong, in words.
		why := "not JSON"
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			why = "not a JSON object of the expected form"
		}
		return in, fmt.Errorf("%s is not an ExecCredential (%s)", ExecInfoEnv, why)
	}
	switch got.APIVersion {
	case ExecV1, ExecV1beta1:
	default:
		return in, fmt.Errorf("%s asks for apiVersion %q; tokentray speaks %s and %s", ExecInfoEnv, got.APIVersion, ExecV1, ExecV1beta1)
	}
	if got.Kind != "" && got.Kind != "ExecCredential" {
		return in, fmt.Errorf("%s has kind %q, not ExecCredential", ExecInfoEnv, got.Kind)
	}
	in.APIVersion, in.Spec.Interactive = got.APIVersion, got.Spec.Interactive
	return in, nil
}
