// Package oauthtest runs a fake OAuth 2.0 / OpenID Connect authorization
// server on a loopback HTTP listener, for unit tests, cross-process tests
// and tokentray's demo mode. It does not depend on package testing: Start
// it, use it, Close it.
//
// The authorization endpoint (AuthorizePath) implements the authorization
// code grant for native apps: PKCE with S256 is mandatory (RFC 7636),
// redirect URIs must be registered, with any port allowed for loopback
// ones (RFC 8252 §7.3), and every redirect carries iss (RFC 9207). Codes
// are single-use and expire after Options.CodeTTL; replaying one revokes
// the login it created (RFC 6749 §4.1.2). [Issuer.SetConsent] makes the
// simulated user deny, the server answer with another error, take its
// time or send a wrong iss. A [Browser] plays the user's browser: it
// follows the redirect to the client's loopback listener.
//
// The token endpoint (TokenPath) accepts form-encoded and JSON bodies and
// implements the authorization_code grant, which starts a login (token
// family), and the refresh_token grant (RFC 6749 §6) with rotation: every
// refresh returns a new refresh token and invalidates the old one, and
// replaying an invalidated refresh token revokes the whole login and
// answers invalid_grant (RFC 9700 §4.14.2). Clients authenticate with
// client_id, plus client_secret or HTTP Basic for confidential clients
// (RFC 6749 §2.3.1; ClientReg.AuthMethod can require one of them, and
// Options.TokenAuthMethods sets what the metadata advertises); failures
// answer 401 invalid_client. The revocation endpoint (RevocationPath,
// RFC 7009) revokes a token's login. Metadata is served at DiscoveryPath
// and MetadataPath.
//
// The device authorization grant (RFC 8628): DeviceAuthorizationPath hands
// out device and user codes, the token endpoint answers the device_code
// grant with authorization_pending, slow_down (when polled faster than
// Options.DeviceInterval, or on request), access_denied, expired_token or
// the tokens. Tests decide for the user with [Issuer.ApproveDevice],
// [Issuer.DenyDevice], [Issuer.SlowDownDevice] and [Issuer.ExpireDevice];
// a [Browser] opening verification_uri_complete (VerificationPath) approves
// as the current Consent says, which the demo uses.
//
// Options make the issuer answer like particular real servers:
// NanosecondExpiresIn and JWTAccessTokens like oauth2-proxy's mockoidc,
// StringNumbers, NoRotation, and NoRefreshToken (offline_access not
// granted).
//
// Logins are created by a sign-in through the authorization endpoint, or
// with [Issuer.Mint] without a browser. [Issuer.Inject] and
// [Issuer.FailAll] make token requests fail in the ways real servers and
// networks do (503, 429 with Retry-After, slow answers, malformed JSON,
// HTML error pages, invalid_grant, dropped connections, oversized bodies).
// [Issuer.Stats], [Issuer.Requests] and [Issuer.IssuedSecrets] let tests
// see what happened and check that no token leaked.
//
// Tokens and codes are opaque random strings with the prefixes
// AccessTokenPrefix, RefreshTokenPrefix and AuthCodePrefix; ID tokens are
// unsigned JWTs (alg "none").
package oauthtest
