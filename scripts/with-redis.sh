#!/usr/bin/env bash
# Runs CMD... against a throwaway Redis started from Debian's package (no Docker):
#   scripts/with-redis.sh .venv/bin/python -m pytest tests/integration/test_gateway_cluster*.py
# A missing /usr/bin/redis-server is installed with apt-get (as root; otherwise we say how).
# The server listens on a free loopback port, keeps nothing on disk, and is always stopped
# afterwards; CMD gets AMPER_TEST_REDIS_URL and AMPER_REQUIRE_REDIS=1, and we exit with its
# status.
set -euo pipefail

REDIS_SERVER="${REDIS_SERVER:-/usr/bin/redis-server}"
if [ "$#" -eq 0 ]; then
  echo "Usage : $0 COMMANDE [ARGUMENTS...]" >&2
  exit 2
fi
if [ ! -x "$REDIS_SERVER" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Redis est absent ($REDIS_SERVER) : installation du paquet Debian « redis-server »…" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null || true
  fi
  if [ ! -x "$REDIS_SERVER" ]; then
    echo "Erreur : Redis est introuvable ($REDIS_SERVER)." >&2
    echo "Installez-le (en administrateur) avec : sudo apt-get update && sudo apt-get install -y redis-server" >&2
    exit 1
  fi
fi

tmp="$(mktemp -d /tmp/amper-redis.XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
pid=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$REDIS_SERVER" --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
  --dir "$tmp" --protected-mode yes --daemonize no --logfile "$tmp/redis.log" &
pid=$!

ready=""
for _ in $(seq 100); do
  if python3 - "$port" <<'PY' 2>/dev/null; then ready=1; break; fi
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5) as s:
    s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
PY
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$tmp/redis.log" >&2 || true
    echo "Erreur : Redis n'a pas démarré." >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "Erreur : Redis ne répond pas sur 127.0.0.1:$port." >&2
  exit 1
fi

export AMPER_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
export AMPER_REQUIRE_REDIS=1
echo "Redis temporaire sur 127.0.0.1:$port" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
