package oauthflow

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Defaults of [SignInOptions].
const (
	DefaultSignInTimeout = 5 * time.Minute
	DefaultRedirectPath  = "/callback"
	// DefaultHold is how long after the browser was launched with a
	// start URL no code is exchanged (see [Flow.StartURL]).
	DefaultHold = 5 * time.Second
)

// startPrefix is the path prefix of the one-time start URLs.
const startPrefix = "/tokentray-start/"

// Errors of the sign-in flow. Test them with errors.Is.
var (
	// ErrStateMismatch: the response carries no state or another sign-in's
	// state (RFC 6749 §10.12). The flow keeps waiting.
	ErrStateMismatch = errors.New("the response does not belong to this sign-in (state mismatch)")
	// ErrIssuerMismatch: the response's iss parameter is missing although
	// the server promised it, or names another issuer (RFC 9207 §2.4), a
	// sign of a mix-up attack. The flow ends.
	ErrIssuerMismatch = errors.New("the response comes from another authorization server (iss mismatch)")
	// ErrSignInTimeout: no response arrived within SignInOptions.Timeout.
	ErrSignInTimeout = errors.New("sign-in timed out")
	// ErrFlowClosed: the flow was abandoned with Close.
	ErrFlowClosed = errors.New("sign-in was abandoned")
	// ErrFlowFinished: a response arrived for a flow that already has one.
	ErrFlowFinished = errors.New("sign-in has already finished")
	// ErrInvalidPaste: Paste got something that is neither a redirect URL,
	// nor a code, nor code#state. The flow keeps waiting.
	ErrInvalidPaste = errors.New("not a redirect URL, a code or code#state")
	// ErrSignInIntercepted: a one-time start URL was visited a second
	// time, so another program has seen the authorization request; the
	// flow ends and nothing is exchanged (see [Flow.StartURL]).
	ErrSignInIntercepted = errors.New("another program opened your sign-in link; sign-in cancelled")
)

// AuthorizationError is an error response of the authorization endpoint
// (RFC 6749 §4.1.2.1), such as access_denied when the user declined. Its
// fields are server text, shortened and stripped of control characters.
type AuthorizationError struct {
	Code        string // "access_denied", "invalid_scope", ...
	Description string // error_description, may be empty
	URI         string // error_uri, may be empty
}

func (e *AuthorizationError) Error() string {
	var b strings.Builder
	if e.Code == "access_denied" {
		b.WriteString("sign-in was denied (access_denied)")
	} else {
		b.WriteString("the authorization server refused the sign-in: ")
		b.WriteString(sanitize(e.Code, maxCode))
	}
	if d := sanitize(e.Description, maxDescription); d != "" {
		b.WriteString(": ")
		b.WriteString(d)
	}
	return b.String()
}

// Redirect configures the loopback redirect URI (RFC 8252 §7.3). Zero
// values mean host 127.0.0.1, any free port, path /callback.
type Redirect struct {
	// Host is 127.0.0.1 (default), [::1] (or ::1), another loopback IP
	// address, or localhost. The listener binds that address only; for
	// localhost it binds 127.0.0.1 and the redirect URI says localhost
	// (RFC 8252 §8.3 discourages localhost, but some client registrations
	// require it).
	Host string
	// Port is the listener's port; 0 picks a free one, which loopback
	// redirect URIs allow (RFC 8252 §7.3). Use a fixed port only when the
	// client registration demands it.
	Port int
	// Path is the redirect URI's path; "" means DefaultRedirectPath.
	Path string
}

// SignInOptions configure one authorization-code + PKCE sign-in.
type SignInOptions struct {
	Redirect Redirect
	// AuthParams are extra authorization request parameters, such as
	// prompt=consent or an OpenID Connect nonce. They cannot replace the
	// parameters the flow sets itself (response_type, client_id,
	// redirect_uri, scope, state, code_challenge, code_challenge_method).
	AuthParams map[string]string
	// Timeout bounds the whole sign-in, counted from StartSignIn; 0 means
	// DefaultSignInTimeout.
	Timeout time.Duration
	// Hold is how long after the latest [Flow.StartURL] a code is held
	// before it is exchanged; 0 means DefaultHold, a negative value none.
	// It is timed with the Client's Now and Sleep.
	Hold time.Duration
}

