package daemon

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// exeResident sums the resident KiB of this program's read-only mappings
// of its own file.
func exeResident(t *testing.T) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total, ours := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-"):
			ours = len(fields) == 6 && fields[5] == exe && fields[1][1] == '-'
		case ours && fields[0] == "Rss:":
			n, _ := strconv.Atoi(fields[1])
			total += n
		}
	}
	return total
}

func TestDropStartupPages(t *testing.T) {
	before := exeResident(t)
	dropStartupPages()
	after := exeResident(t)
	t.Logf("resident read-only pages of the binary: %d KiB before, %d KiB after", before, after)
	if after > before*3/4 {
		t.Errorf("%d KiB of the binary still resident after the drop, of %d", after, before)
	}
	// Code and constant tables still work: they come back from the file.
	if !unicode.IsUpper('Ä') || strconv.Itoa(42) != "42" {
		t.Error("the program misbehaves after the drop")
	}
}
