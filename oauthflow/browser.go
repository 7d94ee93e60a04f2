package oauthflow

import (
	"io"
	"sync"

	"github.com/pkg/browser"
)

var quietBrowser sync.Once

// OpenBrowser opens url in the user's default browser. The opener program's
// output is discarded, so it cannot write on the caller's terminal.
func OpenBrowser(url string) error {
	quietBrowser.Do(func() { browser.Stdout, browser.Stderr = io.Discard, io.Discard })
	return browser.OpenURL(url)
}
