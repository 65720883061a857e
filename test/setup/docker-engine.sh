#!/usr/bin/env bash
# A private Docker engine for the integration tests: its own socket, data root
# and no networking (--bridge=none, no iptables), so nothing else on the
# machine is touched. Prints `export DOCKER_HOST=...` on start.
#
#   eval "$(test/setup/docker-engine.sh start)"   # start, build the test image
#   eval "$(test/setup/docker-engine.sh image)"   # an engine already running: the test image only
#   test/setup/docker-engine.sh stop              # only an engine this shell's `start` started
set -euo pipefail

root=${EDGEBUILD_TEST_DOCKER_ROOT:-/tmp/edgebuild-dockerd}
sock="unix://$root/docker.sock"
image=${EDGEBUILD_TEST_IMAGE:-edgebuild-test/busybox:latest}

# The test image on the engine at $1: a one-binary image made from Debian's
# busybox-static, because no registry is reachable.
ensure_image() {
  local host=$1
  if ! docker -H "$host" image inspect "$image" >/dev/null 2>&1; then
    rootfs=$(mktemp -d)
    mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/work"
    cp /bin/busybox "$rootfs/bin/busybox"
    for applet in sh cat echo ls mkdir rm sleep true false env cp mv sha256sum wc head tail printf test grep sed; do
      ln -s busybox "$rootfs/bin/$applet"
    done
    tar -C "$rootfs" -c . | docker -H "$host" import --change 'ENV PATH=/bin' - "$image" >/dev/null
    rm -rf "$rootfs"
  fi
}

start() {
  mkdir -p "$root"
  # Running means answering: a killed dockerd can linger as a zombie with its pid.
  if docker -H "$sock" version >/dev/null 2>&1; then
    echo "dockerd already running on $sock" >&2
  else
    # A dockerd killed with its session leaves its socket and pid file behind.
    rm -f "$root/docker.sock" "$root/dockerd.pid"
    dockerd --host "$sock" --data-root "$root/data" --exec-root "$root/exec" \
      --pidfile "$root/dockerd.pid" --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
      >"$root/dockerd.log" 2>&1 &
    for _ in $(seq 1 60); do
      docker -H "$sock" version >/dev/null 2>&1 && break
      sleep 1
    done
    docker -H "$sock" version >/dev/null 2>&1 || { echo "dockerd did not start; see $root/dockerd.log" >&2; tail -20 "$root/dockerd.log" >&2; exit 1; }
    # `stop` stops only this engine: another run (a second .ci/run) may be using one it found running.
    echo "export EDGEBUILD_TEST_DOCKERD_STARTED=$(cat "$root/dockerd.pid")"
  fi
  ensure_image "$sock"
  echo "export DOCKER_HOST=$sock"
  echo "export EDGEBUILD_TEST_IMAGE=$image"
}

# Use an engine that is already running (DOCKER_HOST, else the default socket),
# e.g. a GitHub-hosted runner's: only make sure the test image is there.
image() {
  local host=${DOCKER_HOST:-unix:///var/run/docker.sock}
  docker -H "$host" version >/dev/null 2>&1 || { echo "no Docker engine answers at $host" >&2; exit 1; }
  ensure_image "$host"
  echo "export DOCKER_HOST=$host"
  echo "export EDGEBUILD_TEST_IMAGE=$image"
}

stop() {
  local started=${EDGEBUILD_TEST_DOCKERD_STARTED:-}
  if [ -z "$started" ]; then
    echo "dockerd on $sock was not started by this shell's start: left running" >&2
    return 0
  fi
  if [ -f "$root/dockerd.pid" ] && [ "$(cat "$root/dockerd.pid")" = "$started" ]; then
    pid=$started
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
}

case "${1:-}" in
  start) start ;;
  image) image ;;
  stop) stop ;;
  *) echo "usage: $0 start|image|stop" >&2; exit 2 ;;
esac
