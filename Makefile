# tokenmeter: the two commands of README.md, and the steps behind them.
#
#   make run    install what is missing, build, fetch vocabularies, run the demo
#   make test   install what is missing, build, run every test (normal build,
#               then AddressSanitizer+UBSan build, the threaded tests under
#               ThreadSanitizer, then a short fuzz run)

BUILD      ?= build
ASAN_BUILD ?= build/asan
TSAN_BUILD ?= build/tsan
FUZZ_BUILD ?= build/libfuzzer
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 20

.PHONY: all deps build vocab run test test-normal test-asan test-tsan test-fuzz bench clean

all: build

deps:
	@scripts/install-deps

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

vocab: build
	@scripts/fetch-vocab

run: deps build vocab
	@scripts/demo

test: deps build vocab
	@$(MAKE) --no-print-directory test-normal test-asan test-tsan test-fuzz
	@echo "make test: all suites passed"

test-normal: build vocab
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: vocab
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTM_SANITIZE=ON \
		-DCMAKE_C_COMPILER=clang >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS) -LE slow

test-tsan: vocab
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTM_TSAN=ON \
		-DCMAKE_C_COMPILER=clang >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target tokenize_test ledger_test
	@cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -R '^(tokenize|ledger)$$'

test-fuzz: vocab
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTM_FUZZ=ON \
		-DTM_SANITIZE=ON -DCMAKE_C_COMPILER=clang >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@scripts/fuzz-run $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: deps build vocab
	@scripts/install-deps --bench
	@bench/tokenize/run

clean:
	rm -rf $(BUILD)
