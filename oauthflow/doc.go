// Package oauthflow speaks the OAuth 2.0 protocol for tokentray: the
// authorization code grant with PKCE for native apps (RFC 6749 §4.1,
// RFC 7636, RFC 8252), the device authorization grant (RFC 8628), the
// refresh_token grant (RFC 6749 §6), token revocation (RFC 7009) and
// authorization server discovery (OpenID Connect Discovery 1.0, RFC 8414).
//
// A [Client] describes one client registration at one authorization server,
// including how it authenticates ([ClientAuth]: client_secret_basic,
// client_secret_post or none, RFC 6749 §2.3.1).
// [Client.StartSignIn] begins a sign-in: the caller launches a browser (see
// [OpenBrowser]) with [Flow.StartURL], a one-time loopback URL that
// redirects to the authorization request, so that the request is on no
// command line (or prints [Flow.URL] for a browser on another machine), and
// [Flow.Wait] returns the first [Token] once the browser's redirect reaches
// the loopback listener, or once the user has pasted the redirect URL or
// code ([Flow.Paste]). [Client.StartDevice] and [Client.PollDevice] sign in
// with a user code entered on another device. [Token.Identity] says who
// signed in, for display.
// [Client.Refresh] trades a refresh token for a new Token; failures are
// returned as *[Error], and [Classify] tells the keepalive engine whether to
// retry ([Transient]), ask the user to sign in again ([Terminal]) or wait for
// the network ([Offline]). A Client configured with only an issuer has its
// endpoints discovered ([Client.Discover]).
//
// Credentials are carried as [Secret], which never prints its value, and no
// error produced here contains a token: an *Error keeps only the HTTP status,
// the RFC 6749 §5.2 "error" code and a shortened "error_description", with
// any credential that was sent in the request or came in the answer (as
// sent, encoded, or a piece of it) and every word that looks like a token
// scrubbed from them. The same holds for an authorization error response
// (RFC 6749 §4.1.2.1), shown on the sign-in page and returned by
// [Flow.Wait].
//
// Token requests go only to https URLs, or to http URLs whose host is a
// loopback address or "localhost" (see [CheckURL]); they never follow
// redirects, so a refresh token is never forwarded to another location.
//
// The sub-package oauthtest is a fake authorization server on loopback for
// tests and the demo mode.
package oauthflow
