package watched

import (
	"fmt"
	"time"
)

// Tool describes one supported owner tool: where its logins live, how to
// read them, how healthy they are and how its owner signs in again. Each
// tool lives in its own file (claude.go, codex.go, ...) and is registered
// in [tools]; adding a tool is one new file plus one line there.
type Tool struct {
	Kind Kind
	// Title is the tool's name for people ("Claude Code").
	Title string
	// Discover lists the tool's default stores for env, whether or not
	// they exist (see [Source.Exists]), honouring the tool's own
	// environment overrides and per-OS locations.
	Discover func(env Env) []Source
	// EnvVars lists the environment variables, beyond those of [Env]'s
	// fields, that Discover and NewSource read through [Env.Var].
	EnvVars []string
	// NewSource builds the sources of an extra store at path (a
	// `[watch.<name>] kind = ... path = ...` entry).
	NewSource func(env Env, name, path string) []Source
	// Parse reads one store file (provider selects an entry of a
	// multi-login store, e.g. opencode's).
	Parse func(provider string, data []byte) (Meta, error)
	// Read, when set, replaces the default read (the file at Source.Path
	// through Parse), e.g. to honour the tool's keyring setting.
	Read func(src Source) (Meta, error)
	// Health, when set, replaces [Evaluate] for OAuth logins of this tool.
	Health func(m Meta, now time.Time, warnBefore time.Duration) Status
	// LoginURL is the page opened when the tool has no login command.
	LoginURL string
	// MultiLogin is set when one store holds several logins (opencode's
	// providers, AWS sessions, Azure users, gcloud accounts): its sources
	// are named <prefix>-<login>, and a path override rebuilds them all.
	MultiLogin bool
	// Status is the owner's own status command, used as the check
	// command when the user turns `check = true` on.
	Status []string
}

// tools is the registry, in display order (filled by init: the tools'
// functions refer back to it).
var tools []*Tool

func init() {
	tools = []*Tool{
		&claudeTool,
		&codexTool,
		&geminiTool,
		&opencodeTool,
		&awsSSOTool,
		&azureTool,
		&gcloudTool,
	}
	Kinds = kindsOf(tools)
}

// Kinds lists every supported kind in display order.
var Kinds []Kind

func kindsOf(ts []*Tool) []Kind {
	out := make([]Kind, len(ts))
	for i, t := range ts {
		out[i] = t.Kind
	}
	return out
}

// ToolFor returns the descriptor of kind, or nil.
func ToolFor(kind Kind) *Tool {
	for _, t := range tools {
		if t.Kind == kind {
			return t
		}
	}
	return nil
}

// Tools returns the registered descriptors in display order.
func Tools() []*Tool { return append([]*Tool(nil), tools...) }

// Valid reports whether k is one of [Kinds].
func (k Kind) Valid() bool { return ToolFor(k) != nil }

// Parse dispatches on kind. For opencode it returns the entry of provider
// (an error wrapping [ErrNotFound] when there is none).
func Parse(kind Kind, provider string, data []byte) (Meta, error) {
	t := ToolFor(kind)
	if t == nil {
		return Meta{}, fmt.Errorf("unknown kind %q", kind)
	}
	return t.Parse(provider, data)
}
