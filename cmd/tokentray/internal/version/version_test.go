package version

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name, override string
		bi             *debug.BuildInfo
		short, long    string
	}{
		{"go install @version", "", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.2.0"}},
			"v1.2.0", "tokentray v1.2.0 built with go1.26.1 for linux/amd64"},
		{"checkout, dirty", "", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123456789abcdef0123", "true")},
			"0123456789ab-dirty", "tokentray devel (commit 0123456789ab, with uncommitted changes, 2026-12-01T10:00:00Z) built with go1.26.1 for linux/amd64"},
		{"checkout, clean, pseudo-version", "", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v0.0.0-20261201100000-0123456789ab"}, Settings: vcs("0123456789abcdef0123", "false")},
			"v0.0.0-20261201100000-0123456789ab", "tokentray v0.0.0-20261201100000-0123456789ab (commit 0123456789ab, 2026-12-01T10:00:00Z) built with go1.26.1 for linux/amd64"},
		{"make's git describe wins", "v1.2.0-3-gabc", &debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "(devel)"}},
			"v1.2.0-3-gabc", "tokentray v1.2.0-3-gabc built with go1.26.1 for linux/amd64"},
		{"no build info", "", nil, "devel", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := fromBuildInfo(tc.override, tc.bi, "linux/amd64")
			if info.Short() != tc.short {
				t.Errorf("Short() = %q, want %q", info.Short(), tc.short)
			}
			if tc.long != "" && info.String() != tc.long {
				t.Errorf("String() = %q\nwant      %q", info.String(), tc.long)
			}
		})
	}
}
