package autostart

import (
	"encoding/xml"
	"errors"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// awkward holds arguments that exercise every quoting rule.
var awkward = [][]string{
	{},
	{"--tray"},
	{"--config", "/home/me/My Config/tokentray.toml"},
	{`say "hi"`, "it's", "`cmd`", "$HOME", "${X}", `back\slash`, `trailing\`, `C:\dir with space\`},
	{"50%", "%f", "100%% sure", "a&b", "a<b>c", "a|b;c", "~user", "*?#()", "=", ""},
	{"ünïcode ✓", "tab-free", "end"},
}

// ---- desktop entries --------------------------------------------------

// unescapeDesktopString undoes the "string" escapes (\s \n \t \r \\).
func unescapeDesktopString(t *testing.T, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			t.Fatalf("dangling backslash in %q", s)
		}
		switch s[i] {
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		default:
			t.Fatalf("invalid escape \\%c in %q", s[i], s)
		}
	}
	return b.String()
}

// parseExec splits an (unescaped) Exec value as a launcher does, failing
// on anything the specification forbids: a reserved character outside
// quotes, a bad escape inside quotes, an unknown field code.
func parseExec(t *testing.T, s string) []string {
	t.Helper()
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '"':
			quoted = false
		case quoted && c == '\\':
			i++
			if i == len(s) || !strings.ContainsRune("\"`$\\", rune(s[i])) {
				t.Fatalf("bad escape in quoted Exec argument: %q", s)
			}
			cur.WriteByte(s[i])
		case c == '%':
			i++
			if i == len(s) || s[i] != '%' {
				t.Fatalf("field code in %q", s)
			}
			cur.WriteByte('%')
			inArg = true
		case quoted:
			cur.WriteByte(c)
		case c == ' ':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		case c == '"':
			if inArg {
				t.Fatalf("quote inside an unquoted argument: %q", s)
			}
			quoted, inArg = true, true
		case strings.ContainsRune(execReserved, rune(c)):
			t.Fatalf("reserved %q outside quotes in %q", c, s)
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if quoted {
		t.Fatalf("unterminated quote in %q", s)
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// desktopKey returns the raw value of key in the [Desktop Entry] group.
func desktopKey(t *testing.T, file, key string) string {
	t.Helper()
	for _, line := range strings.Split(file, "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			return v
		}
	}
	t.Fatalf("no %s in\n%s", key, file)
	return ""
}

func TestDesktopExecRoundTrip(t *testing.T) {
	for _, exe := range []string{"/usr/bin/tokentray", "/opt/My Apps/token$tray (beta)/tokentray", `/home/a"b/bin/tokentray`, "/tmp/100%/x"} {
		for _, args := range awkward {
			content, err := desktopEntry(Entry{ID: "io.tokentray.tokentray", Name: "tokentray", Exec: exe, Args: args})
			if err != nil {
				t.Fatal(err)
			}
			got := parseExec(t, unescapeDesktopString(t, desktopKey(t, content, "Exec")))
			want := append([]string{exe}, args...)
			if !slices.Equal(got, want) {
				t.Errorf("Exec round trip:\n got %q\nwant %q\nfile:\n%s", got, want, content)
			}
		}
	}
}

func TestDesktopExecExamples(t *testing.T) {
	cases := []struct {
		exe  string
		args []string
		want string // raw Exec value in the file
	}{
		{"/usr/bin/tokentray", nil, `/usr/bin/tokentray`},
		{"/opt/My App/tokentray", []string{"--tray"}, `"/opt/My App/tokentray" --tray`},
		{"/usr/bin/t", []string{"50%"}, `/usr/bin/t 50%%`},
		{"/usr/bin/t", []string{`a\b c`}, `/usr/bin/t "a\\\\b c"`},
		{"/usr/bin/t", []string{`$HOME "x"`}, `/usr/bin/t "\\$HOME \\"x\\""`},
		{"/usr/bin/t", []string{""}, `/usr/bin/t ""`},
	}
	for _, c := range cases {
		content, err := desktopEntry(Entry{ID: "x", Exec: c.exe, Args: c.args})
		if err != nil {
			t.Fatal(err)
		}
		if got := desktopKey(t, content, "Exec"); got != c.want {
			t.Errorf("Exec for %q %q = %s, want %s", c.exe, c.args, got, c.want)
		}
	}
}

func TestDesktopEntryContent(t *testing.T) {
	content, err := desktopEntry(Entry{ID: "io.tokentray.tokentray", Name: `Token\Tray`, Exec: "/usr/bin/tokentray"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(content, "[Desktop Entry]\n") {
		t.Errorf("no group header:\n%s", content)
	}
	for k, v := range map[string]string{"Type": "Application", "Name": `Token\\Tray`, "Terminal": "false", "X-GNOME-Autostart-enabled": "true"} {
		if got := desktopKey(t, content, k); got != v {
			t.Errorf("%s=%s, want %s", k, got, v)
		}
	}
	if !desktopEnabled([]byte(content)) {
		t.Error("generated entry reads as disabled")
	}
	if _, err := desktopEntry(Entry{ID: "x", Exec: "/bin/x", Args: []string{"a\nb"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("newline in an argument: %v", err)
	}
}

func TestDesktopEnabled(t *testing.T) {
	cases := map[string]bool{
		"[Desktop Entry]\nExec=x\n":                                  true,
		"[Desktop Entry]\nHidden=true\n":                             false,
		"[Desktop Entry]\nHidden = true\n":                           false,
		"[Desktop Entry]\nHidden=false\n":                            true,
		"[Desktop Entry]\nX-GNOME-Autostart-enabled=false\n":         false,
		"[Desktop Entry]\nX-GNOME-Autostart-enabled=true\n":          true,
		"# Hidden=true\n[Desktop Entry]\nExec=x\n":                   true,
		"[Desktop Entry]\nExec=x\n[Desktop Action a]\nHidden=true\n": true,
		"[Desktop Entry]\nName=Hidden=true\n":                        true,
	}
	for in, want := range cases {
		if got := desktopEnabled([]byte(in)); got != want {
			t.Errorf("desktopEnabled(%q) = %v, want %v", in, got, want)
		}
	}
}

// ---- XDG backend ---------------------------------------------------------

func newXDG(t *testing.T) xdgDirs {
	root := testfs.TempDir(t)
	return xdgDirs{configHome: filepath.Join(root, "home-config"), configDirs: []string{filepath.Join(root, "etc1"), filepath.Join(root, "etc2")}}
}

func mustStatus(t *testing.T, f func(string) (bool, error), id string, want bool) {
	t.Helper()
	got, err := f(id)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("status(%q) = %v, want %v", id, got, want)
	}
}

const id = "io.tokentray.tokentray"

func TestXDGEnableDisable(t *testing.T) {
	d := newXDG(t)
	e := Entry{ID: id, Name: "tokentray", Exec: "/opt/Token Tray/tokentray", Args: []string{"--tray"}}
	mustStatus(t, d.status, id, false)
	for range 2 {
		if err := d.enable(e); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, d.status, id, true)
	}
	data, err := os.ReadFile(d.userFile(id))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := desktopEntry(e)
	if string(data) != want {
		t.Errorf("file content\n%s\nwant\n%s", data, want)
	}
	// Re-enabling with a moved executable rewrites the entry.
	e.Exec = "/usr/local/bin/tokentray"
	if err := d.enable(e); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(d.userFile(id))
	if !strings.Contains(string(data), "Exec=/usr/local/bin/tokentray --tray\n") {
		t.Errorf("entry not updated:\n%s", data)
	}
	for range 2 {
		if err := d.disable(id); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, d.status, id, false)
	}
	if _, err := os.Stat(d.userFile(id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("desktop file still there: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(d.userFile(id)))
	if len(entries) != 0 {
		t.Errorf("leftover files: %v", entries)
	}
}

// The user (or a settings app) disabling the entry shows as disabled.
func TestXDGDisabledByUser(t *testing.T) {
	for _, line := range []string{"Hidden=true", "X-GNOME-Autostart-enabled=false"} {
		d := newXDG(t)
		if err := d.enable(Entry{ID: id, Exec: "/usr/bin/tokentray"}); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(d.userFile(id))
		edited := strings.Replace(string(data), "X-GNOME-Autostart-enabled=true\n", line+"\n", 1)
		if err := os.WriteFile(d.userFile(id), []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, d.status, id, false)
		if err := d.enable(Entry{ID: id, Exec: "/usr/bin/tokentray"}); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, d.status, id, true)
	}
}

// A system-wide entry (e.g. installed by a package) is masked, not deleted.
func TestXDGSystemEntry(t *testing.T) {
	d := newXDG(t)
	sys := filepath.Join(d.configDirs[1], "autostart", id+".desktop")
	if err := os.MkdirAll(filepath.Dir(sys), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sys, []byte("[Desktop Entry]\nType=Application\nExec=/usr/bin/tokentray\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, d.status, id, true)
	for range 2 {
		if err := d.disable(id); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, d.status, id, false)
	}
	if _, err := os.Stat(sys); err != nil {
		t.Errorf("system file touched: %v", err)
	}
	if err := d.enable(Entry{ID: id, Exec: "/usr/bin/tokentray"}); err != nil {
		t.Fatal(err)
	}
	mustStatus(t, d.status, id, true)

	// A higher-priority system dir wins over a lower one.
	sys0 := filepath.Join(d.configDirs[0], "autostart", id+".desktop")
	os.MkdirAll(filepath.Dir(sys0), 0o755)
	os.WriteFile(sys0, []byte("[Desktop Entry]\nHidden=true\n"), 0o644)
	os.Remove(d.userFile(id))
	mustStatus(t, d.status, id, false)
	// Nothing to mask then: disable leaves no user file.
	if err := d.disable(id); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.userFile(id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("mask written over a disabled system entry: %v", err)
	}
}

func TestInvalidEntries(t *testing.T) {
	d := newXDG(t)
	home := testfs.TempDir(t)
	bad := []Entry{
		{ID: "", Exec: "/bin/x"},
		{ID: "../evil", Exec: "/bin/x"},
		{ID: "a/b", Exec: "/bin/x"},
		{ID: ".hidden", Exec: "/bin/x"},
		{ID: "ok", Exec: "relative/x"},
		{ID: "ok", Exec: ""},
		{ID: "ok", Exec: "/bin/x", Args: []string{"a\x00b"}},
		{ID: "ok", Name: "two\nlines", Exec: "/bin/x"},
	}
	for _, e := range bad {
		if err := d.enable(e); !errors.Is(err, ErrInvalid) {
			t.Errorf("xdg enable(%+v) = %v, want ErrInvalid", e, err)
		}
		if err := launchdEnable(home, e); !errors.Is(err, ErrInvalid) {
			t.Errorf("launchd enable(%+v) = %v, want ErrInvalid", e, err)
		}
	}
	for _, id := range []string{"", "../x", "a b"} {
		if err := d.disable(id); !errors.Is(err, ErrInvalid) {
			t.Errorf("disable(%q) = %v", id, err)
		}
		if _, err := d.status(id); !errors.Is(err, ErrInvalid) {
			t.Errorf("status(%q) = %v", id, err)
		}
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("files written for invalid entries: %v", entries)
	}
}

// ---- launchd ----------------------------------------------------------------

// plistDoc is the part of a launch agent plist the tests read back.
type plistDoc struct {
	Dict struct {
		Items []plistItem `xml:",any"`
	} `xml:"dict"`
}

type plistItem struct {
	XMLName xml.Name
	Text    string      `xml:",chardata"`
	Items   []plistItem `xml:",any"`
}

// plistMap turns the top-level dict into key -> element.
func plistMap(t *testing.T, data string) map[string]plistItem {
	t.Helper()
	var doc plistDoc
	if err := xml.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("plist does not parse: %v\n%s", err, data)
	}
	m := map[string]plistItem{}
	items := doc.Dict.Items
	if len(items)%2 != 0 {
		t.Fatalf("odd dict: %+v", items)
	}
	for i := 0; i < len(items); i += 2 {
		if items[i].XMLName.Local != "key" {
			t.Fatalf("expected <key>, got <%s>", items[i].XMLName.Local)
		}
		m[items[i].Text] = items[i+1]
	}
	return m
}

func TestLaunchAgentPlist(t *testing.T) {
	for _, args := range awkward {
		e := Entry{ID: id, Name: "tokentray", Exec: "/Applications/Token & <Tray>.app/Contents/MacOS/tokentray", Args: args}
		data, err := launchAgentPlist(e)
		if err != nil {
			t.Fatal(err)
		}
		m := plistMap(t, data)
		if m["Label"].Text != id {
			t.Errorf("Label %q", m["Label"].Text)
		}
		var got []string
		for _, s := range m["ProgramArguments"].Items {
			if s.XMLName.Local != "string" {
				t.Fatalf("ProgramArguments holds <%s>", s.XMLName.Local)
			}
			got = append(got, s.Text)
		}
		if want := append([]string{e.Exec}, args...); !slices.Equal(got, want) {
			t.Errorf("ProgramArguments %q, want %q", got, want)
		}
		if m["RunAtLoad"].XMLName.Local != "true" {
			t.Errorf("RunAtLoad is <%s>", m["RunAtLoad"].XMLName.Local)
		}
		if _, ok := m["KeepAlive"]; ok {
			t.Error("KeepAlive set: quitting the app would restart it")
		}
		if ok, err := plistEnabled([]byte(data)); !ok || err != nil {
			t.Errorf("plistEnabled = %v, %v", ok, err)
		}
	}
}

func TestPlistEnabled(t *testing.T) {
	wrap := func(body string) []byte {
		return []byte(`<?xml version="1.0"?><plist version="1.0"><dict>` + body + `</dict></plist>`)
	}
	cases := []struct {
		body string
		want bool
	}{
		{`<key>Label</key><string>x</string><key>RunAtLoad</key><true/>`, true},
		{`<key>RunAtLoad</key><true/><key>Disabled</key><true/>`, false},
		{`<key>Disabled</key><false/><key>RunAtLoad</key><true/>`, true},
		{`<key>RunAtLoad</key><false/>`, false},
		{`<key>Label</key><string>x</string>`, false},
		// A nested RunAtLoad does not count.
		{`<key>Other</key><dict><key>RunAtLoad</key><true/></dict>`, false},
		{`<key>Label</key><string>RunAtLoad</string><key>X</key><true/>`, false},
	}
	for _, c := range cases {
		got, err := plistEnabled(wrap(c.body))
		if err != nil || got != c.want {
			t.Errorf("plistEnabled(%s) = %v, %v; want %v", c.body, got, err, c.want)
		}
	}
	if _, err := plistEnabled([]byte("<plist><dict><key>RunAtLoad</key>")); err == nil {
		t.Error("truncated plist accepted")
	}
}

func TestLaunchdBackend(t *testing.T) {
	home := testfs.TempDir(t)
	e := Entry{ID: id, Exec: "/Applications/tokentray.app/Contents/MacOS/tokentray"}
	status := func(id string) (bool, error) { return launchdStatus(home, id) }
	mustStatus(t, status, id, false)
	for range 2 {
		if err := launchdEnable(home, e); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, status, id, true)
	}
	p := launchAgentFile(home, id)
	if p != filepath.Join(home, "Library", "LaunchAgents", id+".plist") {
		t.Errorf("plist path %s", p)
	}
	// launchctl's "disable" style edit shows as disabled.
	data, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(data), "<key>RunAtLoad</key>", "<key>Disabled</key>\n\t<true/>\n\t<key>RunAtLoad</key>", 1)), 0o644)
	mustStatus(t, status, id, false)
	for range 2 {
		if err := launchdDisable(home, id); err != nil {
			t.Fatal(err)
		}
		mustStatus(t, status, id, false)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("plist still there: %v", err)
	}
}

// ---- Windows command line ----------------------------------------------------

// commandLineToArgv parses a command line like CommandLineToArgvW:
// argv[0] up to the first blank, or between quotes without escapes; then
// 2n backslashes + '"' give n backslashes and toggle quoting, 2n+1
// backslashes + '"' give n backslashes and a literal '"', other
// backslashes are literal.
func commandLineToArgv(cmd string) []string {
	var args []string
	i := 0
	if strings.HasPrefix(cmd, `"`) {
		end := strings.IndexByte(cmd[1:], '"')
		if end < 0 {
			return []string{cmd[1:]}
		}
		args = append(args, cmd[1:1+end])
		i = end + 2
	} else {
		end := strings.IndexAny(cmd, " \t")
		if end < 0 {
			return []string{cmd}
		}
		args = append(args, cmd[:end])
		i = end
	}
	for {
		for i < len(cmd) && (cmd[i] == ' ' || cmd[i] == '\t') {
			i++
		}
		if i >= len(cmd) {
			return args
		}
		var b strings.Builder
		quoted := false
		for ; i < len(cmd); i++ {
			c := cmd[i]
			if c == '\\' {
				n := 0
				for i < len(cmd) && cmd[i] == '\\' {
					n++
					i++
				}
				if i < len(cmd) && cmd[i] == '"' {
					b.WriteString(strings.Repeat(`\`, n/2))
					if n%2 == 1 {
						b.WriteByte('"')
						continue
					}
					quoted = !quoted
					continue
				}
				b.WriteString(strings.Repeat(`\`, n))
				i--
				continue
			}
			if c == '"' {
				quoted = !quoted
				continue
			}
			if !quoted && (c == ' ' || c == '\t') {
				break
			}
			b.WriteByte(c)
		}
		args = append(args, b.String())
	}
}

func TestWindowsCommandLine(t *testing.T) {
	for _, exe := range []string{`C:\Program Files\tokentray\tokentray.exe`, `C:\t\tokentray.exe`, `C:\Users\R&D (x)\AppData\Local\tokentray.exe`} {
		for _, args := range awkward {
			cmd, err := windowsCommandLine(exe, args)
			if err != nil {
				t.Fatal(err)
			}
			got := commandLineToArgv(cmd)
			if want := append([]string{exe}, args...); !slices.Equal(got, want) {
				t.Errorf("command line %s\n got %q\nwant %q", cmd, got, want)
			}
		}
	}
	examples := map[string][]string{
		`"C:\Program Files\t.exe"`:         nil,
		`"C:\t.exe" --tray`:                {"--tray"},
		`"C:\t.exe" "a b" ""`:              {"a b", ""},
		`"C:\t.exe" "say \"hi\""`:          {`say "hi"`},
		`"C:\t.exe" "C:\dir with space\\"`: {`C:\dir with space\`},
		`"C:\t.exe" trailing\ "x\\\" y"`:   {`trailing\`, `x\" y`},
	}
	for want, args := range examples {
		exe := `C:\t.exe`
		if args == nil {
			exe = `C:\Program Files\t.exe`
		}
		if got, _ := windowsCommandLine(exe, args); got != want {
			t.Errorf("windowsCommandLine(%q) = %s, want %s", args, got, want)
		}
	}
	if _, err := windowsCommandLine(`C:\a"b.exe`, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("quote in program path: %v", err)
	}
}

func TestStartupApproved(t *testing.T) {
	for v, want := range map[string]bool{
		"": false,
		"\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00": false,
		"\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00": false,
		"\x03\x00\x00\x00\x10\x20\x30\x40\x50\x60\x70\x01": true,
		"\x07\x00\x00\x00\x10\x20\x30\x40\x50\x60\x70\x01": true,
	} {
		if got := startupApprovedDisabled([]byte(v)); got != want {
			t.Errorf("startupApprovedDisabled(% x) = %v", v, got)
		}
	}
}

// ---- helpers --------------------------------------------------------------------

func TestWriteFileAtomic(t *testing.T) {
	dir := testfs.TempDir(t)
	p := filepath.Join(dir, "sub", "f.desktop")
	if err := writeFileAtomic(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.Chtimes(p, old, old)
	// Same content: not rewritten.
	if err := writeFileAtomic(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); !st.ModTime().Equal(old) {
		t.Error("identical content was rewritten")
	}
	if err := writeFileAtomic(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	// Windows has no Unix permission bits (Go reports 0666).
	if string(data) != "two" || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o644) {
		t.Errorf("content %q mode %v", data, st.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := removeFile(p); err != nil {
		t.Fatal(err)
	}
	if err := removeFile(p); err != nil {
		t.Errorf("removing a missing file: %v", err)
	}
}

func TestExecutable(t *testing.T) {
	p, err := Executable()
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(p) {
		t.Errorf("Executable() = %q is not absolute", p)
	}
	if st, err := os.Stat(p); err != nil || st.IsDir() {
		t.Errorf("Executable() = %q: %v", p, err)
	}
}
