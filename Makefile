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

# The whole suite in phases: unit and API tests, the Chromium tests one at a time, every
# bundled lesson this host can run rehearsed, and the release build in Chromium. It ends
# with a summary naming each phase's result and every failed test (scripts/test.sh).
test: setup-tests build-debug images
	@scripts/test.sh

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
