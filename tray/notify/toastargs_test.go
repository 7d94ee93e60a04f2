package notify

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestToastArgsRoundTrip(t *testing.T) {
	for _, key := range []string{"alice", "", "a b&c<d>\"e'f]]>", "ünïcode/ключ:%"} {
		for _, name := range []string{ActionSignIn, ActionDefault, "open-page"} {
			args := toastArgs(name, key)
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

// toastDoc is the part of a toast document the tests read back.
type toastDoc struct {
	XMLName  xml.Name `xml:"toast"`
	Launch   string   `xml:"launch,attr"`
	Duration string   `xml:"duration,attr"`
	Image    []struct {
		Src string `xml:"src,attr"`
	} `xml:"visual>binding>image"`
	Texts   []string `xml:"visual>binding>text"`
	Actions []struct {
		Content   string `xml:"content,attr"`
		Arguments string `xml:"arguments,attr"`
	} `xml:"actions>action"`
	Any []struct{ XMLName xml.Name } `xml:",any"`
}

func TestToastXMLKeepsEveryValueInert(t *testing.T) {
	hostile := []string{
		`work`,
		`a]]><text>injected</text><![CDATA[`,
		`$(Start-Process calc)`,
		"@\"\n\"@; Start-Process calc; @\"",
		`R&D "quoted" 'single' <tag/>`,
		"line one\nline two",
		`ünïcode ключ`,
	}
	for _, s := range hostile {
		n := Notification{Key: s, Title: s + " needs you to sign in", Body: "Body: " + s, SignIn: true}
		icon := `C:\Users\R&D "x"\AppData\Local\tokentray\icon.png`
		doc := toastXML(n, icon)
		var got toastDoc
		if err := xml.Unmarshal([]byte(doc), &got); err != nil {
			t.Fatalf("%q: not XML: %v\n%s", s, err, doc)
		}
		if len(got.Texts) != 2 || got.Texts[0] != n.Title || got.Texts[1] != n.Body {
			t.Errorf("%q: texts %q", s, got.Texts)
		}
		if len(got.Image) != 1 || got.Image[0].Src != icon {
			t.Errorf("%q: image %+v", s, got.Image)
		}
		if name, key, ok := parseToastArgs(got.Launch); !ok || name != ActionSignIn || key != s {
			t.Errorf("%q: launch %q (a click on the toast is its first button)", s, got.Launch)
		}
		if len(got.Actions) != 1 || got.Actions[0].Content != SignInLabel {
			t.Fatalf("%q: actions %+v", s, got.Actions)
		}
		if name, key, ok := parseToastArgs(got.Actions[0].Arguments); !ok || name != ActionSignIn || key != s {
			t.Errorf("%q: button arguments %q", s, got.Actions[0].Arguments)
		}
		if got.Duration != "long" {
			t.Errorf("duration %q", got.Duration)
		}
		if strings.Count(doc, "<text>") != 2 {
			t.Errorf("%q: extra elements:\n%s", s, doc)
		}
	}
}

func TestToastXMLButtons(t *testing.T) {
	doc := toastXML(Notification{Key: "work", Title: "Open this link to sign in to work", Body: "http://127.0.0.1:1/x",
		Buttons: []Button{{ID: "copy-link", Label: "Copy link"}}, Urgent: true}, "")
	var got toastDoc
	if err := xml.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Actions) != 1 || got.Actions[0].Content != "Copy link" || got.Duration != "long" {
		t.Fatalf("toast %+v", got)
	}
	for _, args := range []string{got.Launch, got.Actions[0].Arguments} {
		if name, key, ok := parseToastArgs(args); !ok || name != "copy-link" || key != "work" {
			t.Errorf("arguments %q", args)
		}
	}
	if got := toastXML(Notification{Key: "k", Title: "t", Urgent: true}, ""); !strings.Contains(got, `duration="long"`) {
		t.Errorf("urgent toast %s", got)
	}
}

func TestToastXMLPlain(t *testing.T) {
	doc := toastXML(Notification{Key: "k", Title: "work: signed in"}, "")
	var got toastDoc
	if err := xml.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Texts) != 1 || len(got.Image) != 0 || len(got.Actions) != 0 || got.Duration != "short" {
		t.Errorf("plain toast: %+v\n%s", got, doc)
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
