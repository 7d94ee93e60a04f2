# tokentray — see README.md.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.versionOverride=$(VERSION)
BIN     := bin/tokentray
PKGS    := ./...

.PHONY: all build run demo test fmt-check vet unit cross bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/tokentray

## run: start tokentray (tray icon when a desktop session is available).
run: build
	./$(BIN) run

## demo: everything against an embedded local issuer; touches nothing of yours.
demo: build
	./$(BIN) demo

## test: formatting, vet, race-enabled tests, and the Windows cross-build.
test: fmt-check vet unit cross

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

## bench: speed and memory figures.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 $(PKGS)

clean:
	rm -rf bin
