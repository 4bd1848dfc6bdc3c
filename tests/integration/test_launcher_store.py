"""`make run` prepares the booking store: schema, then the demo planning only when empty."""
from __future__ import annotations

from bot.entrypoints import launcher


def test_demo_planning_is_loaded_once_into_an_empty_store(tmp_path, monkeypatch):
    monkeypatch.setenv("AMPER_DATABASE_URL", f"sqlite:///{tmp_path / 'amper.db'}")
    first = launcher._prepare_store()
    assert first and "planning de démonstration chargé" in first
    assert launcher._prepare_store() is None  # not reloaded over existing data


def test_local_secret_is_generated_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("AMPER_SECRET", raising=False)
    secret = launcher.local_secret(tmp_path)
    assert len(secret) >= 32
    assert launcher.local_secret(tmp_path) == secret
    assert (tmp_path / "secret").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("AMPER_SECRET", "from-the-environment")
    assert launcher.local_secret(tmp_path) == "from-the-environment"
