package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tokentray/tokentray/keepalive"
)

func cmdStatus(_ context.Context, g *globals, args []string) error {
	fs := newFlags(g, "status", "[--json]", "Show the health of every account. Never prints a token.")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := g.setup(false); err != nil {
		return err
	}
	defer g.shutdown()
	snap := g.engine(allAccounts).Snapshot()
	if g.instanceRunning() {
		snap = overlayRunning(snap, g.statusFile())
	}
	if *asJSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(snap)
	}
	if len(snap.Accounts) == 0 {
		g.noAccountsHint(g.stdout)
		return nil
	}
	writeStatus(g.stdout, snap, time.Now())
	return nil
}

// overlayRunning replaces the file-derived status of each account with the
// running instance's view, which also knows retries and last errors.
func overlayRunning(snap keepalive.Snapshot, path string) keepalive.Snapshot {
	data, err := os.ReadFile(path)
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
