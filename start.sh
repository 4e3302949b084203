#!/usr/bin/env bash
# Starts the demo stack with Docker Compose: the flaky server, the proxy, the prober, and Prometheus,
# Loki, Tempo and Grafana. The host needs nothing but Docker with Compose v2.
#
#   ./start.sh           build and start everything, wait until healthy, print the URLs
#   ./start.sh status    what runs, and the URLs
#   ./start.sh logs [service...]   follow the logs (all services, or the ones named)
#   ./start.sh down [--volumes]    stop and remove the containers (--volumes also drops the data)
set -euo pipefail
cd "$(dirname "$0")"

bind_address="${BIND_ADDRESS:-127.0.0.1}"
if [ "$bind_address" = "0.0.0.0" ]; then host=localhost; else host="$bind_address"; fi

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

die() {
  printf 'start.sh: %s\n' "$*" >&2
  exit 1
}

require_docker() {
  command -v docker >/dev/null 2>&1 ||
    die "Docker is not installed. Install Docker Engine or Docker Desktop: https://docs.docker.com/get-docker/"
  docker compose version >/dev/null 2>&1 ||
    die "Docker Compose v2 is missing ('docker compose' failed). Install the compose plugin: https://docs.docker.com/compose/install/"
  docker info >/dev/null 2>&1 ||
    die "cannot reach the Docker daemon. Is it running, and may this user use it (docker group)?"
}

print_urls() {
  cat <<EOF

  Grafana      http://$host:${GRAFANA_HOST_PORT:-3000}   (anonymous viewer; admin password: \$GRAFANA_ADMIN_PASSWORD, default admin)
  Prometheus   http://$host:${PROMETHEUS_HOST_PORT:-9090}
  Prober       http://$host:${PROBER_HOST_PORT:-9103}/probes
  Status page  http://$host:${PROBER_HOST_PORT:-9103}/   (the prober's live status page)
  Proxy        http://$host:${PROXY_HOST_PORT:-8000}/status
  Server       http://$host:${SERVER_HOST_PORT:-8080}/status   (POST /flaky toggles chaos)

  Logs:  ./start.sh logs client     Stop:  ./start.sh down
EOF
}

# A local CA and a certificate for localhost, made by the proxy image itself (`proxy certs`), so the
# host needs no openssl. Skipped when ./certs already has files, or when this proxy build has no
# `certs` subcommand yet: the demo runs over plain HTTP without them.
ensure_certs() {
  if [ -d certs ] && [ -n "$(ls -A certs 2>/dev/null)" ]; then
    return 0
  fi
  mkdir -p certs
  echo "==> Creating a local CA and certificates in ./certs"
  docker compose build proxy
  local output
  if output=$(docker compose run --rm --no-deps --user "$(id -u):$(id -g)" \
    --volume "$PWD/certs:/certs" proxy certs --dir /certs --host localhost --host proxy 2>&1); then
    printf '%s\n' "$output"
    return 0
  fi
  if printf '%s' "$output" | grep -qiE "unknown|unexpected|not recognized|usage"; then
    echo "    note: this proxy build has no 'certs' subcommand yet; skipping certificates (HTTP only)."
  else
    printf '%s\n' "$output" >&2
    echo "    note: could not create certificates (see above); continuing over HTTP." >&2
  fi
  rmdir certs 2>/dev/null || true
}

up() {
  require_docker
  ensure_certs
  echo "==> Building and starting the stack (the first build takes a few minutes)"
  docker compose up --detach --build --wait --wait-timeout "${WAIT_TIMEOUT:-300}"
  echo "==> The stack is up."
  print_urls
}

case "${1:-up}" in
  up | start)
    up
    ;;
  down | stop)
    require_docker
    shift
    docker compose down --remove-orphans "$@"
    ;;
  logs)
    require_docker
    shift
    docker compose logs --follow --tail 100 "$@"
    ;;
  status | ps)
    require_docker
    docker compose ps
    print_urls
    ;;
  -h | --help | help)
    usage
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac
