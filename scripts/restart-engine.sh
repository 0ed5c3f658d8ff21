#!/usr/bin/env bash
# Restarts the Docker engine as a host's upgrade or reboot would, for `make soak`: with
# systemd where it manages Docker, otherwise by stopping the dockerd scripts/setup.sh
# started and letting setup start it again.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v systemctl >/dev/null && systemctl is-active --quiet docker 2>/dev/null; then
    systemctl restart docker
    exit 0
fi
pid=$(cat /var/run/docker.pid)
kill -TERM "$pid"
deadline=$((SECONDS + 90))
while [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" =~ ^[^Z] ]]; do
    ((SECONDS < deadline)) || { echo "dockerd did not stop within 90 s" >&2; exit 1; }
    sleep 0.2
done
scripts/setup.sh --tests >/dev/null
