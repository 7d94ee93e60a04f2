package oauthtest

import "net/http"

// handleRevoke serves the revocation endpoint (RFC 7009 §2). Revoking an
// access or refresh token revokes the whole login (token family) it
// belongs to, which §2.1 allows. Unknown and already invalid tokens are
// answered 200 like valid ones (§2.2). Injected faults do not apply here.
func (i *Issuer) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	params, perr := readParams(r)
	if perr != nil {
		writeError(w, perr)
		return
	}
	client, oerr := i.authenticate(r, params)
	if oerr != nil {
		writeError(w, oerr)
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
