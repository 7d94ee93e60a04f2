#!/usr/bin/env bash
# make vet-darwin: build, vet and compile the tests of every package for
# macOS (amd64 and arm64) on a machine without the macOS SDK.
#
# fyne.io/systray's macOS backend needs cgo; CGO_ENABLED=0 leaves its 21
# internal functions undefined. A temporary copy of the module, plus our
# stub of those functions (systray_nocgo_darwin.go, written from their
# signatures), is used through a temporary go.mod with a replace
# (-modfile). Nothing here touches go.mod, go.sum or the module cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}

work=$(mktemp -d "${TMPDIR:-/tmp}/tokentray-darwin.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

mod=fyne.io/systray
ver=$($GO list -m -f '{{.Version}}' "$mod")
src=$(timeout 120 $GO mod download -json "$mod@$ver" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "vet-darwin: $mod@$ver not in the module cache" >&2; exit 1; }
cp -r "$src" "$work/systray"
chmod -R u+w "$work/systray"
cp .ci/darwin/systray_nocgo_darwin.go "$work/systray/"

cp go.mod "$work/go.mod"
cp go.sum "$work/go.sum"
$GO mod edit -modfile="$work/go.mod" -replace="$mod=$work/systray"
flags=(-modfile="$work/go.mod")

export GOOS=darwin CGO_ENABLED=0
for arch in amd64 arm64; do
	export GOARCH=$arch
	timeout 300 $GO build "${flags[@]}" ./...
	timeout 300 $GO vet "${flags[@]}" ./...
	# Compile (do not run) every package's tests.
	timeout 300 $GO test "${flags[@]}" -count=1 -run '^$' -exec /bin/true ./... >/dev/null
	echo "vet-darwin: darwin/$arch: build, vet and test compile ok"
done
