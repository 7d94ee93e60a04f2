package keepalive

import (
	"context"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"runtime"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// BenchmarkRefresh measures one complete refresh: lock, re-read, the
// refresh_token grant against the loopback issuer, atomic write, unlock.
func BenchmarkRefresh(b *testing.B) {
	iss, err := oauthtest.Start(oauthtest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer iss.Close()
	st := store.Open(testfs.TempDir(b))
	tok := iss.Mint(oauthtest.DefaultClientID, "")
	st.Update(context.Background(), "work", func(*store.Record) (*store.Record, error) { return store.NewRecord(&tok), nil })
	e := New(Options{Store: st}, []OwnedAccount{{Name: "work", Client: &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: iss.Endpoint()}}})
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.Refresh(context.Background(), "work", true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublish measures a health change published to two subscribers
// with 50 accounts configured (the tray and the log).
func BenchmarkPublish(b *testing.B) {
	e := idleEngine(b, 50)
	for range 2 {
		ch, cancel := e.Subscribe()
		defer cancel()
		go func() {
			for range ch {
			}
		}()
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		e.with(func(s *state) {
			a := s.owned["acct-0"]
			a.failures = i // a changed status
			a.republish(t0, causeNone)
		})
		e.publish(e.st, t0)
	}
}

// BenchmarkIdleMemory reports the heap an idle engine keeps per owned
// account (loaded record, status, snapshot share).
func BenchmarkIdleMemory(b *testing.B) {
	const n = 200
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		e := idleEngine(b, n)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/account")
		runtime.KeepAlive(e)
	}
}

func idleEngine(b *testing.B, n int) *Engine {
	b.Helper()
	st := store.Open(testfs.TempDir(b))
	var accs []OwnedAccount
	for i := range n {
		name := fmt.Sprintf("acct-%d", i)
		tok := oauthflow.Token{AccessToken: "at", RefreshToken: "rt", Expiry: t0.Add(time.Hour), ObtainedAt: t0}
		st.Update(context.Background(), name, func(*store.Record) (*store.Record, error) { return store.NewRecord(&tok), nil })
		accs = append(accs, OwnedAccount{Name: name, Client: &oauthflow.Client{ClientID: "c"}})
	}
	return New(Options{Store: st, Clock: newFakeClock(t0)}, accs)
}
