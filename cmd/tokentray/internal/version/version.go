// Package version is `tokentray version` and `tokentray --version`: what
// was built, from the build information the Go linker embeds (module
// version for `go install`, VCS revision and dirty flag for a build in a
// checkout, the Go version), so a bug report says exactly which binary.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
)

// Info describes a build.
type Info struct {
	Version  string // "v1.2.0", a pseudo-version, a `git describe`, or "devel"
	Revision string // VCS commit, "" when unknown
	Time     string // commit time (RFC 3339), "" when unknown
	Dirty    bool   // built from a checkout with uncommitted changes
	Go       string // "go1.26.0"
	Platform string // "linux/amd64"
}

// FromBuild reads the running binary's build information. override (set
// with -ldflags -X by make) wins over the module version.
func FromBuild(override string) Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(override, bi, runtime.GOOS+"/"+runtime.GOARCH)
}

func fromBuildInfo(override string, bi *debug.BuildInfo, platform string) Info {
	info := Info{Version: override, Go: runtime.Version(), Platform: platform}
	if bi == nil {
		if info.Version == "" {
			info.Version = "devel"
		}
		return info
	}
	info.Go = bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Dirty = s.Value == "true"
		}
	}
	if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	return info
}

// Short is the version in one word: "v1.2.0", or the commit for a build
// from a checkout ("0123456789ab-dirty"), or "devel".
func (i Info) Short() string {
	if i.Version == "devel" && i.Revision != "" {
		v := short(i.Revision)
		if i.Dirty {
			v += "-dirty"
		}
		return v
	}
	return i.Version
}

// String is the full version line.
func (i Info) String() string {
	var parts []string
	if i.Revision != "" {
		parts = append(parts, "commit "+short(i.Revision))
		if i.Dirty {
			parts = append(parts, "with uncommitted changes")
		}
		if i.Time != "" {
			parts = append(parts, i.Time)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tokentray %s", i.Version)
	if len(parts) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, " built with %s for %s", i.Go, i.Platform)
	return b.String()
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// NewCmdVersion returns the version command.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Long:  "Print the version, the commit it was built from and the Go version (also: tokentray --version).",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(f.IO.Out, f.Version)
			return nil
		},
	}
}
