package keepalive

import (
	"context"
	"fmt"
	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// TestEngineFigures prints the engine's speed and memory figures side by
// side with a reference measured in the same run, as ratios, with their
// targets (make bench). It asserts nothing about timings: the machine
// running it decides those.
func TestEngineFigures(t *testing.T) {
	if os.Getenv("TOKENTRAY_BENCH") == "" {
		t.Skip("set TOKENTRAY_BENCH=1 (make bench)")
	}
	const n = 1000
	iss, err := oauthtest.Start(oauthtest.Options{AccessTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()

	// A front for the issuer that counts new connections and the requests
	// in flight, and can be slow.
	target, _ := url.Parse(iss.URL())
	var conns, inflight, peak atomic.Int64
	var pause atomic.Int64
	front := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cur := inflight.Add(1)
			defer inflight.Add(-1)
			for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
			}
			time.Sleep(time.Duration(pause.Load()))
			httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go front.Serve(ln)
	defer front.Close()
	ep := iss.Endpoint()
	ep.TokenURL = strings.Replace(ep.TokenURL, target.Host, ln.Addr().String(), 1)

	seed := func(dir string) (*store.Dir, []OwnedAccount) {
		st := store.Open(dir)
		var accs []OwnedAccount
		for i := range n {
			name := fmt.Sprintf("acct-%d", i)
			tok := iss.Mint(oauthtest.DefaultClientID, "")
			if _, err := st.Update(context.Background(), name, func(*store.Record) (*store.Record, error) { return store.NewRecord(&tok), nil }); err != nil {
				t.Fatal(err)
			}
			accs = append(accs, OwnedAccount{Name: name, RefreshLead: 10 * time.Minute,
				Client: &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: ep}})
		}
		return st, accs
	}

	// Idle: goroutines and heap per account.
	st, accs := seed(testfs.TempDir(t))
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()
	e := New(Options{Store: st}, accs)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { e.Run(ctx) })
	<-e.started
	e.settle()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	goroutines := float64(runtime.NumGoroutine()-g0) / n
	heap := float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / n

	// 1,000 due at once.
	conns.Store(0)
	start := time.Now()
	e.RefreshNow("")
	e.settle()
	engineBurst := time.Since(start)
	newConns := conns.Load()
	if s := iss.Stats(); s.Succeeded < n {
		t.Fatalf("only %d refreshes succeeded", s.Succeeded)
	}

	// Against a slow issuer: the peak of requests in flight.
	pause.Store(int64(20 * time.Millisecond))
	peak.Store(0)
	e.RefreshNow("")
	e.settle()
	slowPeak := peak.Load()
	pause.Store(0)
	cancel()
	wg.Wait()

	// The reference: a bare client doing the same refresh and the same
	// fsync'd write under the same cross-process lock (lock, re-read,
	// refresh, write: what any correct refresher must do), at the same
	// concurrency, with no engine around it.
	bst, baccs := seed(testfs.TempDir(t))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: defaultRefreshesPerHost}}
	jobs := make(chan OwnedAccount)
	start = time.Now()
	var bwg sync.WaitGroup
	for range defaultRefreshesPerHost {
		bwg.Go(func() {
			for a := range jobs {
				c := *a.Client
				c.HTTPClient = client
				_, err := bst.Update(context.Background(), a.Name, func(rec *store.Record) (*store.Record, error) {
					tok, err := c.Refresh(context.Background(), rec.RefreshToken)
					if err != nil {
						return nil, err
					}
					rec.Apply(tok)
					return rec, nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	for _, a := range baccs {
		jobs <- a
	}
	close(jobs)
	bwg.Wait()
	bareBurst := time.Since(start)

	ratio := float64(engineBurst) / float64(bareBurst)
	fmt.Printf("\nengine figures (%d owned accounts, %d refreshes per host)\n", n, defaultRefreshesPerHost)
	fmt.Printf("%-38s %12s %12s %8s  %s\n", "figure", "engine", "reference", "ratio", "target")
	fmt.Printf("%-38s %12v %12v %7.2fx  %s %s\n", "1,000 due at once", engineBurst.Round(time.Millisecond), bareBurst.Round(time.Millisecond), ratio, "<= 1.5x the bare client", verdict(ratio <= 1.5))
	fmt.Printf("%-38s %12d %12s %8s  %s %s\n", "new connections per 1,000 refreshes", newConns, "-", "-", "<= 50", verdict(newConns <= 50))
	fmt.Printf("%-38s %12d %12s %8s  %s %s\n", "peak in flight (slow issuer)", slowPeak, "-", "-", "<= 4 by default (<= 16)", verdict(slowPeak <= defaultRefreshesPerHost))
	fmt.Printf("%-38s %12.3f %12s %8s  %s %s\n", "goroutines per idle account", goroutines, "-", "-", "<= 0.05", verdict(goroutines <= 0.05))
	fmt.Printf("%-38s %10.0f B %12s %8s  %s %s\n", "heap per idle account", heap, "-", "-", "<= 2 KiB", verdict(heap <= 2048))
	fmt.Println("(idle RSS and wakeups per hour of run --headless: TestIdleFigures in cmd/tokentray)")
}

func verdict(ok bool) string {
	if ok {
		return "(met)"
	}
	return "(NOT met)"
}
