#!/usr/bin/env bash
# Starts the lesson-image registry, which every sandbox node uses as its Docker Hub
# mirror, and seeds it with the images the lessons use: pulled from Docker Hub where it
# answers, otherwise built here from docker/lessons/<name> as stand-ins. An image is a
# Docker Hub name (`nginx`, served as library/nginx:latest) or a repository with a tag,
# optionally pinned by digest (`kindest/node:v1.35.0@sha256:...`, served by its tag): one
# Docker Hub does not answer for may also be `docker load`ed into this engine first.
# A stand-in serves every tag the lessons ask for, since it is built from Debian's
# packages, not from the upstream image.
#
#   docker/registry.sh [IMAGE...]     default: the images the bundled lessons use
set -euo pipefail
cd "$(dirname "$0")"

NAME=${SLIPWAY_REGISTRY_CONTAINER:-slipway-registry}
PORT=${SLIPWAY_REGISTRY_PORT:-5000}
IMAGES=("$@")
[[ ${#IMAGES[@]} -gt 0 ]] || IMAGES=(nginx:1.27.2 alpine:3.20.3 redis:7.4.1 counter)
say() { printf '    %s\n' "$*"; }
# The build's output only if it fails.
quiet_build() {
    local output
    output=$(docker build -t "$1" "$2" 2>&1) || { echo "$output" >&2; return 1; }
}

quiet_build slipway/registry:latest registry

# mode: read-only (how sandboxes use it) or seeding (writable, only while this script
# pushes). Restarting takes the registry off running sandboxes' networks, so it happens
# only when the mode must change.
mode_of_running() {
    [[ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" == true ]] || return 0
    docker inspect -f '{{index .Config.Labels "io.slipway.registry-mode"}}' "$NAME"
}
run_registry() {
    local mode=$1
    if [[ "$(mode_of_running)" != "$mode" ]]; then
        docker rm -f "$NAME" >/dev/null 2>&1 || true
        docker run -d --name "$NAME" --restart unless-stopped \
            --label io.slipway.role=registry --label io.slipway.registry-mode="$mode" \
            -p "127.0.0.1:$PORT:5000" -v slipway-registry-data:/var/lib/docker-registry \
            slipway/registry:latest "/etc/docker/registry/$mode.yml" >/dev/null
        say "started the lesson-image registry, $mode ($NAME, 127.0.0.1:$PORT)"
    fi
    local deadline=$((SECONDS + 30))
    until curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null; do
        ((SECONDS < deadline)) || { echo "the registry did not answer; see: docker logs $NAME" >&2; exit 1; }
        sleep 0.2
    done
}
# The repository and tag an image is served as: nginx -> library/nginx latest.
repository() { local name=${1%@*}; name=${name%:*}; [[ $name == */* ]] && echo "$name" || echo "library/$name"; }
tag() { local name=${1%@*}; [[ ${name##*/} == *:* ]] && echo "${name##*:}" || echo latest; }
# Where a stand-in for an image is built from: docker/lessons/<repository>, without
# Docker Hub's `library/` (python:3.12-slim -> lessons/python, prom/node-exporter ->
# lessons/prom/node-exporter), whatever the tag.
stand_in() { local repository; repository=$(repository "$1"); echo "${repository#library/}"; }
has_image() { curl -sf "http://127.0.0.1:$PORT/v2/$(repository "$1")/tags/list" | grep -q "\"$(tag "$1")\""; }

# Lessons pin their images (nginx:1.27.2). The first pinned tag of a repository is also
# served as its `latest`, unless an image asks for latest itself, so a learner who types
# plain `nginx` gets the room's nginx instead of a pull error. Kubernetes' node image is
# only ever asked for by its tag.
latest_aliases=()
declared() { local wanted=$1 image; for image in "${IMAGES[@]}"; do [[ $image == "$wanted" ]] && return 0; done; return 1; }
for image in "${IMAGES[@]}"; do
    repository=$(repository "$image")
    [[ $(tag "$image") != latest && $repository != kindest/node ]] || continue
    declared "$repository:latest" || declared "${repository#library/}" || declared "${repository#library/}:latest" && continue
    for alias in "${latest_aliases[@]}"; do [[ $(repository "$alias") == "$repository" ]] && continue 2; done
    latest_aliases+=("$image")
done

run_registry read-only
missing=()
for image in "${IMAGES[@]}"; do
    if has_image "$image"; then say "ok: $image is in the registry"; else missing+=("$image"); fi
done
missing_aliases=()
for image in "${latest_aliases[@]}"; do
    has_image "$(repository "$image"):latest" || missing_aliases+=("$image")
done
[[ ${#missing[@]} -eq 0 && ${#missing_aliases[@]} -eq 0 ]] && exit 0

# Each missing image is fetched or built first: the registry turns writable (a restart,
# which takes it off running sandboxes' networks) only if there is something to push.
sources=()
for image in "${missing[@]}"; do
    source=$image
    [[ $image == *:* || $image == *@* ]] || source="$image:latest"
    if timeout 600 docker pull -q "$source" >/dev/null 2>&1; then
        say "pulled $image from Docker Hub"
    elif docker image inspect "${source%@*}" >/dev/null 2>&1; then
        # A loaded copy has no digest to check: `slipway images export` saved it by tag
        # from the image that was pulled by its digest.
        source=${source%@*}
        say "Docker Hub does not answer: seeding $image from this engine's copy"
    elif [[ -d "lessons/$(stand_in "$image")" ]]; then
        say "Docker Hub does not answer: building a stand-in for $image"
        source="slipway/lesson-$(stand_in "$image" | tr / -):$(tag "$image")"
        quiet_build "$source" "lessons/$(stand_in "$image")"
    elif [[ $(repository "$image") == kindest/node ]]; then
        # No stand-in can replace Kubernetes itself: without it, Kubernetes lessons say
        # what to do when a learner starts one, and the rest of the room works.
        say "cannot get $image: Docker Hub does not answer and this engine has no copy;"
        say "Kubernetes lessons will not start here until it is loaded (slipway images import FILE, then this script)"
        continue
    else
        echo "cannot get $image: Docker Hub does not answer and docker/lessons/$image does not exist" >&2
        exit 1
    fi
    sources+=("$image=$source")
done
[[ ${#sources[@]} -eq 0 && ${#missing_aliases[@]} -eq 0 ]] && exit 0

# Read-only again however seeding ends.
trap 'run_registry read-only' EXIT
run_registry seeding
for pair in "${sources[@]}"; do
    image=${pair%%=*}
    source=${pair#*=}
    served="127.0.0.1:$PORT/$(repository "$image"):$(tag "$image")"
    docker tag "$source" "$served"
    docker push -q "$served" >/dev/null
    say "ok: seeded $image"
done
for image in "${missing_aliases[@]}"; do
    pinned="127.0.0.1:$PORT/$(repository "$image"):$(tag "$image")"
    served="127.0.0.1:$PORT/$(repository "$image"):latest"
    docker pull -q "$pinned" >/dev/null
    docker tag "$pinned" "$served"
    docker push -q "$served" >/dev/null
    say "ok: $image is also served as $(repository "$image" | sed 's|^library/||'):latest"
done
