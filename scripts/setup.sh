#!/usr/bin/env bash
# Installs what Slipway needs to build, run and test it, skipping whatever is already
# there, so a second run takes seconds. Used by `make run` and `make test`.
#
#   scripts/setup.sh            build and run: Rust to WASM, wasm-bindgen, npm, Docker
#   scripts/setup.sh --tests    also what the tests need (Chromium and chromedriver)
#
# SLIPWAY_WASM_TOOLCHAIN=debian skips rustup's wasm32 target and uses Debian's rustc-web.
#
# It writes target/toolchain.env, which the Makefile sources before every cargo command:
# on hosts where rustup cannot download the wasm32 target it selects Debian's
# rustc-web toolchain instead (see docs in the README, "How the build works").
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_TARGET=wasm32-unknown-unknown
TOOLCHAIN_ENV=target/toolchain.env
DOCKERD_LOG=target/dockerd.log
WANT_TESTS=false
[[ "${1:-}" == "--tests" ]] && WANT_TESTS=true

started=$SECONDS
step() { printf '\n==> %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
say() { printf '    %s\n' "$*"; }
die() { printf '\nsetup failed: %s\n' "$*" >&2; exit 1; }

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi; }
apt_updated=false
apt_install() {
    command -v apt-get >/dev/null || die "please install: $* (this script installs packages only on Debian and Ubuntu)"
    if ! $apt_updated; then
        say "apt-get update"
        as_root apt-get update -q >/dev/null
        apt_updated=true
    fi
    say "apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

mkdir -p target
: > "$TOOLCHAIN_ENV.new"

step "Rust"
command -v cargo >/dev/null || die "cargo is missing: install Rust from https://rustup.rs"
ok "$(cargo --version)"

step "Rust compiler for the browser ($WASM_TARGET)"
debian_rustc=false
# SLIPWAY_WASM_TOOLCHAIN=debian forces the fallback, to try it on a host that has rustup's.
if [[ "${SLIPWAY_WASM_TOOLCHAIN:-}" != debian ]] && rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
    ok "rustup has $WASM_TARGET"
elif [[ "${SLIPWAY_WASM_TOOLCHAIN:-}" != debian ]] && timeout 180 rustup target add "$WASM_TARGET" >/dev/null 2>&1; then
    ok "installed $WASM_TARGET with rustup"
else
    say "rustup cannot download $WASM_TARGET here; using Debian's rustc-web, which carries it"
    [[ -x /usr/bin/rustc ]] && [[ -d /usr/lib/rustlib/src/rust ]] || apt_install rustc-web rust-web-src
    rust_lld=$(ls "$HOME"/.rustup/toolchains/*/lib/rustlib/*/bin/rust-lld 2>/dev/null | head -n1 || true)
    [[ -n "$rust_lld" ]] || die "no rust-lld found under ~/.rustup to link WASM with"
    debian_rustc=true
    {
        echo "export RUSTC=/usr/bin/rustc"
        # Debian's compiler builds the WASM standard library from source (-Zbuild-std).
        echo "export RUSTC_BOOTSTRAP=1"
        echo "export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$rust_lld"
        echo "export WASM_CARGO_ARGS=-Zbuild-std=std,panic_abort"
    } >> "$TOOLCHAIN_ENV.new"
    ok "$(/usr/bin/rustc --version) with $rust_lld"
fi
mv "$TOOLCHAIN_ENV.new" "$TOOLCHAIN_ENV"
# shellcheck source=/dev/null
source "$TOOLCHAIN_ENV"

step "wasm-bindgen CLI (must match Cargo.lock)"
[[ -f Cargo.lock ]] || cargo generate-lockfile
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
[[ -n "$bindgen_version" ]] || die "no wasm-bindgen in Cargo.lock"
if [[ "$(wasm-bindgen --version 2>/dev/null)" == "wasm-bindgen $bindgen_version" ]]; then
    ok "wasm-bindgen $bindgen_version"
else
    # Built from crates.io (its release downloads live on GitHub, which offline hosts
    # cannot reach). It runs for seconds per build, so it is compiled for a quick
    # install rather than for speed: no LTO, many codegen units, light optimisation.
    say "building wasm-bindgen-cli $bindgen_version (about 2 minutes)"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 \
        CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false \
        cargo install wasm-bindgen-cli --version "$bindgen_version"
    ok "$(wasm-bindgen --version)"
fi

step "Front-end packages (npm)"
command -v npm >/dev/null || apt_install nodejs npm
if [[ -f node_modules/.package-lock.json && ! package-lock.json -nt node_modules/.package-lock.json ]]; then
    ok "node_modules is up to date"
else
    npm ci --no-audit --no-fund --loglevel=error
    ok "installed from package-lock.json"
fi
# Served as static files from public/vendor (not committed: npm is the source).
mkdir -p public/vendor
# The ES modules app/js/terminal.js imports.
rm -f public/vendor/*.js
for file in \
    node_modules/@xterm/xterm/lib/xterm.mjs \
    node_modules/@xterm/xterm/css/xterm.css \
    node_modules/@xterm/addon-fit/lib/addon-fit.mjs \
    node_modules/@xterm/addon-web-links/lib/addon-web-links.mjs; do
    cp -u "$file" public/vendor/
done
ok "copied xterm.js and its addons to public/vendor"
# The editor (app/js/editor.js) imports CodeMirror as one ES module that esbuild bundles
# from its many packages, rebuilt when the packages or the list of what it exports change.
codemirror_entry=app/js/codemirror-entry.mjs
codemirror_bundle=public/vendor/codemirror.mjs
if [[ -f $codemirror_bundle && ! package-lock.json -nt $codemirror_bundle && ! $codemirror_entry -nt $codemirror_bundle ]]; then
    ok "$codemirror_bundle is up to date"
else
    node_modules/.bin/esbuild "$codemirror_entry" --bundle --minify --format=esm --target=es2020 \
        --log-level=warning --outfile="$codemirror_bundle"
    ok "bundled CodeMirror into $codemirror_bundle"
fi
# The room's replay (app/js/replay.js) imports asciinema-player the same way.
player_entry=app/js/asciinema-entry.mjs
player_bundle=public/vendor/asciinema-player.mjs
if [[ -f $player_bundle && ! package-lock.json -nt $player_bundle && ! $player_entry -nt $player_bundle ]]; then
    ok "$player_bundle is up to date"
else
    node_modules/.bin/esbuild "$player_entry" --bundle --minify --format=esm --target=es2020 \
        --log-level=warning --outfile="$player_bundle"
    cp node_modules/asciinema-player/dist/bundle/asciinema-player.css public/vendor/
    ok "bundled asciinema-player into $player_bundle"
fi
# The release build shrinks its WASM with npm's binaryen (the Makefile puts it first on
# PATH): Debian 12's binaryen 108 rewrites wasm-bindgen's externref table export to point
# at the function table, and no island can start ("Table.set(): Argument 1 is invalid").
ok "$(node_modules/.bin/wasm-opt --version) for the release WASM"

step "Compressors for the release site (zopfli, brotli)"
# scripts/build-site.sh compresses the release front end once, at build time.
command -v zopfli >/dev/null || apt_install zopfli
command -v brotli >/dev/null || apt_install brotli
ok "$(command -v zopfli) and $(brotli --version)"

step "Docker engine"
docker_answers() { timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }
if docker_answers; then
    ok "engine $(docker info --format '{{.ServerVersion}}') at ${DOCKER_HOST:-the default socket}"
elif [[ -n "${DOCKER_HOST:-}" ]]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer"
else
    command -v dockerd >/dev/null || apt_install docker.io
    command -v docker >/dev/null || apt_install docker.io
    # A dockerd killed with its session leaves its pid file behind; it blocks a restart.
    # (A killed process may linger as a zombie for a moment: it counts as gone.)
    alive() { [[ "$(ps -o stat= -p "$1" 2>/dev/null)" =~ ^[^Z] ]]; }
    if [[ -f /var/run/docker.pid ]] && ! alive "$(cat /var/run/docker.pid)"; then
        say "removing a stale /var/run/docker.pid"
        as_root rm -f /var/run/docker.pid
    fi
    if ! ps -C dockerd -o stat= | grep -q '^[^Z]'; then
        # Its containerd's pid file too: a new dockerd trusts it and waits for a dead one.
        containerd_pid=/var/run/docker/containerd/containerd.pid
        if [[ -f "$containerd_pid" ]]; then
            pid=$(cat "$containerd_pid")
            alive "$pid" && [[ "$(ps -o comm= -p "$pid")" == containerd ]] && as_root kill "$pid"
            as_root rm -f "$containerd_pid"
        fi
        say "starting dockerd (log: $DOCKERD_LOG)"
        as_root sh -c "nohup dockerd >'$PWD/$DOCKERD_LOG' 2>&1 &"
    fi
    deadline=$((SECONDS + 60))
    until docker_answers; do
        ((SECONDS < deadline)) || die "dockerd did not answer within 60 s; see $DOCKERD_LOG"
        sleep 0.5
    done
    ok "engine $(docker info --format '{{.ServerVersion}}') started"
fi

if $WANT_TESTS; then
    step "Chromium and chromedriver (browser tests)"
    if command -v chromedriver >/dev/null && command -v chromium >/dev/null; then
        ok "$(chromium --version 2>/dev/null | head -n1)"
    else
        apt_install chromium chromium-driver
        ok "$(chromium --version 2>/dev/null | head -n1)"
    fi
fi

printf '\nsetup done in %d s%s\n' $((SECONDS - started)) "$($debian_rustc && echo ' (Debian rustc-web toolchain)')"
