package notify

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestToastArgsRoundTrip(t *testing.T) {
	for _, key := range []string{"alice", "", "a b&c<d>\"e'f]]>", "ünïcode/ключ:%"} {
		for _, name := range []string{ActionSignIn, ActionDefault} {
			args := toastArgs(name, key)
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
		if name, key, ok := parseToastArgs(got.Launch); !ok || name != ActionDefault || key != s {
			t.Errorf("%q: launch %q", s, got.Launch)
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
