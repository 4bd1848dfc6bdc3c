"""Starts the whole assistant on loopback and stops it cleanly.

Used by ``make run`` (``amper run``) and by the end-to-end tests, which start the
same stack on free ports with their own databases.

Two modes.  Demo (``AMPER_DEMO=1``, set by ``make run``): an empty store receives the demo
planning and logins (public password), and a secret is generated into ``var/secret``.
Production (``AMPER_DEMO`` unset): no demo data, ``AMPER_SECRET`` of 32 bytes at least is
required, and the start is refused while a demo login still has the public password
(:func:`production_problems`).
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bot.entrypoints.production import (  # noqa: F401 - local_secret: also amper chat's
    demo_password_problems, local_link_secret, local_secret, production_problems,
    secret_problems)
from bot.entrypoints.endpoints import endpoints_config, sqlite_url, write_endpoints
from bot.entrypoints.rasa_server import TELEMETRY, child_env as rasa_child_env, rasa_argv
from bot import settings
from bot.settings import PROJECT_ROOT

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@dataclass
class StackConfig:
    rasa_port: int = 5005
    actions_port: int = 5055
    model: Path = PROJECT_ROOT / "models" / "amper.tar.gz"
    var_dir: Path = PROJECT_ROOT / "var"
    tracker_db: Optional[Path] = None  # default: var_dir / "tracker.db"
    tracker_url: str = ""   # AMPER_TRACKER_URL when given (then tracker_db is not used)
    redis_url: str = ""     # AMPER_REDIS_URL: Rasa's lock store (empty: in memory)
    env: Dict[str, str] = field(default_factory=dict)
    startup_timeout: float = 180.0
    dispatcher: bool = True
    gateway_port: Optional[int] = None     # the web gateway (bot/web/), when set
    demo_host_port: Optional[int] = None   # the demo site embedding the widget, when set

    @property
    def rest_url(self) -> str:
        return f"http://{LOOPBACK}:{self.rasa_port}/webhooks/rest/webhook"

    @property
    def actions_url(self) -> str:
        return f"http://{LOOPBACK}:{self.actions_port}/webhook"

    @property
    def gateway_url(self) -> str:
        host = settings.web().host  # a wildcard address is reached on loopback
        return f"http://{LOOPBACK if host in ('0.0.0.0', '::') else host}:{self.gateway_port}"

    @property
    def demo_host_url(self) -> str:
        return f"http://{LOOPBACK}:{self.demo_host_port}"


class StartupError(RuntimeError):
    pass


class Stack:
    """The action server and the Rasa server, as child processes."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.log_dir = config.var_dir / "log"
        self.procs: Dict[str, subprocess.Popen] = {}
        self.tracker_url: Optional[str] = None  # the conversations, for the purge

    # -- files -------------------------------------------------------------
    def write_endpoints(self) -> Path:
        cfg = self.config
        self.tracker_url = cfg.tracker_url or sqlite_url(
            cfg.tracker_db or (cfg.var_dir / "tracker.db"))
        config = endpoints_config(actions_url=cfg.actions_url, tracker_url=self.tracker_url,
                                  redis_url=cfg.redis_url)
        return write_endpoints(cfg.var_dir / "run" / f"endpoints-{cfg.rasa_port}.yml", config)

    # -- processes ---------------------------------------------------------
    def _spawn(self, name: str, argv: List[str], extra_env: Dict[str, str]) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}-{self.config.rasa_port}.log", "ab")
        env = dict(os.environ)
        env.update(self.config.env)
        env.update(extra_env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        env[TELEMETRY] = "false"  # Rasa's telemetry: off in every child, whatever the caller says
        self.procs[name] = subprocess.Popen(
            argv,
            cwd=str(PROJECT_ROOT),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C reaches us only; we stop the children
        )
        log.close()

    def start(self) -> "Stack":
        cfg = self.config
        if not cfg.model.exists():
            raise StartupError(
                f"Modèle introuvable : {cfg.model}. Lancez d'abord « make train »."
            )
        cfg.var_dir.mkdir(parents=True, exist_ok=True)
        endpoints = self.write_endpoints()
        py = sys.executable
        self._spawn(
            "actions",
            [py, "-m", "bot.entrypoints.action_server", "--host", LOOPBACK,
             "--port", str(cfg.actions_port)],
            {},
        )
        self._spawn(
            "rasa",
            rasa_argv(py, LOOPBACK, cfg.rasa_port, cfg.model, endpoints,
                      PROJECT_ROOT / "credentials.yml"),
            rasa_child_env({**os.environ, **cfg.env}),
        )
        if cfg.dispatcher:
            # Forwards recorded requests to the sector offices (issue 5).
            # It also applies the retention once a day, to the conversations of this stack.
            tracker = ["--tracker-url", self.tracker_url] if self.tracker_url else []
            self._spawn("dispatcher", [py, "-m", "bot.entrypoints.cli", "dispatch", *tracker],
                        {})
        if cfg.gateway_port:
            # The public surface: forwards the browser's messages to Rasa (bot/web/).
            self._spawn("gateway", [py, "-m", "bot.entrypoints.cli", "serve", "gateway"],
                        {"AMPER_WEB_PORT": str(cfg.gateway_port),
                         "AMPER_RASA_PORT": str(cfg.rasa_port),
                         # this stack's own Rasa, whatever the environment says
                         "AMPER_RASA_URLS": f"http://{LOOPBACK}:{cfg.rasa_port}"})
        if cfg.gateway_port and cfg.demo_host_port:
            self._spawn("demo-host", [py, "-m", "bot.entrypoints.cli", "serve", "widget-demo",
                                      "--port", str(cfg.demo_host_port),
                                      "--gateway", cfg.gateway_url], {})
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_up(self) -> None:
        cfg = self.config
        checks = {
            "actions": f"http://{LOOPBACK}:{cfg.actions_port}/health",
            "rasa": f"http://{LOOPBACK}:{cfg.rasa_port}/",
        }
        if "gateway" in self.procs:
            checks["gateway"] = f"{cfg.gateway_url}/health"
        if "demo-host" in self.procs:
            checks["demo-host"] = f"{cfg.demo_host_url}/"
        deadline = time.monotonic() + cfg.startup_timeout
        pending = dict(checks)
        while pending:
            for name in list(pending):
                proc = self.procs[name]
                if proc.poll() is not None:
                    raise StartupError(
                        f"Le serveur « {name} » s'est arrêté au démarrage "
                        f"(code {proc.returncode}). Journal : {self.log_path(name)}\n"
                        + self.log_tail(name)
                    )
                if _answers(pending[name]):
                    del pending[name]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise StartupError(
                    "Délai de démarrage dépassé pour : " + ", ".join(sorted(pending))
                )
            time.sleep(0.5)

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}-{self.config.rasa_port}.log"

    def log_tail(self, name: str, lines: int = 30) -> str:
        try:
            content = self.log_path(name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(content.splitlines()[-lines:])

    def dead(self) -> List[str]:
        return [name for name, p in self.procs.items() if p.poll() is not None]

    def stop_one(self, name: str, timeout: float = 15.0) -> None:
        proc = self.procs.get(name)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)

    def stop(self) -> None:
        # Rasa first (it calls the actions), then the action server; the dispatcher
        # finishes its current delivery (each attempt has a 30 s timeout).
        for name in ("demo-host", "gateway", "rasa", "actions"):
            self.stop_one(name)
        self.stop_one("dispatcher", timeout=35.0)

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _prepare_store(demo: Optional[bool] = None) -> Optional[str]:
    """Migrates the booking store; in demo mode, loads the demo planning into an empty one
    (never over other data)."""
    from bot.adapters import db
    from bot.service_layer.demo import EMPTY, OTHER, load_demo_data, store_contents
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    demo = settings.servers().demo if demo is None else demo
    db.upgrade()
    uow = SqlAlchemyUnitOfWork()
    contents = store_contents(uow)
    if not demo:
        return ("Base vide : importez le planning (amper import-planning FICHIER) ; "
                "aucune donnée de démonstration en production.") if contents == EMPTY else None
    if contents == OTHER:
        return ("Mode démonstration : la base contient déjà d'autres données, le planning de "
                "démonstration n'est pas chargé.")
    if contents != EMPTY:
        return None
    summary = load_demo_data(uow)
    return (f"Base vide : planning de démonstration chargé ({summary.interventions} interventions, "
            f"clients 1001 à {1000 + summary.clients}).")


