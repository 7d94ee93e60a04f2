package autostart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// This file implements the launchd backend in terms of an explicit home
// directory, so it is tested on every OS; autostart_darwin.go wires it to
// the user's home on macOS. See launchd.plist(5).

func launchAgentFile(home, id string) string {
	return filepath.Join(home, "Library", "LaunchAgents", id+".plist")
}

// xmlText escapes s for XML character data.
func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// launchAgentPlist renders a per-user launchd agent that runs Exec with
// Args once at login (RunAtLoad) and is not restarted when it quits (no
// KeepAlive). ProcessType Interactive exempts it from background
// throttling.
func launchAgentPlist(e Entry) (string, error) {
	if err := e.checkText(); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + xmlText(e.ID) + `</string>
	<key>ProgramArguments</key>
	<array>
`)
	for _, a := range append([]string{e.Exec}, e.Args...) {
		b.WriteString("\t\t<string>" + xmlText(a) + "</string>\n")
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.String(), nil
}

// plistEnabled reports whether a launch agent plist will run at login:
// its top-level dict has RunAtLoad true and not Disabled true. The plist
// may be XML or binary (what `defaults write` and `plutil` save).
func plistEnabled(data []byte) (bool, error) {
	if isBinaryPlist(data) {
		top, err := parseBinaryPlist(data)
		if err != nil {
			return false, err
		}
		dict, ok := top.(map[string]any)
		if !ok {
			return false, fmt.Errorf("%w: the top object is not a dictionary", errBplist)
		}
		runAtLoad, _ := dict["RunAtLoad"].(bool)
		disabled, _ := dict["Disabled"].(bool)
		return runAtLoad && !disabled, nil
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	depth := 0
	var key string
	runAtLoad, disabled := false, false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return false, fmt.Errorf("start at login: malformed plist: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			// plist > dict > (key, value) pairs at depth 3.
			if depth != 3 {
				continue
			}
			switch t.Name.Local {
			case "key":
				var k string
				if err := dec.DecodeElement(&k, &t); err != nil {
					return false, fmt.Errorf("start at login: malformed plist: %w", err)
				}
				depth--
				key = k
				continue
			case "true", "false":
				switch key {
				case "RunAtLoad":
					runAtLoad = t.Name.Local == "true"
				case "Disabled":
					disabled = t.Name.Local == "true"
				}
			}
			key = ""
		case xml.EndElement:
			depth--
		}
	}
	return runAtLoad && !disabled, nil
}

func launchdEnable(home string, e Entry) error {
	if err := e.validate(path.IsAbs); err != nil {
		return err
	}
	content, err := launchAgentPlist(e)
	if err != nil {
		return err
	}
	return writeFileAtomic(launchAgentFile(home, e.ID), []byte(content), 0o644)
}

func launchdDisable(home, id string) error {
	if err := validID(id); err != nil {
		return err
	}
	return removeFile(launchAgentFile(home, id))
}

func launchdStatus(home, id string) (bool, error) {
	if err := validID(id); err != nil {
		return false, err
	}
	data, err := os.ReadFile(launchAgentFile(home, id))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start at login: %w", err)
	}
	return plistEnabled(data)
}

// launchctlDisabled reads the output of `launchctl print-disabled
// gui/UID` ("disabled services = { "label" => disabled ... }"; older
// systems print true/false) and reports whether id is marked disabled
// there, which `launchctl disable` does and which outranks the plist.
// known is false when id is not listed.
func launchctlDisabled(out []byte, id string) (disabled, known bool) {
	want := `"` + id + `"`
	for _, line := range strings.Split(string(out), "\n") {
		label, state, ok := strings.Cut(strings.TrimSpace(line), "=>")
		if !ok || strings.TrimSpace(label) != want {
			continue
		}
		switch strings.TrimSpace(state) {
		case "disabled", "true":
			return true, true
		case "enabled", "false":
			return false, true
		}
	}
	return false, false
}

// launchdStatusWith is launchdStatus corrected by launchctl: run runs
// launchctl with the given arguments (nil where there is none); its
// failure leaves the plist's answer.
func launchdStatusWith(home, id string, uid int, run func(args ...string) ([]byte, error)) (bool, error) {
	on, err := launchdStatus(home, id)
	if err != nil || !on || run == nil {
		return on, err
	}
	out, err := run("print-disabled", fmt.Sprintf("gui/%d", uid))
	if err != nil {
		return on, nil
	}
	if disabled, _ := launchctlDisabled(out, id); disabled {
		return false, nil
	}
	return true, nil
}
