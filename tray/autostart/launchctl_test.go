package autostart

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
)

const printDisabled = `disabled services = {
	"com.apple.ScreenReaderUIServer" => disabled
	"io.tokentray.tokentray.other" => disabled
	"io.tokentray.tokentray" => %s
}
login item associations = {
}
`

func TestLaunchctlDisabled(t *testing.T) {
	for _, tc := range []struct {
		state           string
		disabled, known bool
	}{
		{"disabled", true, true},
		{"true", true, true}, // older systems
		{"enabled", false, true},
		{"false", false, true},
	} {
		out := []byte(fmt.Sprintf(printDisabled, tc.state))
		if d, k := launchctlDisabled(out, id); d != tc.disabled || k != tc.known {
			t.Errorf("%s: disabled %v known %v", tc.state, d, k)
		}
	}
	if d, k := launchctlDisabled([]byte("disabled services = {\n\t\"io.tokentray.tokentray.other\" => disabled\n}\n"), id); d || k {
		t.Errorf("another label's mark counted: %v %v", d, k)
	}
}

func TestLaunchdStatusWithLaunchctl(t *testing.T) {
	home := testfs.TempDir(t)
	var calls [][]string
	answer := func(out string, err error) func(...string) ([]byte, error) {
		return func(args ...string) ([]byte, error) {
			calls = append(calls, args)
			return []byte(out), err
		}
	}
	status := func(run func(...string) ([]byte, error)) bool {
		t.Helper()
		on, err := launchdStatusWith(home, id, 501, run)
		if err != nil {
			t.Fatal(err)
		}
		return on
	}
	if status(answer(fmt.Sprintf(printDisabled, "enabled"), nil)) || len(calls) != 0 {
		t.Errorf("no agent: enabled, or launchctl asked (%q)", calls)
	}
	if err := launchdEnable(home, Entry{ID: id, Exec: "/Applications/tokentray.app/Contents/MacOS/tokentray"}); err != nil {
		t.Fatal(err)
	}
	if !status(answer(fmt.Sprintf(printDisabled, "enabled"), nil)) {
		t.Error("agent enabled in launchctl: shown disabled")
	}
	if !slices.Equal(calls[0], []string{"print-disabled", "gui/501"}) {
		t.Errorf("launchctl %q", calls[0])
	}
	if status(answer(fmt.Sprintf(printDisabled, "disabled"), nil)) {
		t.Error("`launchctl disable` not seen")
	}
	if !status(answer("", errors.New("no launchctl"))) || !status(nil) {
		t.Error("without launchctl the plist's answer is lost")
	}
}
