#!/usr/bin/env bash
# Serves a real Docker Engine API on a unix socket with podman, for the rgate discovery tests. There is
# no Docker daemon on CI machines, and no registry either: the image is imported from a tar of a rootfs
# holding only busybox, and containers use the host network, serving with `busybox httpd` on loopback.
#   .ci/docker-api.sh start DIR   → starts the service; prints the socket path (DOCKER_HOST=unix://…)
#   .ci/docker-api.sh stop DIR    → removes test containers and stops the service
set -euo pipefail
action=${1:?usage: docker-api.sh start|stop DIR}
dir=${2:?usage: docker-api.sh start|stop DIR}
mkdir -p "$dir"
export CONTAINERS_CONF="$dir/containers.conf"
cat >"$CONTAINERS_CONF" <<'CONF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
CONF
podman_() { podman --runtime runc "$@"; }
IMAGE=localhost/sre-stack-busybox:test

case "$action" in
  start)
    if ! podman_ image exists "$IMAGE"; then
      rootfs="$dir/rootfs"
      rm -rf "$rootfs" && mkdir -p "$rootfs/bin" "$rootfs/www"
      cp "$(command -v busybox)" "$rootfs/bin/busybox"
      tar -C "$rootfs" -cf "$dir/rootfs.tar" .
      podman_ import "$dir/rootfs.tar" "$IMAGE" >/dev/null
    fi
    socket="$dir/docker.sock"
    rm -f "$socket"
    nohup podman --runtime runc system service --time=0 "unix://$socket" >"$dir/service.log" 2>&1 &
    echo $! >"$dir/service.pid"
    for _ in $(seq 1 100); do
      [ -S "$socket" ] && curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    curl -sf --unix-socket "$socket" http://d/_ping >/dev/null || { cat "$dir/service.log" >&2; exit 1; }
    echo "$socket"
    ;;
  stop)
    podman_ ps -aq --filter label=sre-stack-test=1 | xargs -r podman --runtime runc rm -f -t 0 >/dev/null 2>&1 || true
    if [ -f "$dir/service.pid" ]; then kill "$(cat "$dir/service.pid")" 2>/dev/null || true; fi
    ;;
  *) echo "unknown action $action" >&2; exit 2 ;;
esac
