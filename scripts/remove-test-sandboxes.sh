#!/usr/bin/env bash
# Removes what earlier test runs left on the Docker engine (a panicking or killed test
# cannot clean up after itself): every object whose Slipway instance label starts with
# "test-". A real server's sandboxes carry another instance name and are left alone.
set -euo pipefail
label=io.slipway.instance
of_tests() { awk '$2 ~ /^test-/ { print $1 }'; }

containers=$(docker ps -a --filter "label=$label" --format "{{.ID}} {{.Label \"$label\"}}" | of_tests)
[[ -z "$containers" ]] || docker rm -fv $containers >/dev/null
volumes=$(docker volume ls --filter "label=$label" --format "{{.Name}} {{.Label \"$label\"}}" | of_tests)
[[ -z "$volumes" ]] || docker volume rm -f $volumes >/dev/null
networks=$(docker network ls --filter "label=$label" --format "{{.ID}} {{.Label \"$label\"}}" | of_tests)
for network in $networks; do
    # The shared lesson-image registry stays attached until disconnected.
    for container in $(docker network inspect -f '{{range $id, $_ := .Containers}}{{$id}} {{end}}' "$network"); do
        docker network disconnect -f "$network" "$container"
    done
    docker network rm "$network" >/dev/null
done
echo "removed $(wc -w <<<"$containers $volumes $networks") object(s) left by earlier test runs"
