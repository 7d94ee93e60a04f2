package oauthtest

import (
	"net/http"

	"github.com/tokentray/tokentray/oauthflow"
)

// discovery returns the OpenID Connect Discovery 1.0 §3 / RFC 8414 §2
// metadata for the endpoints this issuer implements.
func (i *Issuer) discovery() map[string]any {
	methods := i.opts.TokenAuthMethods
	if methods == nil {
		methods = []string{"none", "client_secret_post", "client_secret_basic"}
	}
	return map[string]any{
		"issuer":                                         i.url,
		"authorization_endpoint":                         i.AuthorizeURL(),
		"token_endpoint":                                 i.TokenURL(),
		"revocation_endpoint":                            i.RevocationURL(),
		"device_authorization_endpoint":                  i.DeviceAuthorizationURL(),
		"response_types_supported":                       []string{"code"},
		"response_modes_supported":                       []string{"query"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token", oauthflow.DeviceGrantType},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          methods,
		"revocation_endpoint_auth_methods_supported":     methods,
		"authorization_response_iss_parameter_supported": true,
		"scopes_supported":                               i.scopes,
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"none"},
	}
}

func (i *Issuer) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	i.mu.Lock()
	i.stats.Discoveries++
	i.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, i.discovery())
}
