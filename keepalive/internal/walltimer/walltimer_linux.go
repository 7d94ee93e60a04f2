package walltimer

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

type sysTimer struct {
	f    *os.File
	done chan struct{}
}

// New returns a disarmed timer.
func New() (*Timer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_REALTIME, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("timerfd_create", err)
	}
	// Non-blocking, so the os.File is read through the runtime's poller.
	t := &Timer{c: make(chan time.Time, 1), sys: sysTimer{f: os.NewFile(uintptr(fd), "timerfd"), done: make(chan struct{})}}
	go t.wait()
	return t, nil
}

// wait reads the descriptor until it is closed: a read returns the
// number of expirations, or fails with ECANCELED when the wall clock was
// set.
func (t *Timer) wait() {
	defer close(t.sys.done)
	var buf [8]byte
	for {
		_, err := t.sys.f.Read(buf[:])
		switch {
		case err == nil:
			t.fire(false)
		case errors.Is(err, unix.ECANCELED):
			t.fire(true)
		default:
			return // closed
		}
	}
}

func (s *sysTimer) arm(at time.Time) error {
	ns := at.UnixNano()
	if ns <= 0 {
		ns = 1 // an all-zero value would disarm
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(ns)}
	return s.settime(unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET, &spec)
}

func (s *sysTimer) disarm() { _ = s.settime(0, &unix.ItimerSpec{}) }

func (s *sysTimer) settime(flags int, spec *unix.ItimerSpec) error {
	rc, err := s.f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.TimerfdSettime(int(fd), flags, spec, nil) }); err != nil {
		return err
	}
	if serr != nil {
		return os.NewSyscallError("timerfd_settime", serr)
	}
	return nil
}

func (s *sysTimer) close() error {
	err := s.f.Close()
	<-s.done
	return err
}
