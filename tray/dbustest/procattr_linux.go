package dbustest

import "syscall"

// sysProcAttr makes the kernel kill the daemon when the test process dies,
// so an aborted test run leaves no dbus-daemon behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
