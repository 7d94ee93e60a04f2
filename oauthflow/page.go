package oauthflow

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
)

// page is one of the pages the loopback listener shows in the browser.
type page struct {
	class, title, message string
}

var (
	pageSignedIn = page{"ok", "Signed in",
		"tokentray has received your sign-in and will keep it alive. You can close this tab."}
	pageFailed = page{"fail", "Sign-in failed",
		"tokentray could not complete the sign-in. You can close this tab and start the sign-in again from tokentray."}
	pageStray = page{"fail", "Not the sign-in in progress",
		"This page does not belong to the sign-in tokentray is waiting for, so it was ignored. If you are signing in, use the tab tokentray opened. You can close this tab."}
	pageAlreadyDone = page{"fail", "Sign-in already completed",
		"tokentray has already received a response for this sign-in. You can close this tab."}
	pageIntercepted = page{"fail", "Sign-in cancelled",
		"Another program opened your sign-in link; sign-in cancelled. Nothing was stored. Close this tab and start the sign-in again from tokentray."}
	pageNotFound = page{"fail", "Not found",
		"There is nothing here. You can close this tab."}
)

// pageTemplate is self-contained: no scripts, images, fonts or other
// external resources, and everything inserted is escaped by html/template.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}} · tokentray</title>
<style>
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1f2328}
main{max-width:34rem;margin:1rem;padding:2rem 2.5rem;background:#fff;border-radius:12px;box-shadow:0 2px 14px rgba(0,0,0,.08)}
h1{margin:0 0 .75rem;font-size:1.4rem}
.ok h1{color:#1a7f37}.fail h1{color:#b42318}
pre{white-space:pre-wrap;word-break:break-word;background:#f4f5f7;padding:.75rem;border-radius:6px;font-size:.9rem}
small{color:#656d76}
@media (prefers-color-scheme:dark){body{background:#16181c;color:#e6e8eb}main{background:#22252a;box-shadow:none}pre{background:#16181c}.ok h1{color:#4ac26b}.fail h1{color:#ff7b72}small{color:#9198a1}}
</style>
</head>
<body>
<main class="{{.Class}}">
<h1>{{.Title}}</h1>
<p>{{.Message}}</p>
{{- with .Detail}}
<pre>{{.}}</pre>
{{- end}}
<p><small>tokentray</small></p>
</main>
</body>
</html>
`))

// writePage answers with p; detail, when not nil, is shown as the reason.
// Error messages of this package never contain a token.
func writePage(w http.ResponseWriter, status int, p page, detail error) {
	data := struct{ Class, Title, Message, Detail string }{p.class, p.title, p.message, ""}
	if detail != nil {
		data.Detail = detail.Error()
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, data); err != nil {
		http.Error(w, p.title, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
