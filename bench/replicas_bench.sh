#!/usr/bin/env bash
# Ingestion and Recommend through 1, 2 and 4 pathwised replicas on one PostgreSQL (issue 15), with
# PostgreSQL's own CPU: a throwaway cluster (Debian's postgresql package; as the postgres user
# when run as root) with the server's default durability (fsync, synchronous_commit on), a fresh
# database per run, bench/service_load driving the replicas.
#
#   bench/replicas_bench.sh [LEARNERS] [EVENTS_PER_LEARNER] [RECOMMEND_CALLS] [REPLICA COUNTS...]
#
# Defaults: 2000 learners x 50 events (100,000 events), 40,000 Recommend calls, replicas 1 2 4.
# BUILD_DIR (build) and CLIENT_THREADS (4) may be set. Results go to stdout; see bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
LEARNERS=${1:-2000}
EVENTS=${2:-50}
CALLS=${3:-40000}
shift $(($# < 3 ? $# : 3))
COUNTS=("$@")
[[ ${#COUNTS[@]} -gt 0 ]] || COUNTS=(1 2 4)
WORK=$(mktemp -d -t pathwise-replicas-bench.XXXXXX)  # under $TMPDIR, else /tmp
source scripts/postgres_bin.sh
[[ -x "$PG_BIN/initdb" ]] || { echo "no PostgreSQL server binaries" >&2; exit 1; }
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ $(id -u) == 0 ]] && chown postgres "$WORK"
stop() {
  as_pg "$PG_BIN/pg_ctl" --pgdata="$WORK/pg" --mode=fast --wait stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap stop EXIT
as_pg "$PG_BIN/initdb" --pgdata="$WORK/pg" --username=pathwise --auth=trust --encoding=UTF8 \
  --locale=C --no-instructions >"$WORK/initdb.log"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf "port = %s\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nmax_connections = 200\n" \
  "$PORT" "$WORK" >>"$WORK/pg/postgresql.auto.conf"
as_pg "$PG_BIN/pg_ctl" --pgdata="$WORK/pg" --log="$WORK/postgres.log" --wait start >/dev/null
POSTMASTER=$(head -1 "$WORK/pg/postmaster.pid")
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (postmaster $POSTMASTER); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${COUNTS[@]}"; do
  db="bench_$n"
  "$PG_BIN/createdb" --host=127.0.0.1 --port="$PORT" --username=pathwise "$db"
  echo "== $n replica(s)"
  "$BUILD_DIR/bin/service_load" --server "$BUILD_DIR/bin/pathwised" --data-dir "$WORK/load_$n" \
    --store "postgresql://pathwise@127.0.0.1:$PORT/$db" --replicas "$n" --postgres-pid "$POSTMASTER" \
    --learners "$LEARNERS" --events-per-learner "$EVENTS" --recommend-calls "$CALLS" \
    --client-threads "${CLIENT_THREADS:-4}" | grep -E '^(ingest|recommend|server)'
done
