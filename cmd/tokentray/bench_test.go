//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokentray/tokentray/oauthflow/oauthtest"
)

// BenchmarkStatusCommand is the latency of `tokentray status` with ten
// owned accounts: process start, config, ten token files, output.
func BenchmarkStatusCommand(b *testing.B) {
	h := benchHome(b, 10)
	for b.Loop() {
		cmd := exec.Command(binary, "status")
		cmd.Env = h.env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
	}
}

// BenchmarkIdleRSS reports the resident memory of a running headless
// tokentray with ten owned accounts, once it has settled.
func BenchmarkIdleRSS(b *testing.B) {
	h := benchHome(b, 10)
	for b.Loop() {
		cmd := exec.Command(binary, "run", "--headless")
		cmd.Env = h.env
		var out bytes.Buffer
		cmd.Stderr = &out
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		status := filepath.Join(h.root, "state", "tokentray", "status.json")
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(status); err == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("never started:\n%s", out.String())
			}
		}
		time.Sleep(500 * time.Millisecond)
		b.ReportMetric(float64(rssKiB(b, cmd.Process.Pid)), "rss-KiB")
		cmd.Process.Kill()
		cmd.Wait()
	}
}

func rssKiB(b *testing.B, pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

func benchHome(b *testing.B, n int) *home {
	h := newHome(b, oauthtest.Options{AccessTTL: time.Hour})
	var cfg strings.Builder
	for i := range n {
		name := "acct" + strconv.Itoa(i)
		cfg.WriteString(h.ownedAccount(name))
		h.signIn(name)
	}
	h.writeConfig(cfg.String())
	return h
}
