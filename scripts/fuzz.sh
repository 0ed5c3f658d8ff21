#!/usr/bin/env bash
# Fuzzes the lesson parser and the terminal's control frames for a fixed time each
# (`make soak`): no panic, and every lesson error names its file and line. cargo fuzz
# needs a nightly toolchain; both are installed if missing.
#
#   scripts/fuzz.sh [SECONDS]      default: 60 per target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
# The bundled lessons seed the parser's corpus.
corpus=fuzz/corpus/lesson_parser
mkdir -p "$corpus"
find lessons tests/fixtures -name '*.md' -exec cp {} "$corpus/" \;
for target in lesson_parser terminal_control; do
    printf '\n==> fuzzing %s for %s s\n' "$target" "$seconds"
    cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" 2>&1 | tail -3
    echo "figure: fuzzing $target for $seconds s: no panic"
done
