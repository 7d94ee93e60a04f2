package agent_test

import (
	"context"
	"errors"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive"
	"github.com/tokentray/tokentray/keepalive/agent"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

type rig struct {
	iss    *oauthtest.Issuer
	st     *store.Dir
	eng    *keepalive.Engine
	addr   string
	client *agent.Client
	reload chan struct{}
}

func start(t *testing.T) *rig {
	t.Helper()
	iss, err := oauthtest.Start(oauthtest.Options{AccessTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	dir := testfs.TempDir(t)
	st := store.Open(filepath.Join(dir, "tokens"))
	tok := iss.Mint(oauthtest.DefaultClientID, "")
	if _, err := st.Update(context.Background(), "work", func(*store.Record) (*store.Record, error) {
		return store.NewRecord(&tok), nil
	}); err != nil {
		t.Fatal(err)
	}
	client := &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: iss.Endpoint()}
	eng := keepalive.New(keepalive.Options{Store: st}, []keepalive.OwnedAccount{
		{Name: "work", Client: client, RefreshLead: 10 * time.Minute},
		{Name: "new", Client: client},
	})
	r := &rig{iss: iss, st: st, eng: eng, addr: agent.Address(filepath.Join(dir, "run")), reload: make(chan struct{}, 1)}
	ln, err := agent.Listen(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv := &agent.Server{Service: agent.Local{Engine: eng}, Reload: func() error { r.reload <- struct{}{}; return nil }}
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	if r.client, err = agent.Connect(context.Background(), r.addr); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAgent(t *testing.T) {
	r := start(t)
	ctx := context.Background()
	tok, err := r.client.Token(ctx, "work", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !r.iss.Valid(tok.AccessToken.Reveal()) || tok.TokenType != "Bearer" || time.Until(tok.Expiry) < 50*time.Minute {
		t.Fatalf("token %+v", tok)
	}
	if r.iss.Stats().Refreshes != 0 {
		t.Fatal("refreshed a fresh token")
	}
	// --min-valid travels: 2h of a 1h token cannot be had.
	if _, err := r.client.Token(ctx, "work", 2*time.Hour); err == nil {
		t.Fatal("2h min-valid of 1h tokens succeeded")
	}
	if r.iss.Stats().Refreshes != 1 {
		t.Fatalf("refreshes %d, want 1 (the min-valid attempt)", r.iss.Stats().Refreshes)
	}
	tok, _ = r.client.Token(ctx, "work", 0)

	marked, err := r.client.Reject(ctx, "work", tok.AccessToken)
	if err != nil || !marked {
		t.Fatalf("Reject = %v, %v", marked, err)
	}
	next, err := r.client.Token(ctx, "work", 0)
	if err != nil || next.AccessToken == tok.AccessToken {
		t.Fatalf("after reject: %v, same token %v", err, next.AccessToken == tok.AccessToken)
	}

	st, refreshed, err := r.client.Refresh(ctx, "work", true)
	if err != nil || !refreshed || st.Name != "work" || st.State != keepalive.OK {
		t.Fatalf("Refresh = %+v, %v, %v", st, refreshed, err)
	}
	snap, err := r.client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := snap.Find("work"); !ok || a.State != keepalive.OK || a.Expiry.IsZero() {
		t.Fatalf("status %+v", snap)
	}
	if err := r.client.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.reload:
	default:
		t.Fatal("Reload did not reach the server")
	}
}

func TestAgentErrors(t *testing.T) {
	r := start(t)
	ctx := context.Background()
	if _, err := r.client.Token(ctx, "new", 0); !errors.Is(err, keepalive.ErrNotSignedIn) {
		t.Fatalf("token of a signed-out account: %v, want ErrNotSignedIn", err)
	}
	if _, err := r.client.Token(ctx, "nope", 0); !errors.Is(err, keepalive.ErrUnknownAccount) {
		t.Fatalf("token of an unknown account: %v, want ErrUnknownAccount", err)
	}
	if _, err := agent.Connect(ctx, agent.Address(testfs.TempDir(t))); !errors.Is(err, agent.ErrNotRunning) {
		t.Fatalf("Connect without an agent: %v", err)
	}
}

func TestSocketIsPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a named pipe with a user-only ACL")
	}
	r := start(t)
	fi, err := os.Stat(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want a 0600 socket", fi.Mode())
	}
	di, _ := os.Stat(filepath.Dir(r.addr))
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, want 0700", di.Mode().Perm())
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("named pipes vanish with their process")
	}
	addr := agent.Address(testfs.TempDir(t))
	ln, err := agent.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	// A dead instance's socket: the file stays, nobody listens.
	ln.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := agent.Connect(context.Background(), addr); !errors.Is(err, agent.ErrNotRunning) {
		t.Fatalf("stale socket: %v", err)
	}
	ln, err = agent.Listen(addr)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ln.Close()
}
