// Package oauthtest runs a fake OAuth 2.0 / OpenID Connect authorization
// server on a loopback HTTP listener, for unit tests, cross-process tests
// and tokentray's demo mode. It does not depend on package testing: Start
// it, use it, Close it.
//
// The token endpoint (TokenPath) accepts form-encoded and JSON bodies and
// implements the refresh_token grant (RFC 6749 §6) with rotation: every
// refresh returns a new refresh token and invalidates the old one, and
// replaying an invalidated refresh token revokes the whole login (token
// family) and answers invalid_grant (RFC 9700 §4.14.2). Clients
// authenticate with client_id, plus client_secret or HTTP Basic for
// confidential clients (RFC 6749 §2.3.1); failures answer 401
// invalid_client. Metadata is served at DiscoveryPath and MetadataPath.
//
// Logins are created with [Issuer.Mint] instead of a browser sign-in.
// [Issuer.Inject] and [Issuer.FailAll] make token requests fail in the ways
// real servers and networks do (503, 429 with Retry-After, slow answers,
// malformed JSON, HTML error pages, invalid_grant, dropped connections,
// oversized bodies). [Issuer.Stats], [Issuer.Requests] and
// [Issuer.IssuedSecrets] let tests see what happened and check that no
// token leaked.
//
// Tokens are opaque random strings with the prefixes AccessTokenPrefix and
// RefreshTokenPrefix; ID tokens are unsigned JWTs (alg "none").
package oauthtest
