"""``amper serve gateway``: the web gateway (bot/web/), in front of Rasa on 127.0.0.1."""
from __future__ import annotations

from bot.entrypoints.cli import actions_of, _ensure_schema, registrar


@registrar
def _register_serve(subparsers) -> None:
    sub = actions_of(subparsers, "serve", "démarrer un serveur public", metavar="SERVEUR")
    gateway = sub.add_parser("gateway", help="la passerelle web (AMPER_WEB_HOST:AMPER_WEB_PORT) "
                                             "devant Rasa (127.0.0.1:AMPER_RASA_PORT)")
    gateway.set_defaults(func=_cmd_gateway)


def rasa_url() -> str:
    from bot import settings

    return f"http://127.0.0.1:{settings.servers().rasa_port}/webhooks/rest/webhook"


def _cmd_gateway(args) -> int:
    from aiohttp import web

    from bot import settings
    from bot.domain.errors import ServiceError
    from bot.web.app import create_app

    if not settings.secret():
        raise ServiceError("AMPER_SECRET n'est pas défini : la passerelle ne peut pas signer "
                           "l'identité des clients connectés.")
    _ensure_schema()
    config = settings.web()
    app = create_app(config, rasa_url())
    print(f"Passerelle web sur http://{config.host}:{config.port} (Rasa : {rasa_url()})")
    web.run_app(app, host=config.host, port=config.port, print=None)
    return 0
