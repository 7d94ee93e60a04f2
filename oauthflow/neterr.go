package oauthflow

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// unreachableError is a request that got no answer: "cannot reach
// https://login.example.com: connection refused". It names the server
// (scheme and host, never path or query) and says why in words, not in Go's
// transport texts; errors.Is and errors.As still see the cause (Classify
// and the cancellation checks rely on it).
type unreachableError struct {
	origin string
	err    error
}

func (e *unreachableError) Error() string {
	return "cannot reach " + e.origin + ": " + netReason(e.err)
}
func (e *unreachableError) Unwrap() error { return e.err }

// unreachable wraps a transport error of a request to u.
func unreachable(u *url.URL, err error) error {
	return &unreachableError{origin: u.Scheme + "://" + u.Host, err: err}
}

// netReason says in words why a request got no answer.
func netReason(err error) string {
	var dns *net.DNSError
	var errno syscall.Errno
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "no answer in time"
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return "unknown host " + dns.Name
		}
		return "cannot look up " + dns.Name
	case errors.As(err, &errno):
		return errno.Error() // "connection refused", "network is unreachable"
	case errors.As(err, &unknownCA):
		return "its certificate is signed by an unknown authority"
	case errors.As(err, &hostname):
		return "its certificate is not valid for " + hostname.Host
	case errors.As(err, &invalid):
		return "its certificate is not valid (" + strings.TrimPrefix(invalid.Error(), "x509: ") + ")"
	}
	// The innermost error, without Go's package prefixes.
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	msg := err.Error()
	for _, p := range []string{"tls: ", "x509: ", "http: ", "net/http: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return msg
}
