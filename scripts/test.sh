#!/usr/bin/env bash
# The whole suite, as `make test` runs it (the Makefile has set up, built the debug site
# and the images). Each phase runs even when one before it failed, and the run ends with
# a summary naming every phase's result and every failed test, so the last lines of a
# long log (all a CI report may show) say what broke.
set -uo pipefail
cd "$(dirname "$0")/.."
source target/toolchain.env
# Leptos erases component types in debug builds: the same flags as `make build-debug`,
# so the tests reuse its build.
debug_cargo() { RUSTFLAGS="--cfg erase_components" cargo "$@"; }

log_dir=target/test-logs
rm -rf "$log_dir" && mkdir -p "$log_dir"
phases=()
status=0

# run NAME COMMAND...: runs one phase, its output shown and kept in $log_dir/NAME.log.
run() {
    local name=$1 started=$SECONDS
    shift
    printf '\n==> %s\n' "$name"
    "$@" 2>&1 | tee "$log_dir/$name.log"
    local result=${PIPESTATUS[0]}
    local verdict=PASS
    [[ $result -eq 0 ]] || { verdict="FAIL (exit $result)"; status=1; }
    phases+=("$(printf '%-22s %-16s %5d s' "$name" "$verdict" $((SECONDS - started)))")
}

scripts/remove-test-sandboxes.sh
run lessons-validate ./target/debug/slipway lessons validate
# --show-output prints what passing tests printed: their `figure:` lines (README).
run unit-and-api debug_cargo test --workspace --no-fail-fast -- --skip browser:: --show-output
# The browser tests run on their own: Chromium fails every request in flight with
# ERR_NETWORK_CHANGED when the host gains or loses a network interface, which Docker
# does whenever another test's sandbox starts or goes.
run chromium debug_cargo test -p slipway-tests --test api -- browser:: --test-threads=1
# Every bundled lesson this host can run, rehearsed in a sandbox of its own.
run lesson-rehearsals ./target/debug/slipway lessons test
# The release build, as `make run` serves it, in Chromium (tests/api/release.rs).
release() {
    make --no-print-directory build-release &&
        debug_cargo test -p slipway-tests --test api -- --ignored release::
}
run release-build release
scripts/remove-test-sandboxes.sh

printf '\n==> Summary (logs in %s)\n' "$log_dir"
printf '%s\n' "${phases[@]}"
# A failed test's name; a panic's place and its message (the line after it), but for the
# one panic a unit test provokes on purpose; a rehearsal's red lines.
failures=$(awk '
    / \.\.\. FAILED$/ || /  FAIL: / { print; next }
    /^thread .* panicked at / && !/input_the_markdown_crate_panics_on/ { print; getline; print }
' "$log_dir"/*.log)
if [[ -n "$failures" ]]; then
    printf '\nFailures:\n%s\n' "$failures"
fi
printf '\n%s\n' "$([[ $status -eq 0 ]] && echo 'make test: PASS' || echo 'make test: FAIL')"
exit $status
