"""``amper serve rasa`` on the shared stores of several machines (docs/deploy.md): Rasa's
lock store in Redis (a throwaway ``redis-server`` of our own, so that it can be stopped) and
the conversations in PostgreSQL when ``AMPER_TEST_POSTGRES_URL`` is set (scripts/with-postgres.sh,
``make test``; SQLite otherwise); ``amper serve dispatcher`` with its health port."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from bot.entrypoints.launcher import free_port
from bot.settings import PROJECT_ROOT
from tests.integration.test_serve import SECRET, Served, _base_env, _get

pytestmark = pytest.mark.slow

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture
def redis_server(tmp_path):
    if not os.path.exists(REDIS_SERVER):
        pytest.skip("redis-server introuvable (apt-get install redis-server) : cas Redis ignorés")
    port = free_port()
    proc = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    yield proc, f"redis://127.0.0.1:{port}/0"
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=5)


@pytest.fixture
def tracker_url(tmp_path, request):
    if os.environ.get("AMPER_TEST_POSTGRES_URL", "").strip():
        return request.getfixturevalue("pg_database")
    return f"sqlite:///{tmp_path / 'tracker.db'}"


def test_rasa_with_the_redis_lock_store_and_the_shared_tracker_store(
        tmp_path, model_path, redis_server, tracker_url):
    proc, redis_url = redis_server
    rasa_port, actions_port = free_port(), free_port()
    env = {**_base_env(tmp_path), "AMPER_TRACKER_URL": tracker_url, "AMPER_REDIS_URL": redis_url,
           "AMPER_RASA_PORT": str(rasa_port), "AMPER_ACTIONS_PORT": str(actions_port)}
    actions = Served("actions", env, tmp_path / "actions.log")
    rasa = Served("rasa", env, tmp_path / "rasa.log")
    base = f"http://127.0.0.1:{rasa_port}/webhooks/rest"
    try:
        actions.wait_for(f"http://127.0.0.1:{actions_port}/health", 60)
        rasa.wait_for(f"{base}/health", 240)
        assert _get(f"{base}/ready") == (200, {"ready": True})
        request_id = f"redis-{uuid.uuid4().hex[:12]}"
        sender = f"shared-{uuid.uuid4().hex[:8]}"
        status, answer = _get(f"{base}/webhook", body={
            "sender": sender, "message": "Je veux parler à un conseiller",
            "metadata": {"request_id": request_id}})
        assert status == 200 and answer
        engine = create_engine(tracker_url)
        with engine.connect() as conn:  # the turn is in the shared store
            count = conn.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"),
                                 {"s": sender}).scalar()
        engine.dispose()
        assert count > 0
        proc.kill()  # Redis gone: the instance says it cannot take conversations
        proc.wait(timeout=5)
        status, body = _get(f"{base}/ready")
        assert status == 503 and body["ready"] is False
        assert any("Redis (AMPER_REDIS_URL)" in p for p in body["problems"]), body
    finally:
        rasa.stop()
        actions.stop()
        (PROJECT_ROOT / "var" / "run" / f"endpoints-{rasa_port}.yml").unlink(missing_ok=True)


def test_serve_dispatcher_health_and_readiness(tmp_path):
    port = free_port()
    env = {**_base_env(tmp_path), "AMPER_DISPATCHER_HEALTH_PORT": str(port),
           "AMPER_SECRET": SECRET, "AMPER_INSTANCE": "dispatcher-1"}
    dispatcher = Served("dispatcher", env, tmp_path / "dispatcher.log")
    try:
        dispatcher.wait_for(f"http://127.0.0.1:{port}/health", 60)
        assert _get(f"http://127.0.0.1:{port}/health") == (200, {"status": "ok"})
        deadline = time.monotonic() + 20
        while True:  # ready once it went over the outbox
            status, body = _get(f"http://127.0.0.1:{port}/ready")
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert status == 200 and body["ready"] is True and body["last_pass_s"] >= 0
        assert any(r.get("component") == "dispatcher" and r.get("instance") == "dispatcher-1"
                   for r in dispatcher.records())
    finally:
        dispatcher.stop()
    assert dispatcher.proc.returncode == 0  # SIGTERM: a clean stop
