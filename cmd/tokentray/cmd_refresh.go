package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tokentray/tokentray/keepalive"
)

func cmdRefresh(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "refresh", "[--force] [ACCOUNT...]",
		"Refresh owned accounts (all when none is named). Without --force an account is refreshed only when due;\n"+
			"with --force it is refreshed now. Safe beside a running tokentray and other refresh commands.")
	force := fs.Bool("force", false, "refresh even when the token is not due")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := g.setup(false); err != nil {
		return err
	}
	defer g.shutdown()
	names, err := g.accountNames(pos)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		g.noAccountsHint(g.stderr)
		return nil
	}
	e := g.engine(ownedOnly)
	failed := 0
	for _, n := range names {
		st, refreshed, err := e.Refresh(ctx, n, *force)
		now := time.Now()
		switch {
		case err != nil:
			failed++
			fmt.Fprintf(g.stdout, "%s: %s\n", n, describeFailure(n, st, err))
		case refreshed:
			fmt.Fprintf(g.stdout, "%s: refreshed, %s\n", n, keepalive.ExpiresIn(st.Expiry, now))
		default:
			fmt.Fprintf(g.stdout, "%s: not due (%s; next refresh in %s)\n", n,
				keepalive.ExpiresIn(st.Expiry, now), keepalive.HumanDuration(st.NextRefresh.Sub(now)))
		}
	}
	if failed > 0 {
		return exitError(1)
	}
	return nil
}

func describeFailure(name string, st keepalive.Account, err error) string {
	if st.State == keepalive.NeedsSignIn || errors.Is(err, keepalive.ErrNotSignedIn) {
		return fmt.Sprintf("needs sign-in (%v); run 'tokentray login %s'", err, name)
	}
	return err.Error()
}
