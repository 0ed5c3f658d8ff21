#!/usr/bin/env bash
# Builds the sandbox node image (docker/node) and labels it with the tools its build
# could not get (io.slipway.missing-tools), so the server can tell learners before they
# meet "command not found"; says here which tools and which lessons need them.
#
#   docker/node-image.sh [TAG]     default: slipway/node:latest
set -euo pipefail
cd "$(dirname "$0")"

TAG=${1:-slipway/node:latest}
say() { printf '    %s\n' "$*"; }

# The build's output only if it fails.
build() {
    local output
    output=$(docker build "$@" 2>&1) || { echo "$output" >&2; return 1; }
}

build -t "$TAG-unlabelled" node
missing=$(docker run --rm --entrypoint cat "$TAG-unlabelled" /etc/slipway/missing-tools | paste -sd' ')
printf 'FROM %s\nLABEL io.slipway.missing-tools="%s"\n' "$TAG-unlabelled" "$missing" \
    | build -t "$TAG" -
docker rmi "$TAG-unlabelled" >/dev/null

if [[ -z "$missing" ]]; then
    say "ok: $TAG, with kubectl, kind, helm and kompose"
    exit 0
fi
for tool in $missing; do
    lessons=$(grep -rlw --include='*.md' "$tool" ../lessons | sed 's|^\.\./lessons/||' | paste -sd' ' || true)
    say "missing: $tool (no internet while building); lessons that use it: ${lessons:-none}"
done
say "built $TAG without them; on a host with the internet, run make images again to add them"
