package status

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tokentray/tokentray/cmd/tokentray/internal/cmdutil"
	"github.com/tokentray/tokentray/keepalive"
)

// writeText prints the header and the table, fitted to width columns
// (except in wide mode, which adds columns and does not fit).
func writeText(w io.Writer, rep Report, now time.Time, width int, wide bool) {
	instance := "not running; start it with 'tokentray run'"
	if rep.Running {
		instance = "running"
		if rep.PID > 0 {
			instance = fmt.Sprintf("running, pid %d", rep.PID)
		}
	}
	login := "unknown"
	if rep.StartAtLogin != nil {
		login = map[bool]string{true: "enabled", false: "disabled"}[*rep.StartAtLogin]
		if !*rep.StartAtLogin && !rep.Running {
			login += " (enable it with 'tokentray autostart enable')"
		}
	}
	fmt.Fprintf(w, "Instance:       %s\n", instance)
	fmt.Fprintf(w, "Start at login: %s\n", login)
	fmt.Fprintf(w, "Config:         %s\n\n", displayPath(rep.Config))
	if len(rep.Snapshot.Accounts) == 0 {
		fmt.Fprintf(w, "No accounts are configured. Add one with\n\n"+
			"  tokentray add work --issuer URL --client-id ID\n\n"+
			"or write a table like this into the config file:\n\n%s", cmdutil.ExampleAccount)
		return
	}

	header := []string{"NAME", "SOURCE", "USER", "STATUS", "TOKEN EXPIRES", "LOGIN ENDS"}
	if wide {
		header = append(header, "EXPIRY FROM", "ISSUER", "NEXT REFRESH", "LAST ERROR")
	}
	rows := [][]string{header}
	for _, a := range rep.Snapshot.Accounts {
		src, tool := source(a.Kind)
		if tool != "" {
			src = tool
		}
		row := []string{a.Name, src, dash(a.User), statusWord(a, now), relative(a.Expiry, now), relative(a.Deadline, now)}
		if wide {
			next := relative(a.NextRefresh, now)
			if a.State == keepalive.Retrying && !a.NextTry.IsZero() {
				next = fmt.Sprintf("retry %d %s", a.Attempt+1, relative(a.NextTry, now))
			}
			row = append(row, dash(string(a.ExpirySource)), dash(rep.Issuers[a.Name]), next, dash(oneLine(withSignInError(a.LastError, a))))
		}
		rows = append(rows, row)
	}
	widths := columnWidths(rows)
	if !wide {
		fit(widths, width)
	}
	for i, row := range rows {
		var b strings.Builder
		for c, cell := range row {
			last := c == len(row)-1
			cell = truncate(cell, widths[c])
			b.WriteString(cell)
			if !last {
				b.WriteString(strings.Repeat(" ", widths[c]-utf8.RuneCountInString(cell)+gap))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if i == 0 {
			continue
		}
		a := rep.Snapshot.Accounts[i-1]
		if step := nextStep(a, rep.Files[a.Name]); step != "" {
			reason := oneLine(withSignInError(a.Reason, a))
			if f := rep.Files[a.Name]; f != "" && strings.Contains(step, displayPath(f)) {
				// The step names the file already.
				reason = strings.ReplaceAll(reason, " "+f, "")
			}
			writeStep(w, step, reason, width)
		} else if note := oneLine(a.Reason); note != "" {
			// Nothing to do, but the verdict says more than the status
			// ("kept in the OS keyring; expiry unknown").
			for _, l := range wrap(note, max(width-4, 20)) {
				fmt.Fprintln(w, "    "+l)
			}
		}
		if a.FileWarning != "" {
			writeWarning(w, a.FileWarning, width)
		}
	}
}

// writeWarning prints "  ! warning", wrapped to the width.
func writeWarning(w io.Writer, warning string, width int) {
	for i, l := range wrap(oneLine(warning), max(width-4, 20)) {
		lead := "    "
		if i == 0 {
			lead = "  ! "
		}
		fmt.Fprintln(w, lead+l)
	}
}

const gap = 2

// statusWord is the STATUS cell: the state, or a more precise word where
// one fits (a login that ends soon is "ends soon", not "warning").
func statusWord(a keepalive.Account, now time.Time) string {
	if a.State == keepalive.Warning && a.Deadline.After(now) {
		return "ends soon"
	}
	return a.State.String()
}

// withSignInError adds why the last sign-in did not complete to s.
func withSignInError(s string, a keepalive.Account) string {
	if a.SignInError == "" {
		return s
	}
	if s != "" {
		s += "; "
	}
	return s + "sign-in: " + a.SignInError
}

// writeStep prints "  → step (reason)": the step whole, and the reason
// beside it when it fits, else below it, wrapped to the width.
func writeStep(w io.Writer, step, reason string, width int) {
	line := "  → " + step
	if reason == "" {
		fmt.Fprintln(w, line)
		return
	}
	if utf8.RuneCountInString(line)+utf8.RuneCountInString(reason)+3 <= width {
		fmt.Fprintf(w, "%s (%s)\n", line, reason)
		return
	}
	fmt.Fprintln(w, line)
	for _, l := range wrap(reason, max(width-4, 20)) {
		fmt.Fprintln(w, "    "+l)
	}
}

// wrap breaks s into lines of at most n runes at spaces (a longer word
// gets a line of its own).
func wrap(s string, n int) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		switch {
		case cur == "":
			cur = word
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(word) <= n:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = word
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

func columnWidths(rows [][]string) []int {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for c, cell := range row {
			widths[c] = max(widths[c], utf8.RuneCountInString(cell))
		}
	}
	return widths
}

// fit narrows the columns until the table fits width: USER first (it is
// the least needed to act), then SOURCE, then NAME (the next-step line
// spells it out), never below a readable minimum.
func fit(widths []int, width int) {
	total := func() int {
		t := gap * (len(widths) - 1)
		for _, w := range widths {
			t += w
		}
		return t
	}
	for _, c := range []struct{ col, min int }{{2, 5}, {1, 8}, {0, 12}} {
		if over := total() - width; over > 0 {
			widths[c.col] = max(c.min, widths[c.col]-over)
		}
	}
}

// truncate shortens s to n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// relative says when t is from now: "in 6h 12m", "3m ago", "-".
func relative(t, now time.Time) string {
	switch {
	case t.IsZero():
		return "-"
	case t.After(now):
		return "in " + keepalive.HumanDuration(t.Sub(now))
	default:
		return keepalive.HumanDuration(now.Sub(t)) + " ago"
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
