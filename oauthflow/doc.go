// Package oauthflow speaks the OAuth 2.0 protocol for tokentray: the
// refresh_token grant (RFC 6749 §6) and, later, the authorization-code grant
// with PKCE (RFC 6749 §4.1, RFC 7636, RFC 8252).
//
// A [Client] describes one client registration at one authorization server.
// [Client.Refresh] trades a refresh token for a new [Token]; failures are
// returned as *[Error], and [Classify] tells the keepalive engine whether to
// retry ([Transient]), ask the user to sign in again ([Terminal]) or wait for
// the network ([Offline]).
//
// Credentials are carried as [Secret], which never prints its value, and no
// error produced here contains a token: an *Error keeps only the HTTP status,
// the RFC 6749 §5.2 "error" code and a shortened "error_description", with
// any credential that was sent in the request scrubbed from them.
//
// Token requests go only to https URLs, or to http URLs whose host is a
// loopback address or "localhost" (see [CheckURL]); they never follow
// redirects, so a refresh token is never forwarded to another location.
//
// The sub-package oauthtest is a fake authorization server on loopback for
// tests and the demo mode.
package oauthflow
