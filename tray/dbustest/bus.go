// Package dbustest is a test harness for D-Bus desktop integration: a private
// dbus-daemon, a fake StatusNotifierWatcher, a fake notification server and
// helpers that read a StatusNotifierItem and its dbusmenu the way a panel
// does.
//
// Everything runs on a private bus started from a temporary config file with
// no service directories, so nothing installed on the machine is
// auto-started and the user's real session bus is never touched. Every
// fake service owns its own private connection.
//
// The package is meant for tests (of this module and of the tokentray
// binary); it depends on package testing only through the optional helpers
// that take a testing.TB.
package dbustest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/tokentray/tokentray/keepalive/keepalivetest"
)

// DaemonName is the program Start runs; it is looked up on PATH.
const DaemonName = "dbus-daemon"

// ErrNoDaemon reports that dbus-daemon is not installed.
var ErrNoDaemon = errors.New("dbustest: dbus-daemon not found on PATH")

// startTimeout bounds how long Start waits for the daemon to print its
// address.
const startTimeout = 10 * time.Second

// Bus is a private dbus-daemon of type "session".
type Bus struct {
	// Address is the bus address (e.g. "unix:path=/tmp/dbustest123/dbus-XYZ,guid=...")
	// to put in DBUS_SESSION_BUS_ADDRESS or pass to dbus.Connect.
	Address string

	dir  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the daemon has exited

	stderr keepalivetest.Buffer

	closeOnce sync.Once
	closeErr  error
}

// Log returns what the daemon wrote on stderr so far (warnings such as
// "Failed to set fd limit" are normal), for a failing test to print.
func (b *Bus) Log() string { return b.stderr.String() }

// Available reports whether dbus-daemon is installed.
func Available() bool {
	_, err := exec.LookPath(DaemonName)
	return err == nil
}

// busConfig is a minimal session-bus configuration: it listens on a unix
// socket in dir, authenticates with EXTERNAL (same uid only), allows every
// message, and has no <servicedir>/<standard_session_servicedirs/>, so no
// service can be activated.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// Start starts a private dbus-daemon in a new temporary directory and
// returns once it accepts connections. It returns ErrNoDaemon when
// dbus-daemon is not installed. Call Close to stop it.
func Start() (*Bus, error) {
	daemon, err := exec.LookPath(DaemonName)
	if err != nil {
		return nil, ErrNoDaemon
	}
	// A short directory: unix socket paths are limited to ~108 bytes.
	dir, err := os.MkdirTemp("", "dbustest")
	if err != nil {
		return nil, fmt.Errorf("dbustest: %w", err)
	}
	if strings.ContainsAny(dir, "<>&\"'") {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("dbustest: temp dir %q unusable in a bus config", dir)
	}
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, dir)), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("dbustest: %w", err)
	}

	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--print-address=1")
	b := &Bus{dir: dir, done: make(chan struct{})}
	cmd.Stderr = &b.stderr
	cmd.SysProcAttr = sysProcAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("dbustest: %w", err)
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("dbustest: starting %s: %w", daemon, err)
	}
	b.cmd = cmd
	go func() {
		cmd.Wait()
		close(b.done)
	}()

	addrc := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		addrc <- strings.TrimSpace(line)
		io.Copy(io.Discard, r) // keep the pipe drained
	}()
	select {
	case addr := <-addrc:
		if addr == "" {
			b.Close()
			return nil, fmt.Errorf("dbustest: dbus-daemon exited without printing an address: %s", b.Log())
		}
		b.Address = addr
	case <-time.After(startTimeout):
		b.Close()
		return nil, errors.New("dbustest: timed out waiting for dbus-daemon")
	}
	return b, nil
}

// New starts a private bus for a test and stops it in t.Cleanup. It skips
// the test when dbus-daemon is not installed and fails it on any other
// error.
func New(t testing.TB) *Bus {
	t.Helper()
	b, err := Start()
	if errors.Is(err, ErrNoDaemon) {
		t.Skip("dbus-daemon not installed")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// Connect opens a new private, authenticated connection to the bus.
func (b *Bus) Connect() (*dbus.Conn, error) {
	return dbus.Connect(b.Address)
}

// Env returns os.Environ() with DBUS_SESSION_BUS_ADDRESS pointing at this
// bus, for starting a program under test.
func (b *Bus) Env() []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	return append(env, "DBUS_SESSION_BUS_ADDRESS="+b.Address)
}

// Close kills the daemon, waits for it and removes its directory. Clients
// still connected see their connection drop. Close is idempotent.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		if b.cmd.Process != nil {
			b.cmd.Process.Kill()
		}
		<-b.done
		b.closeErr = os.RemoveAll(b.dir)
	})
	return b.closeErr
}

// claimName requests a well-known name, failing unless conn becomes its
// primary owner.
func claimName(conn *dbus.Conn, name string) error {
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("dbustest: requesting %s: %w", name, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("dbustest: %s already owned (reply %d)", name, reply)
	}
	return nil
}

// SendSignal sends the signal name ("interface.Member") on path from conn,
// addressed to the connection dest only (a unicast signal: the bus delivers
// it to dest whatever dest's match rules say, which is how a rogue client
// would try to forge one). The bus sets the sender to conn's unique name.
func SendSignal(conn *dbus.Conn, dest string, path dbus.ObjectPath, name string, body ...any) error {
	i := strings.LastIndex(name, ".")
	if i <= 0 {
		return fmt.Errorf("dbustest: signal name %q has no interface", name)
	}
	msg := &dbus.Message{
		Type: dbus.TypeSignal,
		Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldDestination: dbus.MakeVariant(dest),
			dbus.FieldPath:        dbus.MakeVariant(path),
			dbus.FieldInterface:   dbus.MakeVariant(name[:i]),
			dbus.FieldMember:      dbus.MakeVariant(name[i+1:]),
		},
		Body: body,
	}
	if len(body) > 0 {
		msg.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(body...))
	}
	if err := msg.IsValid(); err != nil {
		return fmt.Errorf("dbustest: %w", err)
	}
	return conn.Send(msg, nil).Err
}

// Flush returns once the bus has handled every message conn sent before
// (it makes a round trip to the bus daemon, which handles the messages of
// one connection in order), so a signal sent with Emit or SendSignal has
// been queued for its recipients.
func Flush(conn *dbus.Conn) error {
	return conn.BusObject().Call("org.freedesktop.DBus.Peer.Ping", 0).Err
}
