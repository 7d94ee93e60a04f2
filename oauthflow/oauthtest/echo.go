package oauthtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// EchoMarker starts the part of an error_description that Options.EchoSecrets
// adds, so a test can tell the echo reached the client.
const EchoMarker = "echo:"

// echoParams are the request parameters (body or query) that are echoed.
var echoParams = []string{"refresh_token", "code", "code_verifier", "device_code", "token", "client_secret", "state", "code_challenge", "nonce"}

// echoSecrets wraps next so that its error answers repeat the request's
// credentials (Options.EchoSecrets).
func (i *Issuer) echoSecrets(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
		r.Body = io.NopCloser(bytes.NewReader(body))
		vals := r.URL.Query()
		if form, err := url.ParseQuery(string(body)); err == nil {
			maps.Copy(vals, form)
		}
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			for k, v := range m {
				if s, ok := v.(string); ok {
					vals.Set(k, s)
				}
			}
		}
		var sent []string
		for _, k := range echoParams {
			if v := vals.Get(k); v != "" {
				sent = append(sent, v)
			}
		}
		if u, p, ok := r.BasicAuth(); ok {
			sent = append(sent, u, p, strings.TrimPrefix(r.Header.Get("Authorization"), "Basic "))
		}
		rec := &recorder{w: w, header: make(http.Header)}
		next.ServeHTTP(rec, r)
		if rec.hijacked {
			return
		}
		echo := i.echo(sent)
		if loc := rec.header.Get("Location"); loc != "" {
			if u, err := url.Parse(loc); err == nil && u.Query().Get("error") != "" {
				q := u.Query()
				q.Set("error_description", strings.TrimSpace(q.Get("error_description")+" "+echo))
				u.RawQuery = q.Encode()
				rec.header.Set("Location", u.String())
			}
		}
		if rec.status >= 300 {
			var e map[string]any
			if json.Unmarshal(rec.body.Bytes(), &e) == nil && e["error"] != nil {
				d, _ := e["error_description"].(string)
				e["error_description"] = strings.TrimSpace(d + " " + echo)
				b, _ := json.Marshal(e)
				rec.body.Reset()
				rec.body.Write(b)
				rec.header.Del("Content-Length")
			}
		}
		maps.Copy(w.Header(), rec.header)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
	})
}

// echo is the text EchoSecrets adds: each sent value as sent, form-encoded
// and cut to its first 12 characters, then everything issued so far.
func (i *Issuer) echo(sent []string) string {
	var b strings.Builder
	b.WriteString(EchoMarker)
	for _, v := range sent {
		b.WriteString(" sent " + v + " (" + url.QueryEscape(v) + "), ")
		if len(v) > 12 {
			b.WriteString("starting " + v[:12] + "…,")
		}
	}
	i.mu.Lock()
	issued := slices.Clone(i.issued)
	i.mu.Unlock()
	for _, v := range issued {
		b.WriteString(" issued " + v + ",")
	}
	return strings.TrimSuffix(b.String(), ",")
}

// recorder holds an answer back so that echoSecrets can rewrite it.
type recorder struct {
	w        http.ResponseWriter
	header   http.Header
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// Hijack lets the DropConnection fault work under EchoSecrets.
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.w.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("cannot hijack")
	}
	r.hijacked = true
	return hj.Hijack()
}
