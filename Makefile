# tokentray — see README.md.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.versionOverride=$(VERSION)
BIN     := bin/tokentray
# On Linux the binary is linked statically, without cgo (the resolver and
# user lookups of the Go library need none): no C library pages in memory.
# (-race in make test needs cgo: only the build sets it.)
BUILD_CGO ?= $(if $(filter Linux,$(shell uname -s)),0,1)
PKGS    := ./...

PREFIX  ?= $(HOME)/.local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
APPID   := io.tokentray.tokentray

.PHONY: all build run demo test fmt-check vet unit cross portable-tests test-windows vet-darwin bench man completions install uninstall clean

all: build

build:
	CGO_ENABLED=$(BUILD_CGO) $(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/tokentray

## run: start tokentray (tray icon when a desktop session is available).
run: build
	./$(BIN) run

## demo: everything against an embedded local issuer; touches nothing of yours.
demo: build
	./$(BIN) demo

## test: formatting, vet, race-enabled tests, and the Windows cross-build.
test: fmt-check portable-tests vet unit cross

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -race -count=1 -timeout 10m $(PKGS)

cross:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build $(PKGS)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet $(PKGS)

portable-tests:
	GO=$(GO) bash .ci/portable-tests.sh

## test-windows: the Windows build's tests and a CLI smoke under Wine
## (needs Debian's wine, wine64 and gcc-mingw-w64-x86-64-win32).
test-windows:
	GO=$(GO) timeout 900 bash .ci/windows/test.sh

## vet-darwin: build, vet and compile the tests for macOS amd64 and arm64
## (fyne.io/systray's cgo backend replaced by a stub, for this target only).
vet-darwin:
	GO=$(GO) timeout 900 bash .ci/darwin/vet.sh

## bench: speed and memory figures.
bench:
	TOKENTRAY_BENCH=1 $(GO) test -count=1 -run '^(TestEngineFigures|TestMicroFigures)$$' -v ./keepalive/ | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS' -e '^ok'
	TOKENTRAY_BENCH=1 $(GO) test -count=1 -timeout 30m -run '^(TestCommandFigures|TestIdleFigures)$$' -v ./cmd/tokentray/ | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS' -e '^ok'
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)

## man: man pages from the command tree, into bin/man/.
man:
	$(GO) run ./cmd/tokentray/internal/genman bin/man

## completions: bash, zsh, fish and PowerShell completion scripts, into bin/completions/.
completions: build
	mkdir -p bin/completions
	./$(BIN) completion bash > bin/completions/tokentray.bash
	./$(BIN) completion zsh > bin/completions/_tokentray
	./$(BIN) completion fish > bin/completions/tokentray.fish
	./$(BIN) completion powershell > bin/completions/tokentray.ps1

## install: binary, desktop entry, icon, man pages and completions under PREFIX (default ~/.local).
install: build man completions
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/applications \
		$(DESTDIR)$(DATADIR)/icons/hicolor/128x128/apps $(DESTDIR)$(DATADIR)/man/man1 \
		$(DESTDIR)$(DATADIR)/bash-completion/completions $(DESTDIR)$(DATADIR)/zsh/site-functions \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/tokentray
	sed 's|@BINDIR@|$(BINDIR)|' assets/$(APPID).desktop > $(DESTDIR)$(DATADIR)/applications/$(APPID).desktop
	install -m 0644 assets/icons/app.png $(DESTDIR)$(DATADIR)/icons/hicolor/128x128/apps/$(APPID).png
	install -m 0644 bin/man/*.1 $(DESTDIR)$(DATADIR)/man/man1/
	install -m 0644 bin/completions/tokentray.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/tokentray
	install -m 0644 bin/completions/_tokentray $(DESTDIR)$(DATADIR)/zsh/site-functions/_tokentray
	install -m 0644 bin/completions/tokentray.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/tokentray.fish
	@echo "Installed $(DESTDIR)$(BINDIR)/tokentray. Start it with 'tokentray run', or at every login with 'tokentray autostart enable'."

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tokentray $(DESTDIR)$(DATADIR)/applications/$(APPID).desktop \
		$(DESTDIR)$(DATADIR)/icons/hicolor/128x128/apps/$(APPID).png $(DESTDIR)$(DATADIR)/man/man1/tokentray*.1 \
		$(DESTDIR)$(DATADIR)/bash-completion/completions/tokentray $(DESTDIR)$(DATADIR)/zsh/site-functions/_tokentray \
		$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/tokentray.fish

clean:
	rm -rf bin
