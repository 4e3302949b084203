#!/usr/bin/env bash
# Starts the demo stack with Docker Compose: the flaky server, the proxy, the prober, and Prometheus,
# Loki, Tempo and Grafana, and "Hello SRE!" over HTTPS. The host needs nothing but Docker with Compose v2
# (without Docker: npm ci && npm start runs the three services natively, with Node 24).
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

NATIVE_HINT="Or run the flaky server, proxy and prober without Docker (Node 24): npm ci && npm start"

require_docker() {
  command -v docker >/dev/null 2>&1 ||
    die "Docker is not installed. Install Docker Engine or Docker Desktop: https://docs.docker.com/get-docker/
  $NATIVE_HINT"
  docker compose version >/dev/null 2>&1 ||
    die "Docker Compose v2 is missing ('docker compose' failed). Install the compose plugin: https://docs.docker.com/compose/install/
  $NATIVE_HINT"
  docker info >/dev/null 2>&1 ||
    die "cannot reach the Docker daemon. Is it running, and may this user use it (docker group)?
  $NATIVE_HINT"
}

print_urls() {
  cat <<EOF

  Grafana      http://$host:${GRAFANA_HOST_PORT:-3000}   (anonymous viewer; admin password: \$GRAFANA_ADMIN_PASSWORD, default admin)
  Prometheus   http://$host:${PROMETHEUS_HOST_PORT:-9090}
  Prober       http://$host:${PROBER_HOST_PORT:-9103}/probes
  Status page  http://$host:${PROBER_HOST_PORT:-9103}/   (the prober's live status page)
  Proxy        http://$host:${PROXY_HOST_PORT:-8000}/status
  Server       http://$host:${SERVER_HOST_PORT:-8080}/status   (POST /flaky toggles chaos; so does the prober, every 10 s)
EOF
  if [ -f certs/ca.crt ]; then
    echo "  Hello SRE    https://$host:${HTTPS_HOST_PORT:-8443}/   (curl --cacert certs/ca.crt; http://$host:${HTTP_HOST_PORT:-8081}/ redirects there)"
  fi
  printf '\n  Logs:  ./start.sh logs client     Stop:  ./start.sh down\n'
}

# A local CA and a certificate for localhost, made by the proxy image itself (`proxy certs`), so the
# host needs no openssl. Skipped when ./certs already has files. Without certificates (a proxy build
# with no `certs` subcommand) the stack runs over plain HTTP, without the hello-sre service.
#
# The key is made group-readable (0640, the group of the user running this) and that group is handed
# to compose as CERTS_GID: the proxy image's user (uid 1000) joins it to read the key, whatever this
# user's uid, and nobody else on the host can read it.
certs_ready=false
ensure_certs() {
  if [ -d certs ] && [ -n "$(ls -A certs 2>/dev/null)" ]; then
    share_key
    return 0
  fi
  mkdir -p certs
  echo "==> Creating a local CA and certificates in ./certs"
  docker compose build proxy
  local output
  if output=$(docker compose run --rm --no-deps --user "$(id -u):$(id -g)" \
    --volume "$PWD/certs:/certs" proxy certs --dir /certs --host localhost --host proxy --host hello-sre 2>&1); then
    printf '%s\n' "$output"
    share_key
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

share_key() {
  if [ -f certs/tls.key ]; then
    chmod 0640 certs/tls.key
  fi
  CERTS_GID="$(id -g)"
  export CERTS_GID
  certs_ready=true
}

up() {
  require_docker
  ensure_certs
  local without_https=()
  if [ "$certs_ready" != true ]; then
    without_https=(--scale hello-sre=0)
  fi
  echo "==> Building and starting the stack (the first build takes a few minutes)"
  # (The +"…" form: macOS's bash 3.2 calls an empty array unbound under set -u.)
  docker compose up --detach --build --wait --wait-timeout "${WAIT_TIMEOUT:-300}" ${without_https[@]+"${without_https[@]}"}
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
