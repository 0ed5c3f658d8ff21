# The two commands the README names: `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# Written by scripts/setup.sh: the compiler settings this host needs for WASM.
TOOLCHAIN := source target/toolchain.env &&
# Leptos erases component types in debug builds (`--cfg erase_components`): much less to
# compile. Every debug cargo command uses the same flags, so tests reuse the build.
DEBUG_FLAGS := RUSTFLAGS="--cfg erase_components"

.PHONY: run test soak bench setup setup-tests build-release build-debug images

run: setup build-release images
	mkdir -p data
	./target/release/slipway serve

# Then every bundled lesson this host can run is rehearsed in a sandbox of its own, and
# the release build runs a workshop in Chromium (tests/api/release.rs).
# The browser tests run on their own: Chromium fails every request in flight with
# ERR_NETWORK_CHANGED when the host gains or loses a network interface, which Docker
# does whenever another test's sandbox starts or goes.
# Sandboxes a failed or killed run left behind are removed before and after.
# --show-output prints what passing tests printed: their `figure:` lines (README).
test: setup-tests build-debug images
	@scripts/remove-test-sandboxes.sh
	./target/debug/slipway lessons validate
	status=0; $(TOOLCHAIN) $(DEBUG_FLAGS) cargo test --workspace --no-fail-fast -- --skip browser:: --show-output || status=$$?; \
	printf '\n==> In Chromium, one test at a time (tests/api/browser.rs)\n'; \
	$(TOOLCHAIN) $(DEBUG_FLAGS) cargo test -p slipway-tests --test api -- browser:: --test-threads=1 || status=$$?; \
	printf '\n==> Lesson rehearsals (slipway lessons test)\n'; \
	./target/debug/slipway lessons test || status=$$?; \
	printf '\n==> The release build, as `make run` serves it, in Chromium\n'; \
	{ $(MAKE) --no-print-directory build-release && \
	  $(TOOLCHAIN) $(DEBUG_FLAGS) cargo test -p slipway-tests --test api -- --ignored release::; \
	} || status=$$?; \
	scripts/remove-test-sandboxes.sh; exit $$status

# The slow figures of issue 16 (abuse and faults), bounded in time: tests/soak.
soak: setup-tests build-debug build-release images
	@scripts/remove-test-sandboxes.sh
	status=0; $(TOOLCHAIN) $(DEBUG_FLAGS) cargo test -p slipway-tests --test soak -- --test-threads=1 --nocapture || status=$$?; \
	scripts/remove-test-sandboxes.sh; \
	scripts/fuzz.sh 60 || status=$$?; exit $$status

# Figures beside raw-engine baselines from the same run, in one table (README).
bench: setup build-release images
	$(TOOLCHAIN) cargo bench -p slipway-tests --bench platform

setup:
	@scripts/setup.sh

setup-tests:
	@scripts/setup.sh --tests

# The release site (target/site) is what `make run` serves; the debug one
# (target/site-debug) is what the tests serve, so neither swaps the other's WASM.
build-release:
	$(TOOLCHAIN) scripts/build-site.sh release

build-debug:
	$(TOOLCHAIN) $(DEBUG_FLAGS) scripts/build-site.sh debug

# The sandbox node image, built on a base image that is pulled or, offline, bootstrapped,
# and the registry of the images the lessons declare, which the nodes pull through. Any
# build of the server lists them: the release one, or for `make test` the debug one.
SLIPWAY_BIN = target/release/slipway
test: SLIPWAY_BIN = target/debug/slipway
images:
	@printf '\n==> Sandbox images\n'
	@docker/base-image.sh
	@docker/node-image.sh
	@printf '\n==> Lesson-image registry\n'
	@docker/registry.sh $$($(SLIPWAY_BIN) lessons images)
