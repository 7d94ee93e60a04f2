//go:build linux

package main

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/tokentray/tokentray/keepalive/keepalivetest"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// signInFailureOutputs runs the browser sign-ins a user abandons or another
// program spoils and returns everything printed and shown: the start URL
// opened a second time, and Ctrl-C while the code is held.
func signInFailureOutputs(t *testing.T, h *home) []string {
	bin, opened := fakeOpener(t)
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	startURL := func(n int) string {
		var url string
		keepalivetest.Eventually(t, "the browser to be opened", func() bool {
			data, _ := os.ReadFile(opened)
			lines := strings.Fields(string(data))
			if len(lines) < n {
				return false
			}
			url = lines[n-1]
			return true
		})
		return url
	}
	var out []string

	// Another program opens the one-time start URL after the browser.
	r := startLogin(t, h, env, "login", "work")
	url := startURL(1)
	first, second := &oauthtest.Browser{NoFollow: true}, &oauthtest.Browser{NoFollow: true}
	first.Open(url)
	second.Open(url)
	r.wait()
	out = append(out, "login (start URL opened twice)\n"+r.stdout.String()+r.stderr.String(), second.Last().Body)
	if !strings.Contains(r.stderr.String(), "another program opened your sign-in link") {
		t.Errorf("second visit of the start URL: stderr %q", r.stderr.String())
	}

	// Ctrl-C while the code is held after the browser's redirect.
	r = startLogin(t, h, env, "login", "work")
	url = startURL(2)
	before := h.iss.Stats().Authorizations
	b := &oauthtest.Browser{}
	done := make(chan struct{})
	go func() { defer close(done); b.Open(url) }()
	keepalivetest.Eventually(t, "the code to be issued", func() bool { return h.iss.Stats().Authorizations > before })
	r.cmd.Process.Signal(syscall.SIGINT)
	r.wait()
	<-done
	out = append(out, "login (abandoned)\n"+r.stdout.String()+r.stderr.String(), b.Last().Body)
	return out
}
