#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server on 127.0.0.1 (Debian's packages), then stop it.
#
#   tools/test_postgres.sh COMMAND...   runs COMMAND with WELFAREPOINT_TEST_DATABASE_URL pointing at the server
#
# The server lives in a temporary folder, listens only on 127.0.0.1:$PGPORT (a free port by default), trusts local
# connections, and is tuned for tests (no fsync). Installs Debian's postgresql when it is missing and this
# runs as root with apt. PostgreSQL refuses to run as root: as root, the server runs as the 'postgres' user.
set -euo pipefail

# A free port unless PGPORT names one: two runs on one machine (two contributors, two worktrees) never meet.
PGPORT="${PGPORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
find_bin() {
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  return 1
}

if ! PGBIN="$(find_bin)"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's postgresql for the PostgreSQL test run..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PGBIN="$(find_bin)"
  else
    echo "The PostgreSQL test run needs Debian's postgresql: run 'sudo apt-get install postgresql'." >&2
    exit 1
  fi
fi

DATA="$(mktemp -d /tmp/welfarepoint-pg.XXXXXX)"
as_owner() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$DATA"
stop() {
  as_owner "'$PGBIN/pg_ctl' -D '$DATA/data' -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap stop EXIT

as_owner "'$PGBIN/initdb' -D '$DATA/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >'$DATA/initdb.log' 2>&1"
as_owner "'$PGBIN/pg_ctl' -D '$DATA/data' -l '$DATA/server.log' -w -o \"-p $PGPORT -k '$DATA' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200\" start" >/dev/null

export WELFAREPOINT_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT for: $*"
"$@"
