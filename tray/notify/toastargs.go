package notify

import (
	"encoding/xml"
	"net/url"
	"strings"
)

// The Windows backend builds the toast XML itself (toastXML) and hands it
// to the Windows Runtime; no value is ever placed in a script or a
// template. These helpers are untagged so they are tested on every OS.

// toastArgsPrefix starts the activation arguments of our toasts.
const toastArgsPrefix = "tokentray-action:"

// toastArgs encodes an action name and a notification key as activation
// arguments. url.QueryEscape leaves only [A-Za-z0-9-_.~%+].
func toastArgs(name, key string) string {
	return toastArgsPrefix + name + ":" + url.QueryEscape(key)
}

// parseToastArgs reverses toastArgs; ok is false for anything else.
func parseToastArgs(args string) (name, key string, ok bool) {
	rest, found := strings.CutPrefix(args, toastArgsPrefix)
	if !found {
		return "", "", false
	}
	name, enc, found := strings.Cut(rest, ":")
	if !found || (name != ActionSignIn && name != ActionDefault) {
		return "", "", false
	}
	key, err := url.QueryUnescape(enc)
	if err != nil {
		return "", "", false
	}
	return name, key, true
}

// xmlEscape escapes s for XML character data and attribute values
// (quotes included).
func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// toastXML renders n as a toast document (the ToastGeneric template): a
// click on the toast activates ActionDefault, the "Sign In" button (when
// n.SignIn) ActionSignIn, both in the foreground. icon is an absolute
// file path or "". Every value is escaped: the texts cannot add elements
// or end the document.
func toastXML(n Notification, icon string) string {
	duration := "short"
	if n.SignIn {
		duration = "long"
	}
	var b strings.Builder
	b.WriteString(`<toast activationType="foreground" launch="` + xmlEscape(toastArgs(ActionDefault, n.Key)) + `" duration="` + duration + `">`)
	b.WriteString(`<visual><binding template="ToastGeneric">`)
	if icon != "" {
		b.WriteString(`<image placement="appLogoOverride" src="` + xmlEscape(icon) + `"/>`)
	}
	b.WriteString(`<text>` + xmlEscape(n.Title) + `</text>`)
	if n.Body != "" {
		b.WriteString(`<text>` + xmlEscape(n.Body) + `</text>`)
	}
	b.WriteString(`</binding></visual>`)
	b.WriteString(`<audio src="ms-winsoundevent:Notification.Default"/>`)
	if n.SignIn {
		b.WriteString(`<actions><action activationType="foreground" content="` + xmlEscape(SignInLabel) +
			`" arguments="` + xmlEscape(toastArgs(ActionSignIn, n.Key)) + `"/></actions>`)
	}
	b.WriteString(`</toast>`)
	return b.String()
}
