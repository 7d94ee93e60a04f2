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
	if !found || !actionName(name) {
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
// button per notification button (Sign In first), a click on the toast
// activating the first button (ActionDefault when there is none), all in
// the foreground. A toast with buttons, or an urgent one, stays long.
// icon is an absolute file path or "". Every value is escaped: the texts
// cannot add elements or end the document.
func toastXML(n Notification, icon string) string {
	buttons := n.buttons()
	duration, launch := "short", ActionDefault
	if len(buttons) > 0 {
		launch = buttons[0].ID
	}
	if len(buttons) > 0 || n.Urgent {
		duration = "long"
	}
	var b strings.Builder
	b.WriteString(`<toast activationType="foreground" launch="` + xmlEscape(toastArgs(launch, n.Key)) + `" duration="` + duration + `">`)
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
	if len(buttons) > 0 {
		b.WriteString(`<actions>`)
		for _, btn := range buttons {
			b.WriteString(`<action activationType="foreground" content="` + xmlEscape(btn.Label) +
				`" arguments="` + xmlEscape(toastArgs(btn.ID, n.Key)) + `"/>`)
		}
		b.WriteString(`</actions>`)
	}
	b.WriteString(`</toast>`)
	return b.String()
}

// actionName reports whether s can be an action name: lower-case letters,
// digits and dashes, starting with a letter (the names this package and
// its callers define).
func actionName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}
