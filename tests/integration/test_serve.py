"""Each component on its own (docs/deploy.md): ``amper serve actions`` and ``amper serve rasa``
as real processes on free loopback ports, configured by the environment only; their health
and readiness; the request id of a message from Rasa's channel to the action server's log."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from bot.adapters import db
from bot.entrypoints.launcher import free_port
from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

SECRET = "serve-secret-0123456789-0123456789-abcdef"


def _get(url: str, headers: Optional[dict] = None, body: Optional[dict] = None
         ) -> Tuple[int, dict]:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode("utf-8"))


class Served:
    """``amper serve <component>`` as a child process, its output in a file."""

    def __init__(self, component: str, env: Dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.entrypoints.cli", "serve", component],
                cwd=str(PROJECT_ROOT), env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)

    def wait_for(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"stopped (code {self.proc.returncode}):\n{self.text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.3)
        pytest.fail(f"{url} did not answer in {timeout} s:\n{self.text()[-3000:]}")

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def records(self) -> List[dict]:
        """The JSON log lines (AMPER_LOG_FORMAT=json)."""
        found = []
        for line in self.text().splitlines():
            if line.startswith("{"):
                try:
                    found.append(json.loads(line))
                except ValueError:
                    pass
        return found

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def _base_env(tmp: Path) -> Dict[str, str]:
    url = f"sqlite:///{tmp / 'amper.db'}"
    db.upgrade(url)  # the schema is the operator's (amper db upgrade), not the servers'
    db.dispose_engine(url)
    return {"AMPER_DATABASE_URL": url, "AMPER_SECRET": SECRET, "AMPER_LOG_FORMAT": "json",
            "AMPER_TRACKER_URL": f"sqlite:///{tmp / 'tracker.db'}"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory, model_path):
    tmp = tmp_path_factory.mktemp("serve")
    rasa_port, actions_port = free_port(), free_port()
    env = {**_base_env(tmp), "AMPER_RASA_PORT": str(rasa_port),
           "AMPER_ACTIONS_PORT": str(actions_port),
           "AMPER_ACTIONS_URL": f"http://127.0.0.1:{actions_port}/webhook"}
    actions = Served("actions", {**env, "AMPER_INSTANCE": "actions-1"}, tmp / "actions.log")
    rasa = Served("rasa", {**env, "AMPER_INSTANCE": "rasa-1"}, tmp / "rasa.log")
    try:
        actions.wait_for(f"http://127.0.0.1:{actions_port}/health", 60)
        rasa.wait_for(f"http://127.0.0.1:{rasa_port}/webhooks/rest/health", 240)
        yield {"rasa": rasa, "actions": actions, "tmp": tmp,
               "rasa_url": f"http://127.0.0.1:{rasa_port}",
               "actions_url": f"http://127.0.0.1:{actions_port}"}
    finally:
        rasa.stop()
        actions.stop()
        (PROJECT_ROOT / "var" / "run" / f"endpoints-{rasa_port}.yml").unlink(missing_ok=True)


def test_serve_actions_is_healthy_and_ready(servers):
    assert _get(servers["actions_url"] + "/health") == (200, {"status": "ok"})
    assert _get(servers["actions_url"] + "/ready") == (200, {"ready": True})


def test_serve_actions_is_not_ready_without_its_store(tmp_path):
    port = free_port()
    actions = Served("actions", {
        "AMPER_DATABASE_URL": "postgresql+psycopg2://amper@127.0.0.1:1/amper",
        "AMPER_DB_CONNECT_TIMEOUT": "1", "AMPER_SECRET": SECRET,
        "AMPER_ACTIONS_PORT": str(port)}, tmp_path / "actions.log")
    try:
        actions.wait_for(f"http://127.0.0.1:{port}/health", 60)
        status, body = _get(f"http://127.0.0.1:{port}/ready")
        assert status == 503 and body["ready"] is False
        assert "La base des demandes (AMPER_DATABASE_URL) est injoignable" in body["problems"][0]
    finally:
        actions.stop()


def test_serve_rasa_is_healthy_and_ready(servers):
    assert _get(servers["rasa_url"] + "/webhooks/rest/health") == (200, {"status": "ok"})
    assert _get(servers["rasa_url"] + "/webhooks/rest/ready") == (200, {"ready": True})


def _turn(servers, request_id: str, *, header: bool) -> None:
    body = {"sender": f"serve-{uuid.uuid4().hex[:8]}", "message": "Je veux parler à un conseiller"}
    headers = {"X-Request-Id": request_id} if header else {}
    if not header:
        body["metadata"] = {"request_id": request_id}
    status, answer = _get(servers["rasa_url"] + "/webhooks/rest/webhook", headers, body)
    assert status == 200 and answer, answer


def _wait_for_record(served: Served, request_id: str, prefix: str) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for record in served.records():
            if record.get("request_id") == request_id and record["message"].startswith(prefix):
                return record
        time.sleep(0.2)
    raise AssertionError(f"no « {prefix} » line with {request_id}:\n{served.text()[-3000:]}")


@pytest.mark.parametrize("header", [False, True], ids=["metadata", "header"])
def test_the_request_id_goes_from_the_channel_to_the_action_server_log(servers, header):
    request_id = f"test-{uuid.uuid4().hex[:12]}"
    _turn(servers, request_id, header=header)
    turn = _wait_for_record(servers["rasa"], request_id, "tour : conversation ")
    assert turn["component"] == "rasa" and turn["instance"] == "rasa-1"
    assert "conseiller" not in turn["message"]  # never the text
    action = _wait_for_record(servers["actions"], request_id, "action ")
    assert action["component"] == "actions" and action["instance"] == "actions-1"
    assert action["level"] == "INFO" and " : ok en " in action["message"]


def test_the_request_id_is_kept_in_the_tracker_metadata(servers):
    """Rasa keeps a message's metadata on the tracker (what the action server reads)."""
    import sqlite3

    request_id = f"kept-{uuid.uuid4().hex[:12]}"
    _turn(servers, request_id, header=False)
    with sqlite3.connect(servers["tmp"] / "tracker.db") as conn:
        rows = [json.loads(d) for (d,) in conn.execute(
            "SELECT data FROM events WHERE type_name = 'user'")]
    assert any((r.get("metadata") or {}).get("request_id") == request_id for r in rows)


def test_serve_rasa_is_not_ready_when_its_tracker_store_is_gone(servers):
    """Last of the module: the conversations' file removed under the running server."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{servers['tmp'] / 'tracker.db'}{suffix}").unlink(missing_ok=True)
    status, body = _get(servers["rasa_url"] + "/webhooks/rest/ready")
    assert status == 503 and body["ready"] is False
    assert any("La base des conversations (AMPER_TRACKER_URL) est injoignable" in p
               for p in body["problems"]), body
    assert _get(servers["rasa_url"] + "/webhooks/rest/health")[0] == 200  # alive all the same
