# cell's make targets. Each is a thin wrapper; the real work lives in Go code and in
# internal/tools. See README.md for what a newcomer runs first.

GO        ?= go
FUZZTIME  ?= 5s
PKGS      := ./...

.PHONY: all test check fmt vet unit race allocs benchonce fuzzshort fuzz generate gencheck flatc benchmod bench demo clean

all: test

## test: everything CI runs: format, vet, generated code current, race tests,
## every benchmark once, a short run of every fuzz target, the bench module's own tests.
test: fmt vet gencheck race allocs benchonce fuzzshort benchmod

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

race:
	$(GO) test -race -count=1 -timeout 15m $(PKGS)

## allocs: the zero-allocation tests once more without -race (the race runtime's
## sync.Pool drops items at random, so rpc's allocation test skips itself under -race).
allocs:
	$(GO) test -count=1 -run 'Alloc' $(PKGS)

unit:
	$(GO) test -count=1 $(PKGS)

benchonce:
	$(GO) test -run '^$$' -bench . -benchtime 1x -count 1 -timeout 10m $(PKGS)

fuzzshort:
	FUZZTIME=$(FUZZTIME) bash internal/tools/fuzzall.sh

## fuzz: every fuzz target for FUZZTIME each (make fuzz FUZZTIME=10m).
fuzz:
	FUZZTIME=$(FUZZTIME) bash internal/tools/fuzzall.sh

## flatc: install Debian's flatbuffers-compiler when flatc is missing.
flatc:
	@command -v flatc >/dev/null 2>&1 || { \
	  echo "installing flatbuffers-compiler"; \
	  (apt-get update -qq && apt-get install -y -qq flatbuffers-compiler) >/dev/null || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq flatbuffers-compiler) >/dev/null; }

## generate: regenerate all generated code (flatc and cellgen output).
generate: flatc
	$(GO) generate $(PKGS)

## gencheck: fail when generated code is not current.
gencheck: generate
	@git diff --exit-code --stat -- . ':(exclude)BENCHMARKS.md' || \
	  { echo "generated code is stale: run 'make generate' and commit"; exit 1; }

## benchmod: the bench module (its own go.mod, with the peers) builds, its harness
## tests pass and each of its benchmarks runs once.
benchmod:
	cd bench && $(GO) vet ./... && $(GO) test -count=1 ./... && $(GO) test -run '^$$' -bench . -benchtime 1x .

## bench: run the benchmark suite and rewrite BENCHMARKS.md (and the README's
## headline) from what it measured.
bench:
	cd bench && $(GO) run ./cmd/benchmd -out ../BENCHMARKS.md -readme ../README.md

## demo: the main job, between real processes.
demo:
	$(GO) run ./cmd/celldemo

clean:
	$(GO) clean -testcache
