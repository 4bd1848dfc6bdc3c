#!/usr/bin/env bash
# Makes sure Debian's nginx is there for the tests of deploy/nginx (tests/integration/
# test_nginx_config.py, tests/cluster). It is only run by the tests, as an ordinary process
# on loopback (nginx -p DIR -c FILE): the system's own nginx service is left stopped.
# As root, a missing nginx is installed with apt-get; otherwise we say how and exit 1.
set -euo pipefail

NGINX=/usr/sbin/nginx
if [ -x "$NGINX" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "nginx est absent ($NGINX) : installation du paquet Debian « nginx-light »…" >&2
  if DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
     && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; then
    # the package may start the system service: not ours, stopped
    (service nginx stop || true) >/dev/null 2>&1
    if [ -x "$NGINX" ]; then
      exit 0
    fi
  fi
  echo "Erreur : l'installation de nginx a échoué ($NGINX toujours absent)." >&2
  exit 1
fi
echo "Erreur : nginx est introuvable ($NGINX), nécessaire aux tests de deploy/nginx." >&2
echo "Installez-le (en administrateur) avec : sudo apt-get update && sudo apt-get install -y nginx-light" >&2
exit 1
