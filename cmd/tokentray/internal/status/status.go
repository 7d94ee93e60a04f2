// Package status is `tokentray status`: the health of every account.
package status

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/cmd/tokentray/internal/daemon"
	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/atomicfile"
)

// Options are status's flags and inputs.
type Options struct {
	F    *cmdutil.Factory
	JSON bool
}

// NewCmdStatus returns the status command; runF replaces its work in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{F: f}
	cmd := &cobra.Command{
		Use:   "status [--json]",
		Short: "Show the health of every account",
		Long:  "Show the health of every account. Never prints a token.",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// Run prints the status.
func Run(opts *Options) error {
	f := opts.F
	if err := f.Setup(); err != nil {
		return err
	}
	defer f.Close()
	snap := f.Engine(cmdutil.AllAccounts).Snapshot()
	if running, _ := daemon.Running(f); running {
		snap = overlayRunning(snap, f.StatusFile())
	}
	if opts.JSON {
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(snap)
	}
	if len(snap.Accounts) == 0 {
		f.NoAccountsHint(f.IO.Out)
		return nil
	}
	writeStatus(f.IO.Out, snap, time.Now())
	return nil
}

// overlayRunning replaces the file-derived status of each account with the
// running instance's view, which also knows retries and last errors.
func overlayRunning(snap keepalive.Snapshot, path string) keepalive.Snapshot {
	data, err := atomicfile.ReadFile(path, 16<<20)
	if err != nil {
		return snap
	}
	var running keepalive.Snapshot
	if json.Unmarshal(data, &running) != nil {
		return snap
	}
	out := snap
	out.Accounts = make([]keepalive.Account, len(snap.Accounts))
	for i, a := range snap.Accounts {
		if r, ok := running.Find(a.Name); ok && r.Kind == a.Kind {
			a = r
		}
		out.Accounts[i] = a
	}
	return out
}

// writeStatus prints the status table.
func writeStatus(w io.Writer, snap keepalive.Snapshot, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tKIND\tHEALTH\tEXPIRES\tLAST REFRESH\tLAST ERROR")
	for _, a := range snap.Accounts {
		health := a.State.String()
		if a.Reason != "" {
			health += " (" + a.Reason + ")"
		}
		if a.State == keepalive.Retrying && !a.NextTry.IsZero() {
			health += fmt.Sprintf(" (attempt %d, next in %s)", a.Attempt, keepalive.HumanDuration(a.NextTry.Sub(now)))
		}
		last := "-"
		if !a.LastRefresh.IsZero() {
			last = keepalive.HumanDuration(now.Sub(a.LastRefresh)) + " ago"
		}
		exp := keepalive.ExpiresIn(a.Expiry, now)
		if exp == "" {
			exp = "-"
		}
		lastErr := a.LastError
		if a.SignInError != "" {
			lastErr = strings.TrimPrefix(lastErr+"; ", "; ") + "sign-in: " + a.SignInError
		}
		if lastErr == "" {
			lastErr = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.Kind, health, exp, last, lastErr)
	}
	tw.Flush()
}
