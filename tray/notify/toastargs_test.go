package notify

import "testing"

func TestToastArgsRoundTrip(t *testing.T) {
	for _, key := range []string{"alice", "", "a b&c<d>\"e'f]]>", "ünïcode/ключ:%"} {
		for _, name := range []string{ActionSignIn, ActionDefault} {
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
	for _, bad := range []string{"", "https://example.com", "tokentray-action:", "tokentray-action:delete:alice", "tokentray-action:signin", "tokentray-action:signin:%zz"} {
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

func TestSignInBody(t *testing.T) {
	if got := signInBody(""); got != TrayHint {
		t.Errorf("signInBody(\"\") = %q", got)
	}
	if got := signInBody("Expired."); got != "Expired.\n\n"+TrayHint {
		t.Errorf("signInBody = %q", got)
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
