#!/usr/bin/env bash
# Part of make test: the tests that are compiled for Windows take their
# temporary folders from keepalive/keepalivetest/testfs.TempDir, not t.TempDir: under
# Wine (make test-windows) t.TempDir's cleanup fails ("Invalid
# function"), see README, Tested on each OS.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
files=$(GOOS=windows $GO list -f '{{$d := .Dir}}{{range .TestGoFiles}}{{$d}}/{{.}} {{end}}{{range .XTestGoFiles}}{{$d}}/{{.}} {{end}}' ./... |
	tr ' ' '\n' | grep '_test\.go$' | grep -v '/keepalive/keepalivetest/testfs/' | xargs -r grep -l -E '\b[tb]\.TempDir\(\)' || true)
if [ -n "$files" ]; then
	echo "These tests run on Windows too: use testfs.TempDir(t) (github.com/tokentray/tokentray/keepalive/keepalivetest/testfs) instead of t.TempDir():" >&2
	echo "$files" | sed "s#^$PWD/#  #" >&2
	exit 1
fi
