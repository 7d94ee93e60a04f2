package oauthtest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// FaultKind selects how an injected fault answers a token request.
type FaultKind int

const (
	// ServerError answers 503 with a JSON error body (and Fault.RetryAfter
	// as Retry-After, if set).
	ServerError FaultKind = iota + 1
	// RateLimited answers 429 with Retry-After: Fault.RetryAfter ("1" when
	// empty).
	RateLimited
	// Slow waits Fault.Delay (2 s when zero) and then handles the request
	// normally. If the client gives up first, the request is dropped
	// without being processed, so no refresh token is rotated (see
	// Stats.Abandoned).
	Slow
	// MalformedJSON answers 200 with a truncated JSON body.
	MalformedJSON
	// HTMLError answers 502 with an HTML page, as a reverse proxy would.
	HTMLError
	// InvalidGrant answers 400 invalid_grant without touching any token.
	InvalidGrant
	// DropConnection closes the connection without answering.
	DropConnection
	// Oversize answers 200 with a JSON body larger than 1 MiB.
	Oversize
)

var faultNames = map[FaultKind]string{
	ServerError:    "ServerError",
	RateLimited:    "RateLimited",
	Slow:           "Slow",
	MalformedJSON:  "MalformedJSON",
	HTMLError:      "HTMLError",
	InvalidGrant:   "InvalidGrant",
	DropConnection: "DropConnection",
	Oversize:       "Oversize",
}

func (k FaultKind) String() string {
	if s, ok := faultNames[k]; ok {
		return s
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is an injected failure of the token endpoint.
type Fault struct {
	Kind FaultKind
	// Count is how many token requests a queued fault answers; 0 means 1.
	// FailAll ignores it.
	Count int
	// RetryAfter is sent as the Retry-After header by ServerError and
	// RateLimited, verbatim (seconds or an HTTP-date, or garbage on
	// purpose).
	RetryAfter string
	// Delay is how long Slow waits.
	Delay time.Duration
	// Reached, when not nil, is sent to (without blocking: give it room)
	// each time a token request meets the fault, so a test can await the
	// request instead of polling Stats.
	Reached chan<- struct{}
}

// Inject queues f: the next f.Count token requests (after those claimed by
// faults queued earlier) are answered by it.
func (i *Issuer) Inject(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.queue = append(i.queue, f)
}

// FailAll makes every token request not claimed by a queued fault fail
// with f until ClearFaults.
func (i *Issuer) FailAll(f Fault) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.failAll = &f
}

// ClearFaults drops queued faults and the FailAll fault.
func (i *Issuer) ClearFaults() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.queue, i.failAll = nil, nil
}

func (i *Issuer) takeFaultLocked() (Fault, bool) {
	if len(i.queue) > 0 {
		f := i.queue[0]
		if i.queue[0].Count--; i.queue[0].Count == 0 {
			i.queue = i.queue[1:]
		}
		return f, true
	}
	if i.failAll != nil {
		return *i.failAll, true
	}
	return Fault{}, false
}

// serveFault answers r according to f. It reports whether the request
// should still be handled normally (Slow).
func (i *Issuer) serveFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Reached != nil {
		select {
		case f.Reached <- struct{}{}:
		default:
		}
	}
	switch f.Kind {
	case ServerError:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, &oauthError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", desc: "injected fault: server error"})
	case RateLimited:
		ra := f.RetryAfter
		if ra == "" {
			ra = "1"
		}
		w.Header().Set("Retry-After", ra)
		writeError(w, &oauthError{status: http.StatusTooManyRequests, code: "rate_limit_exceeded", desc: "injected fault: too many requests"})
	case Slow:
		d := f.Delay
		if d <= 0 {
			d = 2 * time.Second
		}
		return i.delay(r, d)
	case MalformedJSON:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"token_type":"Bearer","expires_in":3600,"access_token":`))
	case HTMLError:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>502 Bad Gateway</h1><p>injected fault</p></body></html>\n"))
	case InvalidGrant:
		writeError(w, errInvalidGrant("injected fault: refresh token rejected"))
	case DropConnection:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic(http.ErrAbortHandler)
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
	case Oversize:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"access_token":"oversize","token_type":"Bearer","padding":"`))
		w.Write([]byte(strings.Repeat("x", 1<<20+64<<10)))
		w.Write([]byte(`"}`))
	default:
		http.Error(w, "unknown injected fault "+f.Kind.String(), http.StatusInternalServerError)
	}
	return false
}

// abandoned counts a request dropped because its client went away
// (Stats.Abandoned).
func (i *Issuer) abandoned() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.stats.Abandoned++
}