// reservedAuthParams are set by the flow and cannot come from AuthParams.
var reservedAuthParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"}

// Flow is one sign-in in progress: the authorization code grant with PKCE
// (RFC 6749 §4.1, RFC 7636) and a loopback redirect listener (RFC 8252).
//
// The caller opens URL in a browser and calls Wait. The browser's redirect
// to the listener, or an input the user pastes (see Paste), completes the
// flow: the code is exchanged for tokens while the browser waits, and the
// browser then shows a page saying whether the sign-in worked.
//
// A Flow is safe for concurrent use. Its listener is closed once the flow
// has an outcome, times out or is closed, and always before Wait returns.
type Flow struct {
	client      *Client // with discovered endpoints; never modified
	authURL     string
	redirectURI string
	host        string // expected Host header: the redirect URI's authority
	path        string
	state       string
	verifier    string
	timeout     time.Duration
	deadline    time.Time // start + timeout
	hold        time.Duration

	ln     net.Listener
	srv    *http.Server
	ctx    context.Context // cancelled when the flow is abandoned
	cancel context.CancelFunc

	mu    sync.Mutex
	phase phase
	tok   *Token
	err   error
	done  chan struct{} // closed once tok/err are final

	starts   map[string]bool // one-time start URL token -> visited
	launched time.Time       // the latest StartURL: the hold counts from it

	waited   atomic.Bool
	shutOnce sync.Once
}

type phase int

const (
	waiting    phase = iota // no response accepted yet
	exchanging              // a response was accepted; the code is being exchanged
	finished                // tok/err are final
)

