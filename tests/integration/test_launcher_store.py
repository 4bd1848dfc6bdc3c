"""`amper run` prepares the booking store: schema, then the demo planning only in demo mode
(AMPER_DEMO=1, set by `make run`) and only into an empty store; a production start refuses
a short secret or a demo login with the public password, before any server starts."""
from __future__ import annotations

import argparse

import pytest

from bot.domain.errors import InvalidInput
from bot.entrypoints import launcher
from bot.service_layer import services
from bot.service_layer.demo import DEMO, DEMO_PASSWORD, EMPTY, OTHER, load_demo_data, store_contents
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from bot.adapters.planning_import import PlanningRow

GOOD_SECRET = "production-secret-0123456789-abcdefghij"


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'amper.db'}"
    monkeypatch.setenv("AMPER_DATABASE_URL", url)
    monkeypatch.delenv("AMPER_DEMO", raising=False)
    monkeypatch.delenv("AMPER_SECRET", raising=False)
    return url


def _real_planning(url) -> None:
    from datetime import datetime, timedelta, timezone

    start = datetime.now(timezone.utc) + timedelta(days=3)
    services.import_rows(SqlAlchemyUnitOfWork(url), [PlanningRow(
        line=2, intervention_id="P-1", client_id="42", client_name="M. Réel", sector="Est",
        caregiver="Ana", start=start, end=start + timedelta(hours=1), service="Ménage")])


def test_demo_planning_is_loaded_once_into_an_empty_store(store, monkeypatch):
    monkeypatch.setenv("AMPER_DEMO", "1")
    first = launcher._prepare_store()
    assert first and "planning de démonstration chargé" in first
    assert launcher._prepare_store() is None  # not reloaded over existing data
    assert store_contents(SqlAlchemyUnitOfWork(store)) == DEMO


def test_no_demo_without_amper_demo(store):
    note = launcher._prepare_store()
    assert "aucune donnée de démonstration" in note
    assert store_contents(SqlAlchemyUnitOfWork(store)) == EMPTY
    assert services.authenticate(SqlAlchemyUnitOfWork(store), "client1001", "amper-demo") is None


def test_demo_refused_on_a_store_with_other_data(store, monkeypatch):
    launcher._prepare_store()  # schema only
    _real_planning(store)
    uow = SqlAlchemyUnitOfWork(store)
    assert store_contents(uow) == OTHER
    monkeypatch.setenv("AMPER_DEMO", "1")
    note = launcher._prepare_store()
    assert "d'autres données" in note and "n'est pas chargé" in note
    with uow:
        assert uow.repo.count_interventions() == 1
    with pytest.raises(InvalidInput) as refused:  # `amper demo-data` says this, exit 1
        load_demo_data(uow)
    assert "Données de démonstration refusées" in refused.value.message
    assert services.authenticate(uow, "client1001", "amper-demo") is None


def test_demo_reload_over_the_demo_is_idempotent(store):
    launcher._prepare_store()
    uow = SqlAlchemyUnitOfWork(store)
    first = load_demo_data(uow)
    second = load_demo_data(uow)  # `amper demo-data` twice: accepted, same data
    with uow:
        assert uow.repo.count_interventions() == first.interventions == second.interventions
    assert store_contents(uow) == DEMO


def test_local_secret_is_generated_once_and_private_in_demo_mode(tmp_path, monkeypatch):
    monkeypatch.delenv("AMPER_SECRET", raising=False)
    monkeypatch.setenv("AMPER_DEMO", "1")
    secret = launcher.local_secret(tmp_path)
    assert len(secret) >= 32
    assert launcher.local_secret(tmp_path) == secret
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("AMPER_SECRET", "from-the-environment")
    assert launcher.local_secret(tmp_path) == "from-the-environment"


def test_no_local_secret_in_production(tmp_path, monkeypatch):
    monkeypatch.delenv("AMPER_SECRET", raising=False)
    monkeypatch.delenv("AMPER_DEMO", raising=False)
    with pytest.raises(launcher.settings.SettingsError) as refused:
        launcher.local_secret(tmp_path)
    assert "AMPER_SECRET manquant" in refused.value.message
    assert not (tmp_path / "secret").exists()


