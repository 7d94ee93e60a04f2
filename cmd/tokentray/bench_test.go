//go:build linux

package main

import (
	"bytes"
	"fmt"
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

// TestCommandFigures prints the latency of `tokentray status` with ten
// owned accounts against `tokentray version`, the same binary starting
// and printing without reading anything, measured in the same run, as a
// ratio with its target (make bench). Nothing is asserted.
func TestCommandFigures(t *testing.T) {
	if os.Getenv("TOKENTRAY_BENCH") == "" {
		t.Skip("set TOKENTRAY_BENCH=1 (make bench)")
	}
	h := newHome(t, oauthtest.Options{AccessTTL: time.Hour})
	var cfg strings.Builder
	for i := range 10 {
		name := "acct" + strconv.Itoa(i)
		cfg.WriteString(h.ownedAccount(name))
		h.signIn(name)
	}
	h.writeConfig(cfg.String())
	bench := func(args ...string) time.Duration {
		r := testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(binary, args...)
				cmd.Env = h.env
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
		})
		return time.Duration(r.NsPerOp())
	}
	status, version := bench("status"), bench("version")
	ratio := float64(status) / float64(version)
	fmt.Printf("\ncommand latency, whole process (reference: tokentray version, the same binary reading nothing)\n")
	fmt.Printf("%-34s %12s %12s %8s  %s\n", "figure", "tokentray", "reference", "ratio", "target")
	fmt.Printf("%-34s %12v %12v %7.2fx  <= 2x %s\n", "status, ten accounts", status.Round(10*time.Microsecond),
		version.Round(10*time.Microsecond), ratio, verdict(ratio <= 2))
}

// BenchmarkIdleRSS reports the resident memory of a running headless
// tokentray with ten owned accounts, once it has settled (not woken for
// 5 s).
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
		settle(b, cmd.Process.Pid)
		b.ReportMetric(float64(procField(b, "/proc/"+strconv.Itoa(cmd.Process.Pid)+"/status", "VmRSS:")), "rss-KiB")
		cmd.Process.Kill()
		cmd.Wait()
	}
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
