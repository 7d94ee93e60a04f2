package oauthtest

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// maxPageSize bounds the page bodies a Browser keeps.
const maxPageSize = 1 << 20

// Browser stands in for the user's web browser in tests and the demo: Open
// GETs a URL, follows redirects (the authorization endpoint's 302 to the
// loopback redirect URI) and records the page it ends on. It runs no
// scripts and keeps no cookies. Its Open method has the signature of a
// URL opener. The zero value is ready to use and safe for concurrent use.
type Browser struct {
	// Client is used for the requests (its CheckRedirect is replaced);
	// nil means a client with a 30 s timeout.
	Client *http.Client
	// NoFollow stops at the first redirect, as when the browser runs on
	// another machine and cannot reach the loopback listener: the user
	// then copies the URL from the address bar (Page.Redirect) and pastes
	// it.
	NoFollow bool

	mu      sync.Mutex
	history []Page
}

// Page is where a Browser ended up after Open.
type Page struct {
	// URL is the address of the final page.
	URL string
	// Status and Body are the final response's; Header its header.
	Status int
	Body   string
	Header http.Header
	// Redirects are the redirect targets, in the order met; Redirect is
	// the last one (with the default client, the authorization response
	// delivered to the redirect URI).
	Redirects []string
	Redirect  string
	// Err is the transport error, if Open failed.
	Err error
}

// Open visits url like a browser would and records the resulting Page. It
// fails only when no final page could be loaded (connection refused,
// timeout); an error page is a successful visit.
func (b *Browser) Open(url string) error {
	var hc http.Client
	if b.Client != nil {
		hc = *b.Client
	} else {
		hc.Timeout = 30 * time.Second
	}
	var redirects []string
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		redirects = append(redirects, req.URL.String())
		if b.NoFollow {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("oauthtest: too many redirects")
		}
		return nil
	}
	p := Page{URL: url}
	resp, err := hc.Get(url)
	if err == nil {
		defer resp.Body.Close()
		var body []byte
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxPageSize))
		p.URL, p.Status, p.Header, p.Body = resp.Request.URL.String(), resp.StatusCode, resp.Header, string(body)
	}
	p.Err = err
	p.Redirects = redirects
	if len(redirects) > 0 {
		p.Redirect = redirects[len(redirects)-1]
	}
	b.mu.Lock()
	b.history = append(b.history, p)
	b.mu.Unlock()
	return err
}

// Last returns the page of the latest Open, or a zero Page.
func (b *Browser) Last() Page {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.history) == 0 {
		return Page{}
	}
	return b.history[len(b.history)-1]
}

// History returns the pages of every Open, oldest first.
func (b *Browser) History() []Page {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.history)
}
