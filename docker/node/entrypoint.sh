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

# The node's CPU limit in whole cores (rounded up), or nothing where it has none. Read
# before the cgroups are mounted again, while /sys/fs/cgroup is still the node's own.
cpu_limit() {
    local quota period
    if [[ -r /sys/fs/cgroup/cpu.max ]]; then
        read -r quota period </sys/fs/cgroup/cpu.max
    else
        quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || true)
        period=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || true)
    fi
    [[ "$quota" =~ ^[0-9]+$ && "$period" =~ ^[1-9][0-9]*$ ]] || return 0
    echo $(((quota + period - 1) / period))
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

# The engine's Go runtime (dockerd, and the containerd it starts) sizes itself to the
# host's cores, not the node's limit. Held to the limit, an idle three-node swarm used
# 15-20% less CPU and each engine 2 MB less memory (measured beside the default, the same
# image otherwise), which a room of 50 swarms spends on its learners' keystrokes instead.
# The learners' own programs and shells do not inherit it.
GOMAXPROCS=${GOMAXPROCS:-$(cpu_limit)}
[[ -n "$GOMAXPROCS" ]] && export GOMAXPROCS
make_cgroups_writable
keep_files_on_the_nodes_disk
rm -f /var/run/docker.pid
# tcp://:2375 is reachable only on the sandbox's own private network: it lets a worker
# read a join token from node1 in lesson solutions.
# shellcheck disable=SC2046 # each flag is one word
exec dockerd --host unix:///var/run/docker.sock --host tcp://0.0.0.0:2375 --tls=false \
    $(engine_flags) "$@"
