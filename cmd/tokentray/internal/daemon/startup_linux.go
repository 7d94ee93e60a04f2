package daemon

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// dropStartupPages unmaps the program's own read-only pages (code and
// constant data) from this process, once start-up is over. Start-up runs
// a lot of code once (the command line, the configuration, every token
// file, package initialisation) and the kernel maps the file around each
// page fault 64 KiB at a time, so nearly the whole binary ends up
// resident although the idle instance needs a small part of it. The pages
// stay in the page cache; those the instance uses again come back on
// their next touch. Mappings holding any page of their own (anonymous,
// i.e. written to) are left alone, so nothing but clean file pages goes.
func dropStartupPages() {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	type mapping struct{ start, end uint64 }
	var cur *mapping
	var drop []mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if strings.Contains(fields[0], "-") && len(fields) >= 5 {
			cur = nil
			perms := fields[1]
			if len(fields) == 6 && fields[5] == exe && perms[1] == '-' && perms[3] == 'p' {
				lo, hi, _ := strings.Cut(fields[0], "-")
				s, err1 := strconv.ParseUint(lo, 16, 64)
				e, err2 := strconv.ParseUint(hi, 16, 64)
				if err1 == nil && err2 == nil {
					cur = &mapping{s, e}
				}
			}
			continue
		}
		if cur != nil && fields[0] == "Anonymous:" {
			if fields[1] == "0" {
				drop = append(drop, *cur)
			}
			cur = nil
		}
	}
	for _, m := range drop {
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), unix.MADV_DONTNEED)
	}
}
