# Sourced by scripts that start a throwaway PostgreSQL server: sets PG_BIN to the directory of
# initdb and pg_ctl, found as the tests find it (tests/store/postgres_test_server.h):
# $PATHWISE_POSTGRES_BIN if set, else the newest of Debian's /usr/lib/postgresql/<version>/bin,
# else the directory of pg_ctl on PATH. Empty when there is none.
PG_BIN=${PATHWISE_POSTGRES_BIN:-}
if [[ -z $PG_BIN ]]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi
if [[ -z $PG_BIN ]] && command -v pg_ctl >/dev/null; then
  PG_BIN=$(dirname "$(command -v pg_ctl)")
fi
