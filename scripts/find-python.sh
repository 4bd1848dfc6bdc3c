#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 needs 3.8–3.10; we pin 3.10).
# Looks at $PYTHON, then python3.10 on PATH, then pyenv's 3.10.x; fails with advice otherwise.
set -u
is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }

candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
root=""
if command -v pyenv >/dev/null 2>&1; then root=$(pyenv root 2>/dev/null); fi
[ -z "$root" ] && root="${PYENV_ROOT:-$HOME/.pyenv}"
for p in $(ls -d "$root"/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do candidates+=("$p"); done
for p in /usr/bin/python3.10 /usr/local/bin/python3.10; do candidates+=("$p"); done

for p in "${candidates[@]}"; do
  if [ -x "$p" ] || command -v "$p" >/dev/null 2>&1; then
    if is_310 "$p"; then echo "$p"; exit 0; fi
  fi
done

cat >&2 <<'MSG'
Erreur : aucun interpréteur Python 3.10 trouvé (Rasa 3.6 ne fonctionne qu'avec Python 3.8 à 3.10).
Installez-en un, puis relancez la commande :
  - avec pyenv :   pyenv install 3.10.13
  - sous Debian/Ubuntu : apt-get install python3.10 python3.10-venv (si disponible)
ou indiquez le chemin d'un Python 3.10 existant :  make run PYTHON=/chemin/vers/python3.10
MSG
exit 1
