//go:build !unix && !windows

package watched

import "syscall"

func detachedAttr() *syscall.SysProcAttr { return nil }

func terminalAttr() *syscall.SysProcAttr { return nil }