def _run(capsys, monkeypatch, tmp_path):
    """launcher.run, stopped just before the servers would start."""
    started = []
    monkeypatch.setattr(launcher.signal, "signal", lambda *_args: None)  # keep pytest's Ctrl-C
    monkeypatch.setattr(launcher.Stack, "start", lambda self: started.append(self) or
                        (_ for _ in ()).throw(launcher.StartupError("arrêt du test")))
    code = launcher.run(argparse.Namespace(rasa_port=None, actions_port=None,
                                           model=tmp_path / "m.tar.gz"))
    out = capsys.readouterr()
    return code, out.out + out.err, started


@pytest.mark.parametrize("secret", [None, "trop-court-0123456789"])
def test_production_start_refuses_a_missing_or_short_secret(store, secret, monkeypatch, capsys,
                                                            tmp_path):
    if secret:
        monkeypatch.setenv("AMPER_SECRET", secret)
    code, output, started = _run(capsys, monkeypatch, tmp_path)
    assert code == 2 and not started
    assert "AMPER_SECRET" in output and "32" in output


def test_production_start_refuses_demo_passwords(store, monkeypatch, capsys, tmp_path):
    launcher._prepare_store(demo=False)
    uow = SqlAlchemyUnitOfWork(store)
    load_demo_data(uow, password="un-vrai-mot-de-passe")  # demo logins, passwords changed...
    services.set_account(uow, "client1004", DEMO_PASSWORD, "client", "1004")  # ...but two
    services.set_account(uow, "bureau.sud", DEMO_PASSWORD, "staff")
    monkeypatch.setenv("AMPER_SECRET", GOOD_SECRET)
    [problem] = launcher.production_problems(uow)
    assert "2 compte(s)" in problem and "client1004, bureau.sud" in problem
    code, output, started = _run(capsys, monkeypatch, tmp_path)
    assert code == 2 and not started and "mot de passe public de démonstration" in output


def test_production_start_with_a_good_secret_reaches_the_servers(store, monkeypatch, capsys,
                                                                 tmp_path):
    monkeypatch.setenv("AMPER_SECRET", GOOD_SECRET)
    launcher._prepare_store(demo=False)
    assert launcher.production_problems(SqlAlchemyUnitOfWork(store)) == []
    code, output, started = _run(capsys, monkeypatch, tmp_path)
    assert code == 1 and "arrêt du test" in output and len(started) == 1
    assert started[0].config.env["AMPER_SECRET"] == GOOD_SECRET
    assert "importez le planning" in output  # empty store, no demo in production


def test_every_child_process_runs_without_rasa_telemetry(tmp_path, monkeypatch):
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "true")  # the caller's environment says on
    envs = {}

    class FakePopen:
        def __init__(self, argv, env, **_kwargs):
            name = "rasa" if "rasa_server" in " ".join(argv) else (
                "dispatcher" if "dispatch" in argv else "actions")
            envs[name] = env
            self.pid, self.returncode = 0, None

        def poll(self):
            return None

    model = tmp_path / "amper.tar.gz"
    model.write_bytes(b"")
    monkeypatch.setattr(launcher.subprocess, "Popen", FakePopen)
    monkeypatch.setattr(launcher.Stack, "_wait_until_up", lambda self: None)
    stack = launcher.Stack(launcher.StackConfig(model=model, var_dir=tmp_path / "var",
                                                env={"RASA_TELEMETRY_ENABLED": "true"}))
    stack.start()
    assert set(envs) == {"rasa", "actions", "dispatcher"}
    assert all(env["RASA_TELEMETRY_ENABLED"] == "false" for env in envs.values()), envs


def test_the_terminal_chat_uses_the_running_assistants_key(tmp_path, monkeypatch):
    """`amper chat --client` in another terminal (no AMPER_DEMO there) signs with the key of
    the demonstration `make run` started; in production, AMPER_SECRET or the French refusal."""
    from bot import settings
    from bot.entrypoints.production import chat_secret

    monkeypatch.delenv("AMPER_DEMO", raising=False)
    monkeypatch.delenv("AMPER_SECRET", raising=False)
    with pytest.raises(settings.SettingsError, match="AMPER_SECRET manquant"):
        chat_secret(tmp_path)
    assert not (tmp_path / "secret").exists()  # production never writes a key
    (tmp_path / "secret").write_text("demo-key-written-by-make-run-0123456789\n", encoding="utf-8")
    assert chat_secret(tmp_path) == "demo-key-written-by-make-run-0123456789"
    monkeypatch.setenv("AMPER_SECRET", GOOD_SECRET)
    assert chat_secret(tmp_path) == GOOD_SECRET
