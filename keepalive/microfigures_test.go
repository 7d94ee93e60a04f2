package keepalive

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokentray/tokentray/keepalive/keepalivetest/testfs"
	"github.com/tokentray/tokentray/keepalive/store"
	"github.com/tokentray/tokentray/oauthflow"
	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// TestMicroFigures prints, side by side in one run, one refresh and one
// store update against references doing the same work bare, as ratios
// with the targets (make bench): a refresh through the engine (lock,
// re-read, refresh grant on loopback, atomic write) against a bare HTTP
// client POSTing the same grant to the same issuer and writing the answer
// with a bare fsync'd atomic write; a store update (lock, read, fsync'd
// atomic write) against the bare fsync'd atomic write of the same bytes.
// Nothing is asserted.
func TestMicroFigures(t *testing.T) {
	if os.Getenv("TOKENTRAY_BENCH") == "" {
		t.Skip("set TOKENTRAY_BENCH=1 (make bench)")
	}
	iss, err := oauthtest.Start(oauthtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	dir := testfs.TempDir(t)
	st := store.Open(filepath.Join(dir, "tokens"))
	tok := iss.Mint(oauthtest.DefaultClientID, "")
	st.Update(context.Background(), "work", func(*store.Record) (*store.Record, error) { return store.NewRecord(&tok), nil })
	e := New(Options{Store: st}, []OwnedAccount{{Name: "work", Client: &oauthflow.Client{ClientID: oauthtest.DefaultClientID, Endpoint: iss.Endpoint()}}})

	refresh := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			if _, _, err := e.Refresh(context.Background(), "work", true); err != nil {
				b.Fatal(err)
			}
		}
	})
	rt := iss.Mint(oauthtest.DefaultClientID, "").RefreshToken.Reveal()
	bareFile := filepath.Join(dir, "bare.json")
	client := &http.Client{}
	bareRefresh := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			resp, err := client.PostForm(iss.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {oauthtest.DefaultClientID}})
			if err != nil {
				b.Fatal(err)
			}
			var body map[string]any
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				b.Fatalf("%d %v", resp.StatusCode, err)
			}
			if next, ok := body["refresh_token"].(string); ok {
				rt = next
			}
			data, _ := json.Marshal(body)
			bareWrite(b, bareFile, data)
		}
	})

	rec, err := st.Load("work")
	if err != nil {
		t.Fatal(err)
	}
	fresh := iss.Mint(oauthtest.DefaultClientID, "")
	update := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Update(context.Background(), "work", func(cur *store.Record) (*store.Record, error) {
				cur.Apply(&fresh)
				return cur, nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
	recData, _ := json.Marshal(rec)
	bareUpdate := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			bareWrite(b, bareFile, recData)
		}
	})

	fmt.Printf("\none refresh and one store update, against bare references\n")
	fmt.Printf("%-34s %12s %12s %8s  %s\n", "figure", "tokentray", "reference", "ratio", "target")
	for _, r := range []struct {
		name      string
		got, ref  testing.BenchmarkResult
		target    float64
		reference string
	}{
		{"refresh (engine)", refresh, bareRefresh, 1.5, "a bare HTTP client + a bare fsync'd write"},
		{"store update", update, bareUpdate, 1.5, "a bare fsync'd atomic write"},
	} {
		got, ref := time.Duration(r.got.NsPerOp()), time.Duration(r.ref.NsPerOp())
		ratio := float64(got) / float64(ref)
		fmt.Printf("%-34s %12v %12v %7.2fx  <= %gx %s %s\n", r.name, got.Round(time.Microsecond), ref.Round(time.Microsecond),
			ratio, r.target, r.reference, verdict(ratio <= r.target))
	}
}

// bareWrite is the reference write: a temporary file written, fsync'd and
// renamed over path, and the directory fsync'd, with nothing else.
func bareWrite(b *testing.B, path string, data []byte) {
	f, err := os.CreateTemp(filepath.Dir(path), ".bare-*")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if err := os.Rename(f.Name(), path); err != nil {
		b.Fatal(err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		b.Fatal(err)
	}
	d.Sync()
	d.Close()
}
