#!/usr/bin/env bash
# Builds Slipway: the browser half (the `app` crate's islands, compiled to WASM) into a
# site directory, then the `slipway` server that serves it.
#
#   scripts/build-site.sh release   target/site,       target/release/slipway  (make run)
#   scripts/build-site.sh debug     target/site-debug, target/debug/slipway    (make test)
#
# These are the steps cargo-leptos would run, written out: building cargo-leptos itself
# took 30 of the 50 minutes a fresh machine needed to serve, for features Slipway does
# not use (watch mode, JS and CSS bundling, project templates).
#
# WASM_CARGO_ARGS (from target/toolchain.env) adds -Zbuild-std where the WASM standard
# library comes from Debian's rustc-web; RUSTFLAGS is passed through to both halves.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
case "$mode" in
    release) site=target/site wasm_profile=wasm-release wasm_dir=wasm-release server_args=(--release) ;;
    debug) site=target/site-debug wasm_profile=dev wasm_dir=debug server_args=() ;;
    *) echo "usage: $0 release|debug" >&2; exit 2 ;;
esac
# The name the server's hydration script asks for (LEPTOS_OUTPUT_NAME in .cargo/config.toml).
name=slipway
wasm_target=wasm32-unknown-unknown
step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "Islands to WASM ($mode)"
# shellcheck disable=SC2086 # WASM_CARGO_ARGS is a list of flags.
cargo build -p app --lib --target "$wasm_target" --profile "$wasm_profile" \
    --no-default-features --features hydrate ${WASM_CARGO_ARGS:-}

# The site is put together beside the old one and then swapped in, so nothing stale
# (a file since removed from public/) survives, and a running server never sees half.
step "wasm-bindgen: the JS glue in $site/pkg"
rm -rf "$site.new"
mkdir -p "$site.new/pkg"
wasm-bindgen --target web --no-typescript --out-name "$name" --out-dir "$site.new/pkg" \
    "target/$wasm_target/$wasm_dir/app.wasm"
# Leptos's hydration script loads `<name>.wasm`, and passes that path to the glue's init.
mv "$site.new/pkg/${name}_bg.wasm" "$site.new/pkg/$name.wasm"
if [[ $mode == release ]]; then
    # npm's binaryen (node_modules/.bin), not the host's: Debian 12's wasm-opt 108
    # rewrites wasm-bindgen's externref table export and no island can start.
    PATH="$PWD/node_modules/.bin:$PATH" wasm-opt -Oz \
        --enable-bulk-memory --enable-nontrapping-float-to-int --enable-reference-types \
        --enable-sign-ext --enable-mutable-globals --enable-multivalue \
        "$site.new/pkg/$name.wasm" -o "$site.new/pkg/$name.wasm"
fi
cp app/style/main.css "$site.new/pkg/$name.css"
printf '    %s: %s KB\n' "$site/pkg/$name.wasm" "$(($(stat -c %s "$site.new/pkg/$name.wasm") / 1024))"

step "Static files (public/) into $site"
cp -r public/. "$site.new/"
if [[ $mode == release ]]; then
    # Compressed once here rather than per request (the server sends the .gz or .br
    # beside a file to a browser that takes it): zopfli's gzip is about 4% smaller than
    # a per-request gzip's, and brotli's smaller again for browsers on HTTPS.
    step "Precompressed copies (zopfli gzip, brotli) of $site/pkg and $site/vendor"
    while IFS= read -r -d '' file; do
        zopfli --i5 "$file" &
        brotli --quality=11 --keep --force "$file" &
        wait
    done < <(find "$site.new/pkg" "$site.new/vendor" -type f \
        \( -name '*.wasm' -o -name '*.js' -o -name '*.mjs' -o -name '*.css' \) -print0)
    printf '    %s.gz: %s KB\n' "$site/pkg/$name.wasm" "$(($(stat -c %s "$site.new/pkg/$name.wasm.gz") / 1024))"
fi
rm -rf "$site"
mv "$site.new" "$site"

step "Server ($mode)"
cargo build -p slipway "${server_args[@]}"

printf '\nbuilt in %d s\n' $((SECONDS - started))