def _banner(cfg: StackConfig) -> str:
    demo = (f"\n  Widget intégré à un autre site (démonstration) : {cfg.demo_host_url}"
            if cfg.demo_host_port else "")
    return f"""
L'assistant AMPER est prêt.

  Discussion dans le navigateur : {cfg.gateway_url}/{demo}
  Écran des conseillers au téléphone : {cfg.gateway_url}/conseiller
  Boîte des bureaux de secteur : {cfg.gateway_url}/bureau
  En démonstration, mot de passe amper-demo pour client1001 … client1020 (clients),
  bureau.nord et bureau.sud (bureaux de secteur), accueil (conseiller au téléphone).

  Dans un terminal :
      .venv/bin/amper chat                      questions, sans être connecté
      .venv/bin/amper chat --client 1001        connecté comme le client 1001 (annuler, déplacer)
      .venv/bin/amper chat --client 1001 --staff bureau.nord   conseiller au téléphone

  Rasa ({cfg.rest_url}) et le serveur d'actions ({cfg.actions_url})
  n'écoutent que sur {LOOPBACK} ; la passerelle web est la seule surface publique.
  Journaux : {cfg.var_dir / 'log'}
Ctrl-C pour tout arrêter.
"""


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="amper run", description="Démarre l'assistant AMPER.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rasa-port", type=int, default=None)
    parser.add_argument("--actions-port", type=int, default=None)
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / "amper.tar.gz")


