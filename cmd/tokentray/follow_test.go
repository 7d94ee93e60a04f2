package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// The running instance follows config.toml: an account added to the file
// is shown without a restart, one removed disappears, and a file that
// does not parse leaves the running accounts alone.
func TestRunFollowsConfig(t *testing.T) {
	h := newHome(t, oauthtest.Options{})
	h.writeConfig(h.ownedAccount("work"))
	h.signIn("work")
	h.signIn("home")
	cmd := exec.Command(binary, "run", "--headless")
	cmd.Env = h.env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	status := filepath.Join(h.stateDir(), "status.json")
	shows := func(name string) func() bool {
		return func() bool {
			data, _ := os.ReadFile(status)
			return strings.Contains(string(data), `"account":"`+name+`"`)
		}
	}
	keepalivetest.Eventually(t, "the first status", shows("work"))

	h.writeConfig(h.ownedAccount("work") + h.ownedAccount("home"))
	keepalivetest.Eventually(t, "the added account", shows("home"))

	h.writeConfig(h.ownedAccount("home") + "[account.broken\n")
	logFile := filepath.Join(h.stateDir(), "tokentray.log")
	keepalivetest.Eventually(t, "the broken file to be reported", func() bool {
		data, _ := os.ReadFile(logFile)
		return strings.Contains(string(data), "the changed configuration is not used")
	})
	if !shows("work")() || !shows("home")() {
		t.Fatal("a file that does not parse changed the running accounts")
	}
	h.writeConfig(h.ownedAccount("home"))
	keepalivetest.Eventually(t, "the removed account to go", func() bool { return shows("home")() && !shows("work")() })

	// Watched stores follow the file too.
	exp := time.Now().Add(time.Hour).UnixMilli()
	store := h.writeStore("elsewhere/creds.json", fmt.Sprintf(`{"claudeAiOauth":{"accessToken":"a","refreshToken":"r","expiresAt":%d}}`, exp))
	watch := fmt.Sprintf("[watch.mine]\nkind = \"claude-code\"\npath = %q\n", store)
	h.writeConfig(h.ownedAccount("home") + watch)
	keepalivetest.Eventually(t, "the added watched store", shows("mine"))
	h.writeConfig(h.ownedAccount("home"))
	keepalivetest.Eventually(t, "the removed watched store to go", func() bool { return shows("home")() && !shows("mine")() })

	// The log (the tray's Open log) is for people too: no package names
	// in its messages.
	data, _ := os.ReadFile(logFile)
	if m := regexp.MustCompile(`msg="?(keepalive|tokentray|tray|oauthflow|watched|config|store): `).Find(data); m != nil {
		t.Errorf("a log message starts with a package name (%s):\n%s", m, data)
	}
}
