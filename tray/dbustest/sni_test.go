//go:build linux

package dbustest

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/systray"
)

// trayChildEnv makes the test binary run a real fyne.io/systray tray
// instead of the tests (see TestMain).
const trayChildEnv = "DBUSTEST_SYSTRAY_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(trayChildEnv) == "1" {
		runTrayChild() // systray.Run must own the main goroutine
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runTrayChild shows a small tray: a disabled status line, a checked
// checkbox, a submenu, a separator and Quit.
func runTrayChild() {
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, color.NRGBA{R: 255, A: 255})
	}
	var icon bytes.Buffer
	png.Encode(&icon, img)

	systray.SetTitle("dbustest-tray")
	systray.Run(func() {
		systray.SetIcon(icon.Bytes())
		systray.SetTooltip("all good")
		status := systray.AddMenuItem("Status: ok", "")
		status.Disable()
		login := systray.AddMenuItemCheckbox("Start at Login", "", true)
		accounts := systray.AddMenuItem("Accounts", "")
		accounts.AddSubMenuItem("alice", "")
		systray.AddSeparator()
		quit := systray.AddMenuItem("Quit", "")
		go func() {
			for {
				select {
				case <-login.ClickedCh:
					if login.Checked() {
						login.Uncheck()
					} else {
						login.Check()
					}
				case <-quit.ClickedCh:
					systray.Quit()
					return
				}
			}
		}()
	}, func() {})
}

// TestReadRealSystray runs fyne.io/systray in a child process on a private
// bus and drives it with ReadItem, GetLayout and Click.
func TestReadRealSystray(t *testing.T) {
	b := New(t)
	w := b.NewWatcher(t)

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	// fyne.io/systray v1.12.2 has a data race of its own (refresh writes
	// menuVersion unlocked while GetLayout reads it): under -race, keep
	// the child's exit status and show the report only if the test fails.
	raceLog := t.TempDir() + "/race"
	cmd.Env = append(b.Env(), trayChildEnv+"=1", "GORACE=exitcode=0 log_path="+raceLog)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("tray output:\n%s", out.String())
		}
		if m, _ := filepath.Glob(raceLog + "*"); len(m) > 0 && t.Failed() {
			for _, f := range m {
				report, _ := os.ReadFile(f)
				t.Logf("race report of the tray child:\n%s", report)
			}
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	item, err := w.WaitItem(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := b.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	props, err := ReadItem(conn, item.BusName, item.Path)
	if err != nil {
		t.Fatal(err)
	}
	if props.Status != "Active" || props.Title != "dbustest-tray" || props.Menu == "" {
		t.Errorf("item props %+v", props)
	}
	if len(props.Icons) != 1 || props.Icons[0].Width != 16 || props.Icons[0].Height != 16 || len(props.Icons[0].ARGB) != 16*16*4 {
		t.Fatalf("IconPixmap %+v", props.Icons)
	}
	// Pixel (3,3) is opaque red in ARGB: ff ff 00 00.
	if px := props.Icons[0].ARGB[(3*16+3)*4:][:4]; !bytes.Equal(px, []byte{255, 255, 0, 0}) {
		t.Errorf("pixel (3,3) = % x", px)
	}
	if props.ToolTip.Title != "all good" {
		t.Errorf("tooltip %+v", props.ToolTip)
	}

	// The first GetLayout of fyne.io/systray is shallow; read until the
	// submenu shows up.
	var root MenuItem
	for {
		_, root, err = GetLayout(conn, item.BusName, props.Menu)
		if err != nil {
			t.Fatal(err)
		}
		if acc, ok := root.Find("Accounts"); ok && len(acc.Children) == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("submenu never appeared: %+v", root)
		case <-time.After(50 * time.Millisecond):
		}
	}
	if got := root.Labels(); !slices.Equal(got, []string{"Status: ok", "Start at Login", "Accounts", "-", "Quit"}) {
		t.Errorf("menu labels %q", got)
	}
	status, _ := root.Find("Status: ok")
	if status.Enabled {
		t.Error("status line is enabled")
	}
	login, _ := root.Find("Start at Login")
	if !login.Enabled || login.ToggleType != "checkmark" || login.ToggleState != 1 {
		t.Errorf("checkbox %+v", login)
	}
	if acc, _ := root.Find("Accounts"); acc.Children[0].Label != "alice" {
		t.Errorf("submenu %+v", acc.Children)
	}

	// Clicking the checkbox unchecks it.
	if err := Click(conn, item.BusName, props.Menu, login.ID); err != nil {
		t.Fatal(err)
	}
	for {
		_, root, err = GetLayout(conn, item.BusName, props.Menu)
		if err != nil {
			t.Fatal(err)
		}
		if l, _ := root.Find("Start at Login"); l.ToggleState == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("checkbox still checked after click")
		case <-time.After(50 * time.Millisecond):
		}
	}

	quit, _ := root.Find("Quit")
	if err := ClickNoReply(conn, item.BusName, props.Menu, quit.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil && !strings.Contains(err.Error(), "exit status 0") {
			t.Errorf("tray exited with %v", err)
		}
	case <-ctx.Done():
		t.Fatal("tray did not quit after clicking Quit")
	}
}
