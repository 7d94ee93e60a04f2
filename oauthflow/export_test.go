package oauthflow

// RedirectURI is the loopback redirect URI sent in the authorization
// request, e.g. "http://127.0.0.1:49152/callback" (for the tests of
// package oauthflow_test only).
func RedirectURI(f *Flow) string { return f.redirectURI }

// ParsePasted parses what the user pasted in the manual sign-in fallback:
//
//   - the full redirect URL, "http://127.0.0.1:PORT/callback?code=C&state=S"
//     (any URL whose query holds code or error), or just its query
//     ("?code=C&state=S" or "code=C&state=S");
//   - "C#S", a code and state as some servers display them;
//   - a bare code "C" (state is then "").
//
// Surrounding white space and quotes are ignored. When the pasted URL is
// an error response (RFC 6749 §4.1.2.1) the error is an
// *[AuthorizationError]; any other failure wraps [ErrInvalidPaste]. No
// error repeats the input.
func ParsePasted(s string) (code, state string, err error) {
	vals, _, err := parsePasted(s)
	if err != nil {
		return "", "", err
	}
	if vals.Get("error") != "" {
		return "", vals.Get("state"), authorizationError(vals, vals.Get("state"))
	}
	return vals.Get("code"), vals.Get("state"), nil
}
