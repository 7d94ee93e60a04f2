package notify

import (
	"net/url"
	"strings"
)

// Windows toasts (go-toast v1.1.2) are built with text/template, which
// does not escape: the activation arguments go into XML attributes and
// the texts into CDATA sections. These helpers keep every value inert.
// They are untagged so they are tested on every OS.

// toastArgsPrefix starts the activation arguments of our toasts.
const toastArgsPrefix = "tokentray-action:"

// toastArgs encodes an action name and a notification key as activation
// arguments. url.QueryEscape leaves only [A-Za-z0-9-_.~%+], which need no
// XML escaping.
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

// toastText makes s safe inside a CDATA section, which ends at the first
// "]]>".
func toastText(s string) string {
	return strings.ReplaceAll(s, "]]>", "]] >")
}

// xmlAttrSafe reports whether s can be placed in an XML attribute
// without escaping.
func xmlAttrSafe(s string) bool {
	return !strings.ContainsAny(s, `<>&"'`)
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
