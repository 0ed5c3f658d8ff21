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

# The node's root is read-only: the engine's settings are flags, not /etc/docker. A
# registry the learner runs in their own swarm (node1:5000) is plain HTTP, so the
# sandbox's own subnet is trusted for it, as 127.0.0.1 is by default.
engine_flags() {
    local mirror=${SLIPWAY_REGISTRY_MIRROR:-}
    if [[ -n "$mirror" ]]; then
        echo "--registry-mirror=http://$mirror" "--insecure-registry=$mirror"
    fi
    local subnet
    subnet=$(ip -4 route show proto kernel scope link 2>/dev/null | awk 'NR == 1 { print $1 }')
    if [[ -n "$subnet" ]]; then
        echo "--insecure-registry=$subnet"
    fi
}

# Root's home, /tmp, /var/tmp and the inner engine's /etc/docker live on the node's own disk (/var/lib/docker, a
# filesystem of a fixed size where Slipway gives nodes a disk quota): the rest of the
# node's root is read-only, so nothing lands on the host's filesystem. Root's files are
# copied there on the first start.
keep_files_on_the_nodes_disk() {
    local disk=/var/lib/docker/.slipway
    mkdir -p "$disk/tmp" "$disk/etc-docker"
    chmod 1777 "$disk/tmp"
    if [[ ! -d "$disk/home" ]]; then
        cp -a /root "$disk/home"
    fi
    mount --bind "$disk/home" /root
    mount --bind "$disk/tmp" /tmp
    mount --bind "$disk/tmp" /var/tmp
    mount --bind "$disk/etc-docker" /etc/docker
}

make_cgroups_writable
keep_files_on_the_nodes_disk
rm -f /var/run/docker.pid
# tcp://:2375 is reachable only on the sandbox's own private network: it lets a worker
# read a join token from node1 in lesson solutions.
# shellcheck disable=SC2046 # each flag is one word
exec dockerd --host unix:///var/run/docker.sock --host tcp://0.0.0.0:2375 --tls=false \
    $(engine_flags) "$@"
