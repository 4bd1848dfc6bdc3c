"""End to end: after a real hospitalisation cancellation over HTTP, the conversation store
(the stack's SQLite tracker file, ``<var_dir>/tracker.db`` and its write-ahead log) holds
neither the client's token nor what they wrote about their health (issue 19).

Rasa reads the conversation back from that store at every message, so the conversation
reaching its recorded request also shows that the redacted history is enough to go on.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.e2e.conftest import Client
from tests.e2e.test_requests_over_http import (
    button, import_planning, requests_of, texts, token,
)

SENTENCE = "je suis hospitalisée pour mon cancer"
CLIENT = {"3901": "Mme Privat"}


@pytest.fixture(scope="module")
def planning(stack, tmp_path_factory):
    starts, _ = import_planning(stack.config.env["AMPER_DATABASE_URL"], CLIENT,
                                {"24H": timedelta(hours=24)},
                                tmp_path_factory.mktemp("privacy"))
    return starts


def tracker_bytes(stack) -> bytes:
    files = sorted(stack.config.var_dir.glob("tracker.db*"))
    assert files, f"no tracker database under {stack.config.var_dir}"
    return b"".join(p.read_bytes() for p in files)


def stored_forms(text: str) -> list:
    return [text.encode("utf-8"), json.dumps(text)[1:-1].encode("utf-8")]


def test_a_hospitalisation_cancellation_leaves_no_token_nor_health_text_at_rest(stack, planning):
    client, auth = Client(stack), token("3901")
    said = client.say("Je ne serai pas là demain, merci d'annuler", auth)
    assert "Pour quelle raison" in texts(said)
    said = client.say(SENTENCE, auth)
    assert "justificatif médical" in texts(said) and "Confirmez-vous" in texts(said)
    said = client.say(button(said, "Oui"), auth)
    [row] = requests_of(stack, "3901")
    assert row["reason_category"] == "hospitalisation" and row["exemption_pending"] is True
    assert row["reference"] in texts(said)

    raw = tracker_bytes(stack)
    assert client.sender.encode() in raw  # the conversation is there…
    assert b"[motif : hospitalisation]" in raw
    for secret in (auth, SENTENCE, "cancer", "hospitalisée"):  # …but not these
        for form in stored_forms(secret):
            assert form not in raw, secret
