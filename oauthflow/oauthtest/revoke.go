package oauthtest

import "net/http"

// handleRevoke serves the revocation endpoint (RFC 7009 §2). Revoking an
// access or refresh token revokes the whole login (token family) it
// belongs to, which §2.1 allows. Unknown and already invalid tokens are
// answered 200 like valid ones (§2.2). Injected faults do not apply here.
func (i *Issuer) handleRevoke(w http.ResponseWriter, r *http.Request) {
	params, client, ok := i.clientPost(w, r)
	if !ok {
		return
	}
	tok := params["token"]
	if tok == "" {
		writeError(w, errInvalidRequest("missing token"))
		return
	}
	i.mu.Lock()
	var fam *family
	if st := i.refresh[tok]; st != nil {
		fam = st.fam
	} else if a, ok := i.access[tok]; ok {
		fam = a.fam
	}
	if fam != nil && fam.client != client.ID {
		i.mu.Unlock()
		writeError(w, errInvalidGrant("token was issued to another client"))
		return
	}
	if fam != nil && !fam.revoked {
		fam.revoked = true
		i.stats.Revocations++
		i.stats.FamiliesRevoked++
	}
	i.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// clientPost reads a POST request of an authenticated client to an endpoint
// other than the token endpoint (revocation, device authorization). On
// failure it has answered and returns false.
func (i *Issuer) clientPost(w http.ResponseWriter, r *http.Request) (map[string]string, ClientReg, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, ClientReg{}, false
	}
	params, perr := readParams(r)
	if perr != nil {
		writeError(w, perr)
		return nil, ClientReg{}, false
	}
	client, oerr := i.authenticate(r, params)
	if oerr != nil {
		writeError(w, oerr)
		return nil, ClientReg{}, false
	}
	return params, client, true
}
