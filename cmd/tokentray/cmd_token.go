package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tokentray/tokentray/keepalive"
)

func cmdToken(ctx context.Context, g *globals, args []string) error {
	fs := newFlags(g, "token", "ACCOUNT",
		"Print a valid access token of an owned account on stdout, for scripts:\n"+
			"  curl -H \"Authorization: Bearer $(tokentray token work)\" ...\n"+
			"It refreshes first when the token is due. Exits 2 when a sign-in is needed.")
	name, err := g.ownedArg(fs, args)
	if err != nil {
		return err
	}
	defer g.shutdown()
	e := g.engine(ownedOnly)
	tok, err := e.AccessToken(ctx, name)
	if errors.Is(err, keepalive.ErrNotSignedIn) {
		fmt.Fprintf(g.stderr, "tokentray: %v\nSign in with: tokentray login %s\n", err, name)
		return exitError(2)
	}
	if err != nil {
		return err
	}
	if st, _ := e.Snapshot().Find(name); st.State >= keepalive.Retrying {
		fmt.Fprintf(g.stderr, "tokentray: warning: %s is %s (%s); the printed token is still valid, %s\n",
			name, st.State, st.Reason, keepalive.ExpiresIn(st.Expiry, time.Now()))
	}
	// The one place a token is revealed: the user asked for it on stdout.
	fmt.Fprintln(g.stdout, tok.Reveal())
	return nil
}
