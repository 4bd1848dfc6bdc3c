#!/usr/bin/env python3
"""Renders deploy/nginx/amper.conf.template into a working nginx configuration.

    scripts/cluster/render_nginx.py --listen "443 ssl" --gateway 10.0.0.11:8000 \
        --gateway 10.0.0.12:8000 --cert /etc/ssl/amper.pem --key /etc/ssl/amper.key \
        --prefix /var/lib/nginx/amper > /etc/nginx/conf.d/amper.conf

    scripts/cluster/render_nginx.py --listen 127.0.0.1:8080 --gateway 127.0.0.1:8001 \
        --gateway 127.0.0.1:8002 --prefix /tmp/nginx --standalone > /tmp/nginx/nginx.conf

``--standalone`` wraps the server in a whole nginx.conf (events, http, pid, logs under the
prefix) for running nginx as an ordinary user: ``nginx -p PREFIX -c nginx.conf``.  The
cluster tests use that; production includes the server block in Debian's nginx."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx" / "amper.conf.template"
ACTIONS_TEMPLATE = ROOT / "deploy" / "nginx" / "amper-actions.conf.template"
ADDRESS = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:[0-9]{1,5}$")


def _fill(template: Path, values) -> str:
    text = template.read_text(encoding="utf-8")
    for name, value in values:
        text = text.replace(f"@{name}@", value)
    return text


def _servers(addresses) -> str:
    if not addresses or not all(ADDRESS.match(a) for a in addresses):
        raise ValueError("adresse invalide (HOTE:PORT attendu)")
    return "\n".join(f"    server {a} max_fails=1 fail_timeout=5s;" for a in addresses)


def render(listen: str, gateways, prefix: str, cert: str = "", key: str = "",
           standalone: bool = False, actions_listen: str = "", actions=()) -> str:
    """The gateways' server (and, with ``actions_listen``, the action servers' one)."""
    tls = (f"    ssl_certificate {cert};\n    ssl_certificate_key {key};\n"
           "    ssl_protocols TLSv1.2 TLSv1.3;" if cert else "")
    server = _fill(TEMPLATE, (("LISTEN", listen), ("TLS", tls), ("PREFIX", prefix),
                              ("GATEWAYS", _servers(gateways))))
    if actions_listen:
        server += "\n" + _fill(ACTIONS_TEMPLATE, (("ACTIONS_LISTEN", actions_listen),
                                                  ("PREFIX", prefix),
                                                  ("ACTIONS", _servers(actions))))
    if not standalone:
        return server
    return (f"worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
            "events { worker_connections 512; }\n"
            f"http {{\n    access_log {prefix}/access.log;\n{server}\n}}\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="configuration nginx devant les passerelles")
    parser.add_argument("--listen", required=True)
    parser.add_argument("--gateway", action="append", required=True, metavar="HOTE:PORT")
    parser.add_argument("--prefix", required=True, help="dossier des fichiers temporaires")
    parser.add_argument("--cert", default="")
    parser.add_argument("--key", default="")
    parser.add_argument("--standalone", action="store_true")
    parser.add_argument("--actions-listen", default="",
                        help="adresse privée devant les serveurs d'actions (facultatif)")
    parser.add_argument("--action", action="append", default=[], metavar="HOTE:PORT")
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(render(args.listen, args.gateway, args.prefix, args.cert, args.key,
                                args.standalone, args.actions_listen, args.action))
    except ValueError as problem:
        print(f"Erreur : {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
