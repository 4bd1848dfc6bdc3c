#!/usr/bin/env bash
# Runs CMD... against a throwaway PostgreSQL 15 started from Debian's packages (no Docker):
#   scripts/with-postgres.sh .venv/bin/python -m pytest tests/integration -q
# Exports AMPER_TEST_POSTGRES_URL and AMPER_REQUIRE_POSTGRES=1 for CMD, always stops and
# removes the server afterwards, and exits with CMD's status.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [ "$#" -eq 0 ]; then
  echo "Usage : $0 COMMANDE [ARGUMENTS...]" >&2
  exit 2
fi
for tool in initdb pg_ctl; do
  if [ ! -x "$PG_BIN/$tool" ]; then
    echo "Erreur : PostgreSQL 15 est introuvable ($PG_BIN/$tool manquant)." >&2
    echo "Installez-le avec : apt-get update && apt-get install -y postgresql-15" >&2
    exit 1
  fi
done

# Run the server as an unprivileged user (PostgreSQL refuses to run as root).
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "Erreur : l'utilisateur système « postgres » n'existe pas (paquet postgresql-15 installé ?)." >&2
    exit 1
  fi
  run_as=(runuser -u postgres --)
fi

tmp="$(mktemp -d /tmp/amper-pg.XXXXXX)"
chmod 755 "$tmp"
[ "$(id -u)" -eq 0 ] && chown postgres: "$tmp"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

cleanup() {
  "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${run_as[@]}" "$PG_BIN/initdb" -D "$tmp/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1 \
  || { cat "$tmp/initdb.log" >&2; echo "Erreur : initdb a échoué." >&2; exit 1; }
"${run_as[@]}" "$PG_BIN/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null \
  || { cat "$tmp/server.log" >&2; echo "Erreur : PostgreSQL n'a pas démarré." >&2; exit 1; }

export AMPER_TEST_POSTGRES_URL="postgresql+psycopg2://postgres@127.0.0.1:$port/postgres"
export AMPER_REQUIRE_POSTGRES=1
echo "PostgreSQL 15 temporaire sur 127.0.0.1:$port" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
