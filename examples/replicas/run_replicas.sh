#!/usr/bin/env bash
# Three pathwised replicas on one PostgreSQL database, and the address a gRPC-aware load balancer
# in front of them should spread calls over (nginx.conf or envoy.yaml beside this script).
#
#   examples/replicas/run_replicas.sh [PATHWISED]      # Ctrl-C stops everything it started
#
# PATHWISED defaults to build/bin/pathwised. PG_URI=postgresql://USER@HOST:PORT/DB uses an existing
# database; without it a throwaway PostgreSQL cluster is created in a temporary directory (Debian's
# postgresql package: initdb and pg_ctl; as the postgres user when run as root). REPLICAS (3),
# FIRST_PORT (50061) and API_KEY (demo=demo-key-change-me-0123456789) may be set. With nginx
# installed, BALANCER=nginx also starts nginx with nginx.conf on 127.0.0.1:50051.
set -euo pipefail
cd "$(dirname "$0")/../.."
PATHWISED=${1:-build/bin/pathwised}
REPLICAS=${REPLICAS:-3}
FIRST_PORT=${FIRST_PORT:-50061}
API_KEY=${API_KEY:-demo=demo-key-change-me-0123456789}
WORK=$(mktemp -d -t pathwise-replicas.XXXXXX)  # under $TMPDIR, else /tmp
pids=()

stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ -n "${PG_STARTED:-}" ]]; then
    as_pg "$PG_BIN/pg_ctl" --pgdata="$WORK/pg" --mode=fast --wait stop >/dev/null || true
  fi
  echo "stopped; logs in $WORK"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

as_pg() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [[ -z "${PG_URI:-}" ]]; then
  source scripts/postgres_bin.sh
  [[ -x "$PG_BIN/initdb" ]] || { echo "no PostgreSQL server binaries; set PG_URI" >&2; exit 1; }
  [[ $(id -u) == 0 ]] && chown postgres "$WORK"
  as_pg "$PG_BIN/initdb" --pgdata="$WORK/pg" --username=pathwise --auth=trust --encoding=UTF8 \
    --locale=C --no-instructions >"$WORK/initdb.log"
  PG_PORT=${PG_PORT:-55432}
  printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n" \
    "$PG_PORT" "$WORK" >>"$WORK/pg/postgresql.auto.conf"
  as_pg "$PG_BIN/pg_ctl" --pgdata="$WORK/pg" --log="$WORK/postgres.log" --wait start >/dev/null
  PG_STARTED=1
  "$PG_BIN/createdb" --host=127.0.0.1 --port="$PG_PORT" --username=pathwise pathwise
  PG_URI="postgresql://pathwise@127.0.0.1:$PG_PORT/pathwise"
fi

for ((r = 0; r < REPLICAS; ++r)); do
  port=$((FIRST_PORT + r))
  "$PATHWISED" --store "$PG_URI" --listen "127.0.0.1:$port" --api-key "$API_KEY" \
    --metrics-listen "127.0.0.1:$((port + 1000))" >"$WORK/replica$r.out" 2>"$WORK/replica$r.log" &
  pids+=($!)
done
for ((r = 0; r < REPLICAS; ++r)); do
  for _ in $(seq 100); do
    grep -q "listening on" "$WORK/replica$r.out" 2>/dev/null && break
    sleep 0.1
  done
  head -1 "$WORK/replica$r.out"
done

if [[ "${BALANCER:-}" == nginx ]]; then
  sed "s|@WORK@|$WORK|" examples/replicas/nginx.conf >"$WORK/nginx.conf"
  nginx -c "$WORK/nginx.conf" -g "daemon off; pid $WORK/nginx.pid;" &
  pids+=($!)
  echo "nginx balancing gRPC on 127.0.0.1:50051"
fi
echo "replicas up on 127.0.0.1:$FIRST_PORT..$((FIRST_PORT + REPLICAS - 1)); Ctrl-C stops them"
wait
