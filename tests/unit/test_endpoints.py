"""Rasa's endpoints file from the settings (bot/entrypoints/endpoints.py): the same function
for ``amper run`` and ``amper serve rasa``; SQLite, PostgreSQL and Redis variants."""
from __future__ import annotations

import argparse
import stat

import pytest
import yaml

from bot.entrypoints import endpoints, serve
from bot.entrypoints.endpoints import endpoints_config, lock_store_config, tracker_config
from bot.entrypoints.launcher import Stack, StackConfig
from bot.settings import PROJECT_ROOT

STORE = "bot.adapters.tracker_store.AmperSQLTrackerStore"


def test_sqlite_tracker_relative_to_the_project_or_absolute(tmp_path):
    assert tracker_config("sqlite:///var/tracker.db") == {
        "type": STORE, "dialect": "sqlite", "db": str(PROJECT_ROOT / "var" / "tracker.db")}
    assert tracker_config(f"sqlite:///{tmp_path}/t.db")["db"] == f"{tmp_path}/t.db"


def test_postgresql_tracker_as_rasa_reads_it():
    config = tracker_config("postgresql+psycopg2://amper:s%40cret@10.0.0.5:5433/conversations"
                            "?sslmode=require")
    assert config == {"type": STORE, "dialect": "postgresql+psycopg2", "url": "10.0.0.5",
                      "port": 5433, "db": "conversations", "username": "amper",
                      "password": "s@cret", "query": {"sslmode": "require"}}
    # Rasa builds the engine's URL from these (SQLTrackerStore.get_db_url, host = url)
    from rasa.core.tracker_store import SQLTrackerStore

    url = SQLTrackerStore.get_db_url(config["dialect"], config["url"], config["port"],
                                     config["db"], config["username"], config["password"],
                                     query=config["query"])
    assert url.render_as_string(hide_password=False) == (
        "postgresql+psycopg2://amper:s%40cret@10.0.0.5:5433/conversations?sslmode=require")


@pytest.mark.parametrize("url, expected", [
    ("redis://10.0.0.9:6379/2", {"url": "10.0.0.9", "port": 6379, "db": 2}),
    ("redis://127.0.0.1", {"url": "127.0.0.1", "port": 6379, "db": 0}),
    ("redis://:p%40ss@redis.lan:6380/0", {"url": "redis.lan", "port": 6380, "db": 0,
                                          "password": "p@ss"}),
    ("rediss://user:pw@r.lan/1", {"url": "r.lan", "port": 6379, "db": 1, "username": "user",
                                  "password": "pw", "use_ssl": True}),
])
def test_redis_lock_store(url, expected):
    assert lock_store_config(url) == {"type": "redis", "key_prefix": "amper", **expected}


def test_no_redis_no_lock_store_section_and_a_unix_socket_is_refused():
    assert lock_store_config("") is None
    assert "lock_store" not in endpoints_config(actions_url="http://a/webhook",
                                                tracker_url="sqlite:///var/tracker.db")
    with pytest.raises(ValueError, match="redis://"):
        lock_store_config("unix:///run/redis.sock")


def test_the_endpoints_keep_the_template_and_take_the_settings():
    config = endpoints_config(actions_url="http://10.0.0.7:5055/webhook",
                              tracker_url="postgresql://u@db/amper",
                              redis_url="redis://10.0.0.9:6379/0")
    assert config["action_endpoint"] == {"url": "http://10.0.0.7:5055/webhook"}
    assert config["tracker_store"]["dialect"] == "postgresql"
    assert config["lock_store"]["type"] == "redis"
    from rasa.core.lock_store import RedisLockStore  # Rasa accepts every key we write

    import inspect
    accepted = set(inspect.signature(RedisLockStore.__init__).parameters)
    assert set(config["lock_store"]) - {"type", "url"} <= accepted


def test_the_file_is_private(tmp_path):
    path = endpoints.write_endpoints(tmp_path / "run" / "e.yml", {"a": "é"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == {"a": "é"}


def test_the_launcher_writes_the_same_as_before(tmp_path):
    """``make run``: the SQLite file under the stack's var, in-memory lock, loopback actions."""
    stack = Stack(StackConfig(rasa_port=5999, actions_port=5998, var_dir=tmp_path))
    path = stack.write_endpoints()
    assert path == tmp_path / "run" / "endpoints-5999.yml"
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert written["action_endpoint"] == {"url": "http://127.0.0.1:5998/webhook"}
    assert written["tracker_store"] == {"type": STORE, "dialect": "sqlite",
                                        "db": str(tmp_path / "tracker.db")}
    assert "lock_store" not in written
    assert stack.tracker_url == f"sqlite:///{tmp_path / 'tracker.db'}"


def test_serve_rasa_renders_from_the_settings(monkeypatch, tmp_path):
    model = tmp_path / "m.tar.gz"
    model.write_bytes(b"")
    monkeypatch.setenv("AMPER_TRACKER_URL", "postgresql+psycopg2://u:pw@10.0.0.5/conv")
    monkeypatch.setenv("AMPER_REDIS_URL", "redis://10.0.0.9:6379/3")
    monkeypatch.setenv("AMPER_ACTIONS_URL", "http://10.0.0.7:5055/webhook")
    monkeypatch.setenv("AMPER_RASA_HOST", "10.0.0.4")
    monkeypatch.setenv("AMPER_RASA_PORT", "5997")
    monkeypatch.setattr(serve, "PROJECT_ROOT", tmp_path)
    argv, env, path = serve.rasa_command(argparse.Namespace(interface=None, port=None,
                                                            model=model))
    assert argv[argv.index("-i") + 1] == "10.0.0.4" and argv[argv.index("-p") + 1] == "5997"
    assert "--enable-api" not in argv and env["RASA_TELEMETRY_ENABLED"] == "false"
    # one thread per numeric library unless the operator chose (bench_cluster's finding)
    assert env["OPENBLAS_NUM_THREADS"] == "1" and env["TF_INTRA_OP_PARALLELISM_THREADS"] == "1"
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert serve.rasa_command(argparse.Namespace(interface=None, port=None, model=model))[1][
        "OMP_NUM_THREADS"] == "2"
    written = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert written["lock_store"]["db"] == 3 and written["tracker_store"]["url"] == "10.0.0.5"
    assert written["action_endpoint"]["url"] == "http://10.0.0.7:5055/webhook"
    argv, _, _ = serve.rasa_command(argparse.Namespace(interface="127.0.0.1", port=6000,
                                                       model=model))
    assert argv[argv.index("-i") + 1] == "127.0.0.1" and argv[argv.index("-p") + 1] == "6000"


def test_serve_rasa_without_a_model_says_so(tmp_path):
    from bot.domain.errors import ServiceError

    with pytest.raises(ServiceError, match="make train"):
        serve.rasa_command(argparse.Namespace(interface=None, port=None,
                                              model=tmp_path / "none.tar.gz"))


@pytest.mark.parametrize("peer, listening, allowed", [
    ("127.0.0.1", "127.0.0.1", True),
    ("10.0.0.8", "127.0.0.1", False),     # one machine: loopback only
    ("10.0.0.8", "10.0.0.4", True),       # several machines: the private network's gateways
    ("192.168.1.20", "10.0.0.4", True),
    ("8.8.8.8", "10.0.0.4", False),       # never a public peer
    ("not an ip", "10.0.0.4", False),
])
def test_the_answers_route_serves_the_private_network_only_when_rasa_listens_there(
        peer, listening, allowed):
    from bot.entrypoints.rasa_answers import allowed_peer

    assert allowed_peer(peer, listening) is allowed
