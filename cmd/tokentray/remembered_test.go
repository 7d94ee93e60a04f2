package main

import (
	"strings"
	"testing"

	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// TestRejectionIsRemembered: a refresh rejected with invalid_grant by one
// process (no instance running) is what every later process reports:
// status shows needs sign-in and exits 1, token exits 2 with the reason
// and the next step instead of printing the revoked access token, and no
// further request is sent with a refresh token known to be dead.
func TestRejectionIsRemembered(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	h.writeConfig(h.ownedAccount("work"))
	h.signIn("work")

	h.iss.Inject(oauthtest.Fault{Kind: oauthtest.InvalidGrant})
	if _, errOut, code := h.run("refresh", "--force", "work"); code == 0 {
		t.Fatalf("refresh --force answered invalid_grant, yet exit 0: %s", errOut)
	}
	sent := h.iss.Stats().Refreshes

	out, _, code := h.run("status")
	if code != 1 || !strings.Contains(out, "needs sign-in") || strings.Contains(out, " ok ") {
		t.Errorf("status after a rejection: exit %d\n%s", code, out)
	}
	tok, errOut, code := h.run("token", "work")
	if code != 2 || tok != "" || !strings.Contains(errOut, "tokentray login work") {
		t.Errorf("token after a rejection: exit %d, stdout %q, stderr %q", code, tok, errOut)
	}
	if _, _, code := h.run("refresh", "work"); code == 0 {
		t.Error("refresh of a rejected login: exit 0")
	}
	if n := h.iss.Stats().Refreshes; n != sent {
		t.Errorf("%d more refresh requests sent with a rejected refresh token", n-sent)
	}

	// A new login ends it.
	h.signIn("work")
	if tok, errOut, code := h.run("token", "work"); code != 0 || !h.iss.Valid(strings.TrimSpace(tok)) {
		t.Errorf("token after a new login: exit %d: %s", code, errOut)
	}
	h.assertNoLeaks()
}

// TestFailuresAreRememberedPastAToken: three failed refreshes (503) by
// separate processes need the user; a token handed out meanwhile (still
// valid, with a warning) does not make status forget them.
func TestFailuresAreRememberedPastAToken(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	h.writeConfig(h.ownedAccount("work"))
	h.signIn("work")
	h.iss.FailAll(oauthtest.Fault{Kind: oauthtest.ServerError})
	for range 3 {
		if _, _, code := h.run("refresh", "--force", "work"); code != 1 {
			t.Fatalf("refresh --force against a failing server: exit %d", code)
		}
	}
	tok, errOut, code := h.run("token", "work")
	if code != 0 || !h.iss.Valid(strings.TrimSpace(tok)) {
		t.Fatalf("token while the access token is valid: exit %d %s", code, errOut)
	}
	if !strings.Contains(errOut, "warning: work needs sign-in (3 refreshes failed in a row)") {
		t.Errorf("token did not warn: %q", errOut)
	}
	out, _, code := h.run("status")
	if code != 1 || !strings.Contains(out, "3 refreshes failed in a row") {
		t.Errorf("status after token: exit %d\n%s", code, out)
	}
	h.assertNoLeaks()
}
