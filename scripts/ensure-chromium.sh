#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the browser tests (tests/browser), which drive
# /usr/bin/chromium with Playwright (no browser download: never `playwright install`).
# As root, a missing Chromium is installed with apt-get; otherwise we say how and exit 1.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Chromium est absent ($CHROMIUM) : installation du paquet Debian « chromium »…" >&2
  if DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
     && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    if [ -x "$CHROMIUM" ]; then
      exit 0
    fi
  fi
  echo "Erreur : l'installation de Chromium a échoué ($CHROMIUM toujours absent)." >&2
  exit 1
fi
echo "Erreur : Chromium est introuvable ($CHROMIUM), nécessaire aux tests du navigateur (tests/browser)." >&2
echo "Installez-le (en administrateur) avec : sudo apt-get update && sudo apt-get install -y chromium" >&2
exit 1
