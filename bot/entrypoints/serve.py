"""``amper serve rasa``, ``amper serve actions``, ``amper serve dispatcher``: each component on
its own, on one machine or several (docs/deploy.md), beside ``amper serve gateway``
(:mod:`bot.entrypoints.cli_web`).  Every address and store comes from bot/settings.py.

- rasa: the endpoints file rendered from the settings (:mod:`bot.entrypoints.endpoints`,
  the same as ``amper run``'s) under ``var/run/``, then ``rasa run`` in place of this process
  (our channel, never ``--enable-api``, telemetry off) on ``AMPER_RASA_HOST:AMPER_RASA_PORT``;
- actions: the action server on ``AMPER_ACTIONS_HOST:AMPER_ACTIONS_PORT``;
- dispatcher: ``amper dispatch``'s loop, with ``/health`` and ``/ready`` on
  ``127.0.0.1:AMPER_DISPATCHER_HEALTH_PORT`` when set (:mod:`bot.entrypoints.dispatcher_serve`).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from bot import settings
from bot.domain.errors import ServiceError
from bot.settings import PROJECT_ROOT

DEFAULT_MODEL = PROJECT_ROOT / "models" / "amper.tar.gz"


def add_parsers(sub) -> None:
    """The serve subcommands, into ``amper serve``'s sub-parsers."""
    rasa = sub.add_parser("rasa", help="une instance Rasa (AMPER_RASA_HOST:AMPER_RASA_PORT), "
                                       "conversations dans AMPER_TRACKER_URL")
    rasa.add_argument("-i", "--interface", default=None, metavar="ADRESSE",
                      help="adresse d'écoute (sinon AMPER_RASA_HOST, 127.0.0.1 par défaut)")
    rasa.add_argument("-p", "--port", type=int, default=None,
                      help="port (sinon AMPER_RASA_PORT, 5005 par défaut)")
    rasa.add_argument("--model", type=Path, default=DEFAULT_MODEL,
                      help="modèle entraîné (models/amper.tar.gz par défaut)")
    rasa.set_defaults(func=_cmd_rasa)
    actions = sub.add_parser("actions", help="un serveur d'actions "
                                             "(AMPER_ACTIONS_HOST:AMPER_ACTIONS_PORT)")
    actions.add_argument("--host", default=None, metavar="ADRESSE",
                         help="adresse d'écoute (sinon AMPER_ACTIONS_HOST, 127.0.0.1 par défaut)")
    actions.add_argument("-p", "--port", type=int, default=None,
                         help="port (sinon AMPER_ACTIONS_PORT, 5055 par défaut)")
    actions.set_defaults(func=_cmd_actions)
    dispatcher = sub.add_parser("dispatcher", help="le répartiteur vers les bureaux de secteur "
                                                   "(santé sur AMPER_DISPATCHER_HEALTH_PORT)")
    dispatcher.set_defaults(func=_cmd_dispatcher)


def tracker_url() -> str:
    """``AMPER_TRACKER_URL``, or the SQLite file of a local run (var/tracker.db)."""
    from bot.entrypoints.endpoints import sqlite_url

    return settings.cluster().tracker_url or sqlite_url(PROJECT_ROOT / "var" / "tracker.db")


def rasa_command(args):
    """(argv, environment, endpoints file) of the Rasa process ``amper serve rasa`` becomes."""
    from bot.entrypoints.endpoints import endpoints_config, write_endpoints
    from bot.entrypoints.rasa_server import child_env, rasa_argv

    cluster, ports = settings.cluster(), settings.servers()
    host, port = args.interface or cluster.rasa_host, args.port or ports.rasa_port
    model = Path(args.model)
    if not model.exists():
        raise ServiceError(f"Modèle introuvable : {model}. Lancez d'abord « make train ».")
    try:
        config = endpoints_config(actions_url=cluster.actions_url, tracker_url=tracker_url(),
                                  redis_url=cluster.redis_url)
    except ValueError as problem:
        raise ServiceError(str(problem)) from None
    if config["tracker_store"].get("dialect") == "sqlite":
        Path(config["tracker_store"]["db"]).parent.mkdir(parents=True, exist_ok=True)
    endpoints = write_endpoints(PROJECT_ROOT / "var" / "run" / f"endpoints-{port}.yml", config)
    argv = rasa_argv(sys.executable, host, port, model.resolve(), endpoints,
                     PROJECT_ROOT / "credentials.yml")
    env = child_env(os.environ)
    env["AMPER_RASA_HOST"] = host  # what the channel's answers route compares its peers with
    for name, value in ONE_THREAD.items():
        env.setdefault(name, value)

    return argv, env, endpoints


#: The numeric libraries of a Rasa instance on one thread each, unless the operator says
#: otherwise.  Measured (bench_cluster, 2 cores, 8 conversations): two instances side by
#: side without this fell from ~15 turns/s each alone to 1.7 turns/s together (their
#: OpenMP / BLAS threads spin and starve each other); with it, 26.8 turns/s together.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "TF_INTER_OP_PARALLELISM_THREADS": "1", "TF_INTRA_OP_PARALLELISM_THREADS": "1"}


def _cmd_rasa(args) -> int:
    argv, env, _ = rasa_command(args)
    print(f"Rasa sur http://{argv[argv.index('-i') + 1]}:{argv[argv.index('-p') + 1]} "
          f"(santé : /webhooks/rest/health, prêt : /webhooks/rest/ready)", flush=True)
    os.chdir(PROJECT_ROOT)  # Rasa finds our channel and the credentials from there
    os.execve(argv[0], argv, env)  # the same process (its pid for systemd), Rasa's memory fixes
    return 0  # pragma: no cover - never reached


def _cmd_actions(args) -> int:
    from bot.entrypoints import action_server

    # the schema is the operator's (amper db upgrade) or the gateway's: several action
    # servers starting together never migrate at once
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))  # the ``actions`` package
    argv = ["--port", str(args.port)] if args.port else []
    action_server.main([*argv, *(["--host", args.host] if args.host else [])])
    return 0


def _cmd_dispatcher(args) -> int:
    from bot.entrypoints.cli import _ensure_schema
    from bot.entrypoints.dispatcher_serve import serve_dispatcher

    _ensure_schema()
    return serve_dispatcher(tracker_url())
