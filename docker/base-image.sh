#!/usr/bin/env bash
# Makes sure the base image that Slipway's images build FROM is in the local engine:
# pulled where a registry answers, otherwise bootstrapped from Debian's packages with
# mmdebstrap, so the same Dockerfiles build on an air-gapped host.
set -euo pipefail

BASE_IMAGE=${SLIPWAY_BASE_IMAGE:-debian:bookworm-slim}
say() { printf '    %s\n' "$*"; }

if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    say "ok: $BASE_IMAGE is present"
    exit 0
fi
if timeout 120 docker pull -q "$BASE_IMAGE" >/dev/null 2>&1; then
    say "ok: pulled $BASE_IMAGE"
    exit 0
fi

say "no registry answers: bootstrapping $BASE_IMAGE with mmdebstrap (about 30 s)"
if ! command -v mmdebstrap >/dev/null; then
    command -v apt-get >/dev/null || { echo "install mmdebstrap, or make $BASE_IMAGE available" >&2; exit 1; }
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends mmdebstrap >/dev/null
fi
suite=${BASE_IMAGE#*:}
suite=${suite%-slim}
mmdebstrap --quiet --variant=minbase --include=ca-certificates "$suite" - \
    | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' \
        - "$BASE_IMAGE" >/dev/null
say "ok: bootstrapped $BASE_IMAGE"