def run(args: argparse.Namespace) -> int:
    problems = settings.check()
    ports = settings.servers() if not problems else None
    if ports is not None and not ports.demo:
        problems = secret_problems()
    if problems:
        print(settings.report(problems), file=sys.stderr)
        return 2
    stopping = {"flag": False}

    def _stop(signum, frame):  # noqa: ARG001
        stopping["flag"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        note = _prepare_store(ports.demo)  # the booking store's schema, before the actions use it
    except Exception as err:  # noqa: BLE001 - reported in French, not as a traceback
        print(f"Erreur : base des demandes inutilisable ({err}).", file=sys.stderr)
        return 1
    if note:
        print(note, flush=True)
    if not ports.demo:
        from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

        problems = demo_password_problems(SqlAlchemyUnitOfWork())
        if problems:
            print("Démarrage en production refusé :\n" + "\n".join(f"  - {p}" for p in problems),
                  file=sys.stderr)
            return 2
    web = settings.web()
    env = {"AMPER_SECRET": local_secret() if ports.demo else settings.secret(),
           "AMPER_WEB_LINK_SECRET": local_link_secret()}
    demo_port = web.demo_port if ports.demo else None
    if demo_port and not web.embed_origins:
        env["AMPER_WEB_EMBED_ORIGINS"] = f"http://{LOOPBACK}:{demo_port}"
    cluster = settings.cluster()
    cfg = StackConfig(rasa_port=args.rasa_port or ports.rasa_port,
                      actions_port=args.actions_port or ports.actions_port, model=args.model,
                      gateway_port=web.port, demo_host_port=demo_port, env=env,
                      tracker_url=cluster.tracker_url, redis_url=cluster.redis_url)
    stack = Stack(cfg)
    print("Démarrage des serveurs (chargement du modèle)…", flush=True)
    try:
        stack.start()
    except StartupError as err:
        print(f"Erreur : {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        stack.stop()
        return 130
    print(_banner(cfg), flush=True)
    code = 0
    while not stopping["flag"]:
        dead = stack.dead()
        if dead:
            print(
                f"Erreur : arrêt inattendu de : {', '.join(dead)}. Journal : {stack.log_path(dead[0])}",
                file=sys.stderr,
            )
            code = 1
            break
        time.sleep(0.5)
    print("\nArrêt en cours…", flush=True)
    stack.stop()
    print("Assistant arrêté.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
