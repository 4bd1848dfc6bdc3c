"""A whole AMPER cluster on loopback (issue 23, docs/deploy.md), for tests/cluster and the
cluster benchmark: PostgreSQL for the booking store and the conversations, Redis for Rasa's
lock store and the gateways' state (both given by scripts/with-postgres.sh and
scripts/with-redis.sh), action servers behind nginx, Rasa instances, web gateways behind
nginx.  Each component is started with its own ``amper serve …`` and environment, as the
systemd units do."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from bot.entrypoints.launcher import free_port
from bot.settings import PROJECT_ROOT

AMPER = Path(sys.executable).with_name("amper")
NGINX = "/usr/sbin/nginx"
SECRET = "cluster-secret-0123456789-0123456789-abcdef"
STARTUP_SECONDS = 420


def render_nginx():
    """scripts/cluster/render_nginx.py's ``render`` (a script, loaded from its file)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "render_nginx", PROJECT_ROOT / "scripts" / "cluster" / "render_nginx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render


def demo_databases(server_url: str, prefix: str):
    """Two new databases beside ``server_url``'s: the booking store (migrated, demo data)
    and the conversations; their URLs."""
    from bot.adapters import db
    from bot.service_layer.demo import load_demo_data
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    suffix = uuid.uuid4().hex[:8]
    booking = create_database(server_url, f"{prefix}_{suffix}")
    tracker = create_database(server_url, f"{prefix}_tracker_{suffix}")
    db.upgrade(booking)
    load_demo_data(SqlAlchemyUnitOfWork(booking))
    db.dispose_engine(booking)
    return booking, tracker


def create_database(server_url: str, name: str) -> str:
    """A new empty database beside ``server_url``'s; its URL."""
    import sqlalchemy as sa

    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


@dataclass
class Process:
    name: str
    argv: List[str]
    env: Dict[str, str]
    ready_url: str
    log: Path
    proc: Optional[subprocess.Popen] = None
    base: str = ""           # its base URL (the Rasa instances)

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=out,
                                     stderr=subprocess.STDOUT, cwd=PROJECT_ROOT,
                                     start_new_session=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a machine dying would (no clean shutdown)."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def freeze(self) -> None:
        """SIGSTOP: it still accepts connections (the kernel does) but answers nothing."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.killpg(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGCONT)
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            return answer.status == 200
    except OSError:
        return False


@dataclass
class Cluster:
    var: Path
    model: Path
    booking_url: str
    tracker_url: str
    redis_url: str
    processes: Dict[str, Process] = field(default_factory=dict)
    nginx: Optional[subprocess.Popen] = None
    web_port: int = 0
    actions_port: int = 0

    def env(self, **extra: str) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMPER_")}
        env.update({
            "AMPER_DATABASE_URL": self.booking_url, "AMPER_TRACKER_URL": self.tracker_url,
            "AMPER_REDIS_URL": self.redis_url, "AMPER_SECRET": SECRET, "AMPER_DEMO": "1",
            "AMPER_OFFICE_PHONE": "01 99 88 77 66", "AMPER_LOG_FORMAT": "json",
            "RASA_TELEMETRY_ENABLED": "false",
            "AMPER_WEB_TRUSTED_PROXIES": "127.0.0.1",
        })
        env.update(extra)
        return env

    @property
    def url(self) -> str:
        """nginx in front of the gateways: what a browser reaches."""
        return f"http://127.0.0.1:{self.web_port}"

    def rasa_urls(self) -> List[str]:
        return [p.base for n, p in sorted(self.processes.items()) if n.startswith("rasa-")]

    def add(self, name: str, command: str, ready_path: str, **env: str) -> Process:
        extra = ["--model", str(self.model)] if command == "rasa" else []
        process = Process(name, [str(AMPER), "serve", command, *extra], self.env(
            AMPER_INSTANCE=name, **env), ready_path, self.var / "log" / f"{name}.log")
        self.processes[name] = process
        return process

    def start(self, rasa: int = 2, actions: int = 2, gateways: int = 2) -> "Cluster":
        """``rasa`` Rasa instances, ``actions`` action servers, ``gateways`` gateways."""
        self.var.mkdir(parents=True, exist_ok=True)
        self.web_port, self.actions_port = free_port(), free_port()
        actions = [free_port() for _ in range(actions)]
        rasas = [free_port() for _ in range(rasa)]
        gateways = [free_port() for _ in range(gateways)]
        for n, port in enumerate(actions, 1):
            self.add(f"actions-{n}", "actions", f"http://127.0.0.1:{port}/ready",
                     AMPER_ACTIONS_PORT=str(port))
        for n, port in enumerate(rasas, 1):
            self.add(f"rasa-{n}", "rasa", f"http://127.0.0.1:{port}/webhooks/rest/ready",
                     AMPER_RASA_PORT=str(port),
                     AMPER_ACTIONS_URL=f"http://127.0.0.1:{self.actions_port}/webhook")
            self.processes[f"rasa-{n}"].base = f"http://127.0.0.1:{port}"
        rasa_urls = " ".join(f"http://127.0.0.1:{p}" for p in rasas)
        for n, port in enumerate(gateways, 1):
            self.add(f"gateway-{n}", "gateway", f"http://127.0.0.1:{port}/ready",
                     AMPER_WEB_PORT=str(port), AMPER_RASA_URLS=rasa_urls,
                     AMPER_WEB_PUBLIC_URL=f"http://127.0.0.1:{self.web_port}")
        nginx_dir = self.var / "nginx"
        nginx_dir.mkdir(parents=True, exist_ok=True)
        conf = nginx_dir / "nginx.conf"
        conf.write_text(render_nginx()(
            # (with no gateway, nginx still needs one upstream: a port nothing listens on)
            f"127.0.0.1:{self.web_port}", [f"127.0.0.1:{p}" for p in gateways or [free_port()]],
            str(nginx_dir), standalone=True, actions_listen=f"127.0.0.1:{self.actions_port}",
            actions=[f"127.0.0.1:{p}" for p in actions]))
        self.nginx = subprocess.Popen([NGINX, "-p", str(nginx_dir), "-c", str(conf),
                                       "-g", "daemon off;"], stderr=subprocess.DEVNULL)
        for process in self.processes.values():
            process.start()
        try:
            self.wait_ready(list(self.processes))
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, names: List[str], seconds: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        pending = list(names)
        while pending:
            for name in list(pending):
                process = self.processes[name]
                if not process.alive():
                    raise RuntimeError(f"{name} s'est arrêté au démarrage :\n{process.tail()}")
                if ready(process.ready_url):
                    pending.remove(name)
            if pending and time.monotonic() > deadline:
                raise RuntimeError("pas prêts : " + ", ".join(
                    f"{n}\n{self.processes[n].tail()}" for n in pending))
            time.sleep(1.0)

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(10)


def sender() -> str:
    return f"cluster-{uuid.uuid4().hex[:12]}"
