package oauthtest

import "net/http"

// discovery returns the OpenID Connect Discovery 1.0 §3 / RFC 8414 §2
// metadata for the endpoints this issuer implements.
func (i *Issuer) discovery() map[string]any {
	return map[string]any{
		"issuer":                                i.url,
		"token_endpoint":                        i.TokenURL(),
		"grant_types_supported":                 []string{"refresh_token"},
		"token_endpoint_auth_methods_supported": []string{"none", "client_secret_post", "client_secret_basic"},
		"scopes_supported":                      []string{"openid", "offline_access"},
	}
}

func (i *Issuer) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, i.discovery())
}
