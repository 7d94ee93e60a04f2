// Package watched reports, read-only, the health of OAuth logins that belong
// to other tools: Claude Code, the OpenAI Codex CLI, the Gemini CLI,
// opencode, the AWS CLI's IAM Identity Center sessions, the Azure CLI and
// the Google Cloud CLI. Each tool is a [Tool] descriptor in its own file,
// registered in one list.
//
// tokentray is not the OAuth client of these logins, so it never refreshes
// them: refresh tokens rotate (RFC 6749 §6) and a second refresher holding a
// stale copy logs the owner out (RFC 9700 §4.14.2). This package therefore
//
//   - opens the stores read-only and never creates, renames, chmods or
//     touches them (on Windows it opens them with FILE_SHARE_DELETE so the
//     owner can still replace the file while it is being read);
//   - parses a store into a [Meta] that holds only timestamps, whether a
//     refresh token is present and non-secret account details (email,
//     plan, account id). No token value is kept, logged, returned or sent
//     anywhere, and error messages never quote file contents;
//   - never uses the other tools' OAuth client registrations;
//   - delegates sign-in to the owning tool ([SignIn] runs e.g.
//     `claude auth login`, in a terminal window when the login asks
//     questions, with the store's profile in its environment).
//
// Typical use: [Discover] the stores, [Apply] the user's [Override]s, then
// for each [Source] call [Read] and [EvaluateSource] (or [Probe], which does both),
// and re-check a source whenever [Watch] reports a change.
package watched
