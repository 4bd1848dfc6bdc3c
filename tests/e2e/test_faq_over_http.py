"""End to end: real Rasa and action servers on loopback, French answers over HTTP."""
from __future__ import annotations

import sqlite3

from tests.e2e.conftest import Client, make_stack


def _listening_addresses(port: int) -> set:
    """Local addresses with a socket listening on ``port`` (from /proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                found.add(address)
    return found


def test_servers_listen_on_loopback_only(stack):
    loopback = {"0100007F"}  # 127.0.0.1, little-endian hex
    for port in (stack.config.rasa_port, stack.config.actions_port):
        addresses = _listening_addresses(port)
        assert addresses, f"nothing listens on {port}"
        assert addresses <= loopback, f"port {port} listens on {addresses}"


def test_the_rasa_server_gets_the_measured_memory_settings(stack):
    pid = stack.procs["rasa"].pid
    with open(f"/proc/{pid}/environ", "rb") as f:
        env = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
    assert env.get(b"MALLOC_ARENA_MAX") == b"2"
    assert env.get(b"TF_ENABLE_ONEDNN_OPTS") == b"0"
    assert env.get(b"RASA_TELEMETRY_ENABLED") == b"false"


def test_cesu_question_gets_the_payment_facts(client):
    text = client.text("je peux payer en CESU ?")
    for fact in ("prélèvement automatique", "chèque bancaire", "CESU", "préfinancés"):
        assert fact in text


def test_greeting_says_it_is_an_automated_assistant(client):
    text = client.text("Bonjour")
    assert "assistant automatique" in text and "pas une personne" in text


def test_out_of_scope_is_declined_politely(client):
    text = client.text("quel temps fera-t-il demain à Lyon ?")
    assert "sort de ce que je sais traiter" in text


def test_human_handoff_gives_the_office_contact(client):
    text = client.text("je voudrais parler à quelqu'un")
    assert "01 99 88 77 66" in text


def test_faq_button_payload_answers_that_entry(client):
    text = client.text("faq:invoices")
    assert "Dôme" in text and "e-mail" in text


def test_conversation_is_stored_in_the_sql_tracker_store(stack, client):
    client.text("Bonjour")
    db = stack.config.var_dir / "tracker.db"
    with sqlite3.connect(db) as conn:
        count = conn.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (client.sender,)).fetchone()[0]
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert count > 0
    assert journal == "wal"  # our tracker store (bot/adapters/tracker_store.py), not a fallback


def test_a_restart_keeps_the_conversation(model_path, tmp_path):
    """Stop and start the servers on the same tracker database: the history is still there."""
    first = make_stack(model_path, tmp_path)
    first.start()
    try:
        client = Client(first)
        client.text("Bonjour")
    finally:
        first.stop()
    second = make_stack(model_path, tmp_path)
    second.start()
    try:
        again = Client(second)
        again.sender = client.sender
        again.text("merci")
        with sqlite3.connect(tmp_path / "tracker.db") as conn:
            texts = [row[0] for row in conn.execute(
                "SELECT json_extract(data, '$.text') FROM events WHERE sender_id = ? AND type_name = 'user'",
                (client.sender,),
            )]
        assert texts == ["Bonjour", "merci"]
    finally:
        second.stop()


def test_a_question_on_two_topics_gets_both_answers(client):
    """« Toujours la même ? Et si elle est malade ? »: both entries, not one guess."""
    replies = client.say("Toujours la même intervenante ? Et si elle est en congé, qui vient ?")
    text = " ".join(r.get("text", "") for r in replies)
    assert "deux sujets" in text
    assert "intervenant unique" in text                      # faq/same_caregiver
    assert "remplaçons par un intervenant qualifié" in text  # faq/caregiver_absent
    assert not any(r.get("buttons") for r in replies)        # answered, not "Vouliez-vous dire"


def test_the_answer_names_the_intent_for_the_gateway_s_feedback(stack):
    """The X-Amper-Intent header (bot/entrypoints/rasa_channel.py): the FAQ entry's key for
    an FAQ answer, the intent's name otherwise; never the text."""
    import json
    import urllib.request

    def intent_of(sender: str, message: str) -> str:
        body = json.dumps({"sender": sender, "message": message}).encode("utf-8")
        request = urllib.request.Request(stack.config.rest_url, data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.headers.get("X-Amper-Intent", "")

    assert intent_of("intent-1", "je peux payer en CESU ?").startswith("faq/")
    assert intent_of("intent-1", "bonjour") == "greet"
