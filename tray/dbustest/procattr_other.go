//go:build !linux

package dbustest

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
