"""``amper serve gateway``: the web gateway (bot/web/), in front of Rasa on 127.0.0.1;
``amper serve widget-demo``: a demo provider website embedding the gateway's chat widget."""
from __future__ import annotations

from bot.entrypoints.cli import actions_of, _ensure_schema, registrar


@registrar
def _register_serve(subparsers) -> None:
    sub = actions_of(subparsers, "serve", "démarrer un serveur (un composant à la fois)",
                     metavar="SERVEUR")
    gateway = sub.add_parser("gateway", help="la passerelle web (AMPER_WEB_HOST:AMPER_WEB_PORT) "
                                             "devant Rasa (127.0.0.1:AMPER_RASA_PORT)")
    gateway.set_defaults(func=_cmd_gateway)
    demo = sub.add_parser("widget-demo", help="un site de démonstration (autre port) qui intègre "
                                              "le widget de la passerelle")
    demo.add_argument("--port", type=int, default=None,
                      help="port du site (AMPER_WEB_DEMO_PORT, 8001 par défaut)")
    demo.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (127.0.0.1 par défaut)")
    demo.add_argument("--gateway", type=_gateway_url, default=None, metavar="URL",
                      help="adresse de la passerelle (http://127.0.0.1:AMPER_WEB_PORT par défaut)")
    demo.set_defaults(func=_cmd_widget_demo)
    from bot.entrypoints import serve  # rasa, actions, dispatcher: each component on its own

    serve.add_parsers(sub)


def _gateway_url(value: str) -> str:
    import argparse

    from bot.web.demo_host import gateway_origin

    try:
        return gateway_origin(value)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None


def rasa_url() -> str:
    from bot import settings

    return f"http://127.0.0.1:{settings.servers().rasa_port}/webhooks/rest/webhook"


def _cmd_gateway(args) -> int:
    from aiohttp import web

    from bot import logs, settings
    from bot.domain.errors import ServiceError
    from bot.web.app import create_app

    if not settings.secret():
        raise ServiceError("AMPER_SECRET n'est pas défini : la passerelle ne peut pas signer "
                           "l'identité des clients connectés.")
    _ensure_schema()
    config, cluster = settings.web(), settings.cluster()
    logs.setup("gateway")
    app = create_app(config, cluster.rasa_urls, redis_url=cluster.redis_url)
    webhooks = ", ".join(f"{url}/webhooks/rest/webhook" for url in cluster.rasa_urls)
    shared = "Redis" if cluster.redis_url else "en mémoire"
    print(f"Passerelle web sur http://{config.host}:{config.port} (Rasa : {webhooks} ; "
          f"sessions {shared})")
    web.run_app(app, host=config.host, port=config.port, print=None, access_log=None)
    return 0


def _cmd_widget_demo(args) -> int:
    from aiohttp import web

    from bot import settings
    from bot.web.demo_host import create_demo_app

    config = settings.web()
    gateway = args.gateway or f"http://127.0.0.1:{config.port}"
    port = args.port or config.demo_port
    print(f"Site de démonstration sur http://{args.host}:{port} (widget de {gateway} ; "
          f"la passerelle doit avoir AMPER_WEB_EMBED_ORIGINS=http://{args.host}:{port})")
    web.run_app(create_demo_app(gateway), host=args.host, port=port, print=None)
    return 0
