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
# A node's volume may sit on a disk of its own (server/src/sandbox/disks.rs): its loop
# device is detached and its file deleted after the volume goes, by a helper as Slipway
# does it, so this works without root on the host.
disks=()
for volume in $volumes; do
    disk=$(docker volume inspect -f '{{index .Labels "io.slipway.disk-device"}} {{index .Labels "io.slipway.disk-file"}}' "$volume")
    [[ "$disk" == " " ]] || disks+=("$disk")
done
[[ -z "$volumes" ]] || docker volume rm -f $volumes >/dev/null
if [[ ${#disks[@]} -gt 0 ]]; then
    dir=$(dirname "${disks[0]#* }")
    printf '%s\n' "${disks[@]}" | docker run --rm -i --cap-add SYS_ADMIN --cap-add MKNOD \
        --device /dev/loop-control --device-cgroup-rule 'b 7:* rwm' --network none \
        -v "$dir:$dir" --entrypoint bash "${SLIPWAY_NODE_IMAGE:-slipway/node:latest}" -c '
        while read -r device file; do
            [ -e "$device" ] || mknod "$device" b 7 "${device#/dev/loop}"
            losetup -d "$device" 2>/dev/null || true
            rm -f "$file"
        done'
fi
networks=$(docker network ls --filter "label=$label" --format "{{.ID}} {{.Label \"$label\"}}" | of_tests)
for network in $networks; do
    # The shared lesson-image registry stays attached until disconnected.
    for container in $(docker network inspect -f '{{range $id, $_ := .Containers}}{{$id}} {{end}}' "$network"); do
        docker network disconnect -f "$network" "$container"
    done
    docker network rm "$network" >/dev/null
done
echo "removed $(wc -w <<<"$containers $volumes $networks") object(s) left by earlier test runs"
