package notify

import "testing"

func TestToastArgsRoundTrip(t *testing.T) {
	for _, key := range []string{"alice", "", "a b&c<d>\"e'f]]>", "ünïcode/ключ:%"} {
		for _, name := range []string{ActionSignIn, ActionDefault, "open-page"} {
			args := toastArgs(name, key)
			if !xmlAttrSafe(args) {
				t.Errorf("toastArgs(%q, %q) = %q is not XML-attribute safe", name, key, args)
			}
			gn, gk, ok := parseToastArgs(args)
			if !ok || gn != name || gk != key {
				t.Errorf("parseToastArgs(%q) = %q, %q, %v; want %q, %q", args, gn, gk, ok, name, key)
			}
		}
	}
	for _, bad := range []string{"", "https://example.com", "tokentray-action:", "tokentray-action:Del ete:alice", "tokentray-action:9x:alice", "tokentray-action:signin", "tokentray-action:signin:%zz"} {
		if _, _, ok := parseToastArgs(bad); ok {
			t.Errorf("parseToastArgs(%q) accepted", bad)
		}
	}
}

func TestToastText(t *testing.T) {
	if got := toastText("a ]]> b ]]>"); got != "a ]] > b ]] >" {
		t.Errorf("toastText = %q", got)
	}
	if !xmlAttrSafe(`C:\Users\bob\AppData\Local\tokentray\notify-icon.png`) || xmlAttrSafe(`C:\Users\R&D\x.png`) {
		t.Error("xmlAttrSafe misjudges paths")
	}
}

func TestFallbackBody(t *testing.T) {
	for _, c := range []struct {
		n    Notification
		want string
	}{
		{Notification{SignIn: true}, TrayHint},
		{Notification{SignIn: true, Body: "Expired."}, "Expired.\n\n" + TrayHint},
		{Notification{Body: "Signed in."}, "Signed in."},
		{Notification{Body: "http://x/", Buttons: []Button{{"copy", "Copy link"}}, NoButtonsHint: "Or use the menu."}, "http://x/\n\nOr use the menu."},
		{Notification{SignIn: true, Body: "b", NoButtonsHint: "h"}, "b\n\nh"},
	} {
		if got := c.n.fallbackBody(); got != c.want {
			t.Errorf("fallbackBody(%+v) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestActionSinkNeverBlocks(t *testing.T) {
	s := newActionSink()
	for i := range actionBuffer + 5 {
		s.send(Action{Key: string(rune('a' + i%26)), Name: ActionSignIn})
	}
	if len(s.ch) != actionBuffer {
		t.Errorf("buffered %d actions, want %d", len(s.ch), actionBuffer)
	}
	s.close()
	s.close()
	s.send(Action{Key: "late"}) // must neither panic nor block
	n := 0
	for range s.ch {
		n++
	}
	if n != actionBuffer {
		t.Errorf("drained %d actions", n)
	}
}
