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

func TestZZScratch(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	n, _ := strconv.Atoi(os.Getenv("ZZ"))
	h := newHome(t, oauthtest.Options{AccessTTL: 24 * time.Hour})
	var cfg strings.Builder
	for i := range n {
		name := "acct" + strconv.Itoa(i)
		cfg.WriteString(h.ownedAccount(name))
		h.signIn(name)
	}
	h.writeConfig(cfg.String())
	cmd := exec.Command(binary, "run", "--headless")
	cmd.Env = append(h.env, "GODEBUG=gctrace=1")
	var out bytes.Buffer
	cmd.Stderr = &out
	cmd.Start()
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	status := filepath.Join(h.root, "state", "tokentray", "status.json")
	for { if _, err := os.Stat(status); err == nil { break }; time.Sleep(50 * time.Millisecond) }
	time.Sleep(5 * time.Second)
	for i := 0; i < 16; i++ {
		per, _ := exec.Command("sh", "-c", fmt.Sprintf("grep -h voluntary_ctxt_switches: /proc/%d/task/*/status | grep -v non | awk '{printf \"%%s \", $2}'", cmd.Process.Pid)).Output()
		fmt.Println(time.Now().Format("15:04:05"), "switches", switches(t, cmd.Process.Pid), string(per))
		time.Sleep(10 * time.Second)
	}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", cmd.Process.Pid))
	fmt.Println(string(b))
	sm, _ := exec.Command("sh", "-c", fmt.Sprintf("awk '/^[0-9a-f]+-/{hdr=$1\" \"$2\" \"$6} /^Rss:/{print $2, hdr}' /proc/%d/smaps | sort -rn | head -8", cmd.Process.Pid)).Output()
	fmt.Println(string(sm))
	fi, _ := os.Stat(status)
	fmt.Println("status.json", fi.Size())
	for _, l := range strings.Split(out.String(), "\n") {
		fmt.Println(l)
	}
}
