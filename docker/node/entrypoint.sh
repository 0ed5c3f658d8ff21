#!/bin/bash
# Starts the node's inner Docker engine. Where the node is not privileged (hosts that
# refuse --privileged), cgroups arrive read-only and the inner engine cannot create
# containers until each cgroup hierarchy is mounted again read-write.
set -euo pipefail

make_cgroups_writable() {
    local mounts
    mounts=$(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2, $3, $4 }' /proc/mounts)
    while read -r mountpoint fstype options; do
        [[ -n "$mountpoint" && ",$options," == *,ro,* ]] || continue
        umount "$mountpoint"
        if [[ "$fstype" == cgroup2 ]]; then
            mount -t cgroup2 cgroup2 "$mountpoint"
        else
            # Keep the controller names (cpu,cpuacct or name=systemd); drop mount flags.
            local controllers
            controllers=$(tr ',' '\n' <<<"$options" \
                | grep -Ev '^(ro|rw|nosuid|nodev|noexec|relatime|noatime)$' | paste -sd,)
            mount -t cgroup -o "$controllers" cgroup "$mountpoint"
        fi
    done <<<"$mounts"
}

write_engine_config() {
    mkdir -p /etc/docker
    local mirror=${SLIPWAY_REGISTRY_MIRROR:-}
    if [[ -n "$mirror" ]]; then
        printf '{"registry-mirrors": ["http://%s"], "insecure-registries": ["%s"]}\n' "$mirror" "$mirror"
    else
        echo '{}'
    fi >/etc/docker/daemon.json
}

# Root's home and /tmp live on the node's own disk (/var/lib/docker, a filesystem of a
# fixed size where Slipway gives nodes a disk quota), not in the container's writable
# layer on the host's filesystem. Root's files are copied there on the first start.
keep_files_on_the_nodes_disk() {
    local disk=/var/lib/docker/.slipway
    mkdir -p "$disk/tmp"
    chmod 1777 "$disk/tmp"
    if [[ ! -d "$disk/home" ]]; then
        cp -a /root "$disk/home"
    fi
    mount --bind "$disk/home" /root
    mount --bind "$disk/tmp" /tmp
}

make_cgroups_writable
keep_files_on_the_nodes_disk
rm -f /var/run/docker.pid
write_engine_config
# tcp://:2375 is reachable only on the sandbox's own private network: it lets a worker
# read a join token from node1 in lesson solutions.
exec dockerd --host unix:///var/run/docker.sock --host tcp://0.0.0.0:2375 --tls=false "$@"