// StartSignIn prepares a sign-in: it discovers the endpoints first when
// only the issuer is configured (see [Client.Discover]; c is not
// modified), creates a PKCE code verifier (32 random bytes, RFC 7636 §4.1)
// and its S256 challenge, and a separate random state, binds the loopback
// listener and builds the authorization request URL (RFC 6749 §4.1.1):
// response_type=code, client_id, redirect_uri, scope (c.Scopes,
// space-separated, omitted when empty), state, code_challenge,
// code_challenge_method=S256 and opts.AuthParams.
//
// ctx bounds discovery only; use Wait's context, Close and
// opts.Timeout for the rest. A fixed opts.Redirect.Port that is in use is
// an error naming the port.
func (c *Client) StartSignIn(ctx context.Context, opts SignInOptions) (*Flow, error) {
	if c.ClientID == "" {
		return nil, errors.New("sign-in: no client ID configured")
	}
	r, err := c.resolve(ctx)
	if err != nil {
		return nil, err
	}
	ep := r.Endpoint
	switch {
	case ep.AuthURL == "":
		return nil, errors.New("sign-in: no authorization endpoint (set it, or an issuer that publishes one)")
	case ep.TokenURL == "":
		return nil, errors.New("sign-in: no token endpoint (set it, or an issuer that publishes one)")
	case ep.IssParameterSupported && ep.Issuer == "":
		return nil, errors.New("sign-in: IssParameterSupported is set but the issuer is unknown")
	}
	for _, u := range []string{ep.AuthURL, ep.TokenURL} {
		if err := CheckURL(u); err != nil {
			return nil, fmt.Errorf("sign-in: %w", err)
		}
	}
	authURL, err := url.Parse(ep.AuthURL)
	if err != nil {
		return nil, fmt.Errorf("sign-in: authorization endpoint: %w", err)
	}
	if authURL.Fragment != "" {
		return nil, errors.New("sign-in: the authorization endpoint URL must not have a fragment (RFC 6749 §3.1)")
	}
	for _, k := range reservedAuthParams {
		if _, ok := opts.AuthParams[k]; ok {
			return nil, fmt.Errorf("sign-in: AuthParams cannot set %q: the sign-in sets it", k)
		}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultSignInTimeout
	}
	hold := opts.Hold
	switch {
	case hold == 0:
		hold = DefaultHold
	case hold < 0:
		hold = 0
	}
	path := opts.Redirect.Path
	if path == "" {
		path = DefaultRedirectPath
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#%") {
		return nil, fmt.Errorf("sign-in: redirect path %q must start with / and contain no ?, # or %%", path)
	}
	if opts.Redirect.Port < 0 || opts.Redirect.Port > 65535 {
		return nil, fmt.Errorf("sign-in: redirect port %d is out of range", opts.Redirect.Port)
	}
	network, bindHost, uriHost, err := loopbackHost(opts.Redirect.Host)
	if err != nil {
		return nil, err
	}

	ln, err := net.Listen(network, net.JoinHostPort(bindHost, strconv.Itoa(opts.Redirect.Port)))
	if err != nil {
		if opts.Redirect.Port != 0 {
			return nil, fmt.Errorf("sign-in: cannot listen on port %d of %s for the redirect (is another program using port %d?): %w",
				opts.Redirect.Port, bindHost, opts.Redirect.Port, err)
		}
		return nil, fmt.Errorf("sign-in: cannot listen on %s for the redirect: %w", bindHost, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	host := net.JoinHostPort(uriHost, strconv.Itoa(port))
	redirectURI := (&url.URL{Scheme: "http", Host: host, Path: path}).String()

	verifier := oauth2.GenerateVerifier()
	state := rand.Text()
	q := authURL.Query()
	for k, v := range opts.AuthParams {
		q.Set(k, v)
	}
	q.Set("response_type", "code")
	q.Set("client_id", c.ClientID)
	q.Set("redirect_uri", redirectURI)
	if len(c.Scopes) > 0 {
		q.Set("scope", strings.Join(c.Scopes, " "))
	}
	q.Set("state", state)
	q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	q.Set("code_challenge_method", "S256")
	authURL.RawQuery = q.Encode()

	cc := *r // the flow keeps its own copy: the caller may change c
	f := &Flow{
		client:      &cc,
		authURL:     authURL.String(),
		redirectURI: redirectURI,
		host:        host,
		path:        path,
		state:       state,
		verifier:    verifier,
		timeout:     timeout,
		deadline:    time.Now().Add(timeout),
		hold:        hold,
		ln:          ln,
		done:        make(chan struct{}),
		starts:      make(map[string]bool),
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.srv = &http.Server{
		Handler:           http.HandlerFunc(f.serve),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go f.srv.Serve(ln)
	go func() {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-t.C:
			f.expire()
		case <-f.done:
		}
	}()
	return f, nil
}

// loopbackHost maps Redirect.Host to the listener's network and address and
// the redirect URI's host.
func loopbackHost(h string) (network, bind, uriHost string, err error) {
	switch {
	case h == "":
		return "tcp4", "127.0.0.1", "127.0.0.1", nil
	case strings.EqualFold(h, "localhost"):
		return "tcp4", "127.0.0.1", "localhost", nil
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	if ip == nil || !ip.IsLoopback() {
		return "", "", "", fmt.Errorf("sign-in: redirect host %q is not a loopback address (use 127.0.0.1, [::1] or localhost; RFC 8252 §7.3)", h)
	}
	if ip4 := ip.To4(); ip4 != nil {
		return "tcp4", ip4.String(), ip4.String(), nil
	}
	return "tcp6", ip.String(), ip.String(), nil
}

// URL is the authorization request URL, with state and the PKCE challenge.
// Print it for a browser on another machine (the manual fallback, see
// Paste). To launch a browser on this machine use StartURL instead: a URL
// given to a browser program is on its command line, where every local
// user can read it.
func (f *Flow) URL() string { return f.authURL }

// StartURL returns a new one-time start URL on the loopback listener, e.g.
// "http://127.0.0.1:49152/tokentray-start/…", to launch the browser with.
// Its first visit redirects (302) to URL, so the state and the PKCE
// challenge appear on no command line. It is meant for the browser
// tokentray launches, right after this call:
//
//   - a second visit of a start URL ends the flow with
//     [ErrSignInIntercepted], whatever has happened so far (nothing is
//     exchanged; that browser page says so): either the visitor or the
//     browser came second, and the first one has seen the request;
//   - no code is exchanged sooner than SignInOptions.Hold (5 s) after the
//     latest StartURL call: a code that arrives earlier is held, so that
//     a program that read the start URL from the browser's command line
//     and raced it is always caught by the browser's own visit.
//
// Calling it again (to open the sign-in once more) gives another one-time
// URL and restarts the hold.
func (f *Flow) StartURL() string {
	tok := rand.Text()
	f.mu.Lock()
	f.starts[tok] = false
	f.launched = f.client.now()
	f.mu.Unlock()
	return (&url.URL{Scheme: "http", Host: f.host, Path: startPrefix + tok}).String()
}

// Wait waits for the flow's outcome and returns the tokens. It ends with
// an error when the server answers with an error (an *[AuthorizationError],
// e.g. access_denied), when the response fails the RFC 9207 check
// ([ErrIssuerMismatch]), when the code exchange fails (an *[Error] with Op
// "exchange"), when SignInOptions.Timeout passes ([ErrSignInTimeout]),
// when ctx is done (the error wraps ctx.Err()), when a start URL was
// visited twice ([ErrSignInIntercepted]) or when Close is called
// ([ErrFlowClosed]). Requests to the listener that do not carry this
// flow's state get an error page and do not end the flow. The returned
// Token's Identity says who signed in.
//
// The listener is closed when Wait returns. Wait may be called once.
func (f *Flow) Wait(ctx context.Context) (*Token, error) {
	if !f.waited.CompareAndSwap(false, true) {
		return nil, errors.New("Flow.Wait called more than once")
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		f.abort(fmt.Errorf("sign-in abandoned: %w", ctx.Err()))
	}
	f.shutdown()
	return f.result()
}

// Paste hands over what the user pasted in the manual fallback, for when
// the browser cannot reach the loopback listener (SSH, another machine):
// the full redirect URL (or just its query), a bare code, or "code#state"
// as some servers display it (see parsePasted).
//
// A URL or code#state must carry this flow's state, and a URL is checked
// like the browser's redirect (including RFC 9207 iss). A bare code cannot
// be checked that way; PKCE still binds it to this flow (RFC 7636 §1).
//
// Paste returns an error, and the flow keeps waiting, when the input is
// not accepted: it wraps [ErrInvalidPaste], [ErrStateMismatch] or
// [ErrFlowFinished]. Once an input is accepted Paste exchanges the code
// and returns nil; the outcome, tokens or error, is what Wait returns.
func (f *Flow) Paste(input string) error {
	vals, form, err := parsePasted(input)
	if err != nil {
		return err
	}
	var code string
	var final error
	if form == pasteBareCode {
		code = vals.Get("code")
	} else {
		var reject error
		// A pasted address is checked like the callback; a pasted part of
		// it without iss is treated like a bare code (the user may have
		// copied only some of the parameters).
		code, final, reject = f.inspect(vals, form == pasteURL && vals.Has("iss"))
		if reject != nil {
			return fmt.Errorf("pasted response: %w", reject)
		}
	}
	if err := f.claim(); err != nil {
		return err
	}
	if final != nil {
		f.complete(code, final)
		return nil
	}
	// A pasted code may be mistyped or from another attempt: when the
	// server rejects it (invalid_grant, RFC 6749 §5.2) the flow goes on
	// waiting for the browser or a better paste.
	tok, err := f.exchange(code)
	var oe *Error
	if errors.As(err, &oe) && oe.Code == "invalid_grant" && f.reopen() {
		return fmt.Errorf("the server did not accept the pasted code (invalid_grant): %w", ErrInvalidPaste)
	}
	f.end(tok, err, false)
	return nil
}

// reopen returns a claimed flow to waiting after a rejected paste, unless
// it has ended meanwhile or its time is up.
func (f *Flow) reopen() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.phase != exchanging || !time.Now().Before(f.deadline) {
		return false
	}
	f.phase = waiting
	return true
}

// Close abandons the flow: a running Wait returns [ErrFlowClosed], a code
// exchange in progress is cancelled, and the listener is closed. It is
// safe to call more than once and after Wait.
func (f *Flow) Close() {
	f.abort(fmt.Errorf("%w", ErrFlowClosed))
	f.shutdown()
}

// serve handles requests to the listener: the redirect URI receives the
// authorization response (RFC 6749 §4.1.2).
func (f *Flow) serve(w http.ResponseWriter, r *http.Request) {
	start := strings.HasPrefix(r.URL.Path, startPrefix) && r.URL.Path != f.path
	if !start && r.URL.Path != f.path {
		writePage(w, http.StatusNotFound, pageNotFound, nil)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writePage(w, http.StatusMethodNotAllowed, pageNotFound, nil)
		return
	}
	if !strings.EqualFold(r.Host, f.host) {
		// Not addressed to the redirect URI: DNS rebinding or a stray
		// request. It cannot end the flow.
		writePage(w, http.StatusBadRequest, pageStray, nil)
		return
	}
	if start {
		f.serveStart(w, r)
		return
	}
	code, final, reject := f.inspect(r.URL.Query(), true)
	if reject != nil {
		writePage(w, http.StatusBadRequest, pageStray, nil)
		return
	}
	if err := f.claim(); err != nil {
		writePage(w, http.StatusConflict, pageAlreadyDone, nil)
		return
	}
	if _, err := f.complete(code, final); err != nil {
		if errors.Is(err, ErrSignInIntercepted) {
			writePage(w, http.StatusConflict, pageIntercepted, nil)
			return
		}
		writePage(w, http.StatusBadRequest, pageFailed, err)
		return
	}
	writePage(w, http.StatusOK, pageSignedIn, nil)
}

// serveStart handles a one-time start URL (see StartURL): the first visit
// is redirected to the authorization request, a second one ends the flow.
// serve has checked the method and the Host header.
func (f *Flow) serveStart(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.URL.Path, startPrefix)
	f.mu.Lock()
	visited, known := f.starts[tok]
	if known {
		f.starts[tok] = true
	}
	f.mu.Unlock()
	switch {
	case !known:
		writePage(w, http.StatusNotFound, pageNotFound, nil)
	case visited:
		f.abort(fmt.Errorf("%w", ErrSignInIntercepted))
		if _, err := f.result(); errors.Is(err, ErrSignInIntercepted) {
			writePage(w, http.StatusConflict, pageIntercepted, nil)
		} else {
			writePage(w, http.StatusConflict, pageAlreadyDone, nil)
		}
	default:
		h := w.Header()
		h.Set("Location", f.authURL)
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		w.WriteHeader(http.StatusFound)
	}
}

// sameIssuer compares issuer identifiers, ignoring one trailing slash: a
// configured issuer may differ from the published one by it when no
// discovery confirmed it (RFC 8414 §3.3 is applied the same way there).
func sameIssuer(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// inspect checks an authorization response's parameters. reject means
// the response is not for this flow, which keeps waiting; otherwise it
// returns either the code or final, the error that ends the flow. The iss
// parameter (RFC 9207 §2.4) is checked when checkIss is set.
func (f *Flow) inspect(q url.Values, checkIss bool) (code string, final, reject error) {
	state := q["state"]
	if len(state) != 1 || subtle.ConstantTimeCompare([]byte(state[0]), []byte(f.state)) != 1 {
		return "", nil, ErrStateMismatch
	}
	ep := f.client.Endpoint
	if iss := q["iss"]; checkIss && (ep.IssParameterSupported || (len(iss) > 0 && ep.Issuer != "")) {
		switch {
		case len(iss) == 0:
			return "", fmt.Errorf("the response has no iss parameter although %s promised one: %w", ep.Issuer, ErrIssuerMismatch), nil
		case len(iss) > 1 || !sameIssuer(iss[0], ep.Issuer):
			return "", fmt.Errorf("the response names issuer %q, expected %q: %w",
				scrub(strings.Join(iss, ","), nil, maxDescription), ep.Issuer, ErrIssuerMismatch), nil
		}
	}
	if q.Get("error") != "" {
		// The page and the caller show it: nothing of this sign-in's
		// secrets, nor anything token-like, may be repeated in it.
		return "", authorizationError(q, f.state, f.verifier, oauth2.S256ChallengeFromVerifier(f.verifier)), nil
	}
	if c := q["code"]; len(c) != 1 || c[0] == "" {
		return "", errors.New("the authorization response has no code"), nil
	}
	return q.Get("code"), nil, nil
}

// claim makes the caller the one who completes the flow.
func (f *Flow) claim() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.phase != waiting {
		return fmt.Errorf("%w", ErrFlowFinished)
	}
	f.phase = exchanging
	return nil
}

// complete ends a claimed flow: with final, or with the result of
// exchanging code (RFC 6749 §4.1.3, RFC 7636 §4.5) once the hold after
// the latest StartURL is over. It returns the outcome, which an abort may
// have decided first.
func (f *Flow) complete(code string, final error) (*Token, error) {
	if final != nil {
		f.end(nil, final, false)
		return f.result()
	}
	tok, err := f.exchange(code)
	f.end(tok, err, false)
	return f.result()
}

// exchange redeems code at the token endpoint (RFC 6749 §4.1.3, RFC 7636
// §4.5), after the hold that follows the launch of the browser.
func (f *Flow) exchange(code string) (*Token, error) {
	// Held while a second visit of a start URL may still come (see
	// StartURL); a StartURL call meanwhile restarts the hold. (Once slept,
	// the hold counts as over unless it was restarted, whatever the clock
	// says: a clock that is not advanced must not hold the code forever.)
	for launched := (time.Time{}); ; {
		since, wait := f.holdLeft()
		if wait <= 0 || since.Equal(launched) {
			break
		}
		if err := f.client.sleep(f.ctx, wait); err != nil {
			return nil, fmt.Errorf("sign-in abandoned: %w", err)
		}
		launched = since
	}
	return f.client.tokenRequest(f.ctx, "exchange", map[string]string{
		"grant_type":    "authorization_code",
		"code":          code,
		"redirect_uri":  f.redirectURI,
		"code_verifier": f.verifier,
	})
}

// holdLeft returns the latest StartURL time and how long a code must still
// be held: until Hold after it, 0 when StartURL was not called.
func (f *Flow) holdLeft() (launched time.Time, wait time.Duration) {
	f.mu.Lock()
	launched = f.launched
	f.mu.Unlock()
	if launched.IsZero() {
		return launched, 0
	}
	return launched, launched.Add(f.hold).Sub(f.client.now())
}

// expire ends the flow when its time is up, unless a response is being
// exchanged.
func (f *Flow) expire() {
	f.end(nil, fmt.Errorf("no sign-in response within %v: %w", f.timeout, ErrSignInTimeout), true)
}

// abort ends the flow with err, cancelling an exchange in progress.
func (f *Flow) abort(err error) {
	f.cancel()
	f.end(nil, err, false)
}

// end records the outcome unless there already is one (or, with
// onlyWaiting, unless a response has been accepted), then closes the
// listener in the background: an HTTP handler calling end is still
// writing its page, which the graceful shutdown waits for.
func (f *Flow) end(tok *Token, err error, onlyWaiting bool) {
	f.mu.Lock()
	if f.phase == finished || (onlyWaiting && f.phase != waiting) {
		f.mu.Unlock()
		return
	}
	f.phase, f.tok, f.err = finished, tok, err
	close(f.done)
	f.mu.Unlock()
	go f.shutdown()
}

func (f *Flow) result() (*Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tok, f.err
}

// shutdown closes the listener and lets the last page be delivered (for at
// most 2 s). Concurrent callers return once it is done.
func (f *Flow) shutdown() {
	f.shutOnce.Do(func() {
		f.ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		f.srv.Shutdown(ctx)
		f.srv.Close()
		f.cancel()
	})
}
