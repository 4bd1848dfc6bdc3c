"""Forwarding to the sector offices, with real servers on loopback (aiosmtpd, aiohttp), on
SQLite and PostgreSQL: at-least-once delivery, retries, dead letters, crashes, concurrent
dispatchers and bad configuration."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Dict, List
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.adapters.orm import outbox, requests as requests_table
from bot.adapters.planning_import import PlanningRow
from bot.adapters.repository import SqlAlchemyRepository
from bot.service_layer import services
from bot.service_layer.dispatch import Dispatcher, DispatchSettings
from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from tests.integration.fakes_office import (FakeClock, SmtpSink, WebhookReceiver, free_port,
                                            wait_until)

pytestmark = [pytest.mark.timeout(120),
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

PARIS = ZoneInfo("Europe/Paris")
SECRET = "secret-de-test-0123456789"
REPO = Path(__file__).resolve().parents[2]
AMPER = REPO / ".venv" / "bin" / "amper"
if not AMPER.exists():
    AMPER = Path(sys.executable).with_name("amper")

#: in-process passes run on a FakeClock: the delays are the real defaults' order of magnitude
#: and pass by moving the clock; only the attempt timeout is real time
SETTINGS = DispatchSettings(max_attempts=6, backoff_base=30, backoff_max=600, jitter=0.5,
                            attempt_timeout=1.0, lease=3.0, batch_size=10, poll_interval=0.05,
                            config_retry=60)
#: the `amper dispatch` processes run on the real clock
FAST_ENV = {"AMPER_OUTBOX_MAX_ATTEMPTS": "6", "AMPER_OUTBOX_BACKOFF_BASE": "0.05",
            "AMPER_OUTBOX_BACKOFF_MAX": "0.2", "AMPER_OUTBOX_ATTEMPT_TIMEOUT": "1",
            "AMPER_OUTBOX_LEASE": "3", "AMPER_DISPATCH_POLL_INTERVAL": "0.05",
            "AMPER_OUTBOX_CONFIG_RETRY": "0.2"}


# --- fixtures and helpers -------------------------------------------------------------------

@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def hook():
    receiver = WebhookReceiver(SECRET).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def office(url, hook):
    """Nord: e-mail only; Sud: e-mail + webhook to the local receiver."""
    uow = SqlAlchemyUnitOfWork(url)
    services.configure_sector(uow, "Nord", office_email="nord@amper.example")
    services.configure_sector(uow, "Sud", office_email="sud@amper.example",
                              webhook_url=hook.url, webhook_secret=SECRET)
    return url


def make_requests(url, count: int, *, sector: str = "Sud", prefix: str = "R") -> List[str]:
    """``count`` cancellation requests (one client each), recorded now; their references."""
    uow = SqlAlchemyUnitOfWork(url)
    start = datetime.now(PARIS).replace(second=0, microsecond=0) + timedelta(days=5)
    rows = [PlanningRow(line=i + 2, intervention_id=f"{prefix}-{sector}-{i}",
                        client_id=f"{prefix}{sector}{i}", client_name=f"M. Client {i}",
                        sector=sector, caregiver="Marie Curie",
                        start=start + timedelta(hours=i), end=start + timedelta(hours=i + 1),
                        service="Aide au lever") for i in range(count)]
    services.import_rows(uow, rows)
    refs = []
    for i in range(count):
        result = services.create_cancellation_request(
            uow, client_number=f"{prefix}{sector}{i}", intervention_id=f"{prefix}-{sector}-{i}",
            reason="personnel", channel="web", actor=f"client{i}")
        refs.append(result.reference)
    return refs


def outbox_rows(url) -> List[services.OutboxMessage]:
    return services.list_outbox(SqlAlchemyUnitOfWork(url))


def run_once(url, smtp_env: Dict[str, str], settings: DispatchSettings = SETTINGS, *,
             clock: Callable[[], datetime]):
    """One pass of an in-process dispatcher at the time ``clock`` says."""
    return asyncio.run(Dispatcher(url=url, settings=settings, smtp_env=smtp_env,
                                  clock=clock).run_once())


def next_due(url) -> datetime:
    """The earliest ``next_attempt_at`` of the pending messages, in UTC."""
    due = [m.next_attempt_at for m in outbox_rows(url) if m.status == "pending"]
    assert due, "aucun message en attente"
    return min(due).astimezone(timezone.utc)


def drain(url, smtp_env, predicate, *, clock: FakeClock, settings: DispatchSettings = SETTINGS,
          to_next_due: bool = False, max_passes: int = 20):
    """Run passes until ``predicate()`` holds.  Between passes the clock moves on, nothing
    sleeps: by ``backoff_max`` (every failed message is due again), or with ``to_next_due``
    just to the earliest ``next_attempt_at`` (each retry happens when it was scheduled)."""
    for _ in range(max_passes):
        run_once(url, smtp_env, settings, clock=clock)
        if predicate():
            return
        if to_next_due:
            clock.now = max(clock.now, next_due(url))
        else:
            clock.advance(settings.backoff_max)
    raise AssertionError(f"pas fini en {max_passes} passages : " + repr(
        [(m.id, m.status, m.attempts, m.last_error) for m in outbox_rows(url)]))


def all_delivered(url) -> bool:
    rows = outbox_rows(url)
    return bool(rows) and all(m.status == "delivered" for m in rows)


def cli_env(url, extra: Dict[str, str]) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AMPER_SMTP", "AMPER_OUTBOX", "AMPER_MAIL", "AMPER_DISPATCH"))}
    env.pop("AMPER_DEBUG", None)
    env.update(AMPER_DATABASE_URL=url, **extra)
    return env


def amper(url, *args, env: Dict[str, str] = None, timeout: float = 60):
    return subprocess.run([str(AMPER), *args], capture_output=True, text=True, cwd="/",
                          env=cli_env(url, env or {}), timeout=timeout)


def spawn_dispatcher(url, env: Dict[str, str], log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")
    try:
        return subprocess.Popen([str(AMPER), "dispatch"], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd="/", env=cli_env(url, env))
    finally:
        log.close()


def stop(proc: subprocess.Popen, timeout: float = 15) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        raise AssertionError("le répartiteur ne s'est pas arrêté sur SIGTERM")


# --- 1. transactional outbox --------------------------------------------------------------------

def test_request_and_its_messages_are_one_transaction(office, monkeypatch):
    ref = make_requests(office, 1)[0]
    rows = services.list_outbox(SqlAlchemyUnitOfWork(office), reference=ref)
    assert sorted((m.channel, m.idempotency_key, m.status) for m in rows) == [
        ("email", f"{ref}:email", "pending"), ("webhook", f"{ref}:webhook", "pending")]
    nord = make_requests(office, 1, sector="Nord")[0]
    assert [m.channel for m in services.list_outbox(SqlAlchemyUnitOfWork(office),
                                                     reference=nord)] == ["email"]

    def broken(self, *args, **kwargs):
        raise RuntimeError("panne simulée pendant l'écriture du message")

    monkeypatch.setattr(SqlAlchemyRepository, "add_outbox", broken)
    uow = SqlAlchemyUnitOfWork(office)
    with uow:
        before = uow.session.execute(select(func.count()).select_from(requests_table)).scalar_one()
    with pytest.raises(RuntimeError):
        make_requests(office, 1, prefix="X")
    with uow:
        assert uow.session.execute(select(func.count()).select_from(requests_table)).scalar_one() == before
        assert uow.session.execute(select(func.count()).select_from(outbox)).scalar_one() == 3


# --- 2. mixed failures: everything delivered exactly once -----------------------------------------

def test_mixed_failures_every_request_delivered_once(office, smtp, hook):
    refs = make_requests(office, 12)
    refs += make_requests(office, 3, sector="Nord")
    behaviours = [[], ["fail"], ["close"], ["hang"], ["fail", "close", "fail"], ["fail", "fail"]]
    for i, ref in enumerate(refs[:12]):
        hook.plans[f"{ref}:webhook"] = list(behaviours[i % len(behaviours)])
    smtp.fail_next = 5
    for ref in refs:
        status = services.forwarding_status(SqlAlchemyUnitOfWork(office), ref)
        assert not status.forwarded and status.label == "enregistrée, transmission en cours"

    drain(office, smtp.env(), lambda: all_delivered(office), clock=FakeClock())

    webhook_keys = {f"{ref}:webhook" for ref in refs[:12]}
    assert set(hook.accepted) == webhook_keys          # deduplicated view: all, nothing else
    assert all(hook.accept_count[k] == 1 for k in webhook_keys)
    assert hook.overlaps == 0 and hook.bad_signatures == 0
    assert {d["mode"] for d in hook.deliveries} >= {"accept", "fail", "close", "hang"}
    assert smtp.refused == 5
    assert smtp.references() == {ref: 1 for ref in refs}  # one Message-ID per request
    for ref in refs:
        status = services.forwarding_status(SqlAlchemyUnitOfWork(office), ref)
        assert status.forwarded and status.label == "transmise au bureau de secteur"
        assert status.forwarded_at is not None and status.last_error is None
        request = services.get_request(SqlAlchemyUnitOfWork(office), ref)
        assert request.status.value == "forwarded"
        assert [h.to_status.value for h in request.history] == ["received", "forwarded"]
        assert request.history[-1].actor == "répartiteur"
    document = hook.accepted[f"{refs[0]}:webhook"]
    assert document["request"]["reference"] == refs[0]
    assert document["client"]["sector"] == "Sud" and document["decision"]["billable"] is False
    mail = smtp.by_message_id()
    first = next(m[0] for m in mail.values() if m[0]["X-Amper-Reference"] == refs[0])
    assert first["Subject"].startswith(f"[{refs[0]}] Annulation — M. Client 0 — ")
    assert first["To"] == "sud@amper.example"
    assert "Motif : raison personnelle" in first.get_content()


# --- 3. backoff, dead letter, operator retry -------------------------------------------------------

def test_backoff_dead_letter_then_retry(office, smtp, hook):
    refs = make_requests(office, 2)
    keys = [f"{ref}:webhook" for ref in refs]
    for key in keys:
        hook.plans[key] = ["fail"] * 50
    settings = DispatchSettings(max_attempts=3, backoff_base=30, backoff_max=100, jitter=0.5,
                                attempt_timeout=1.0, lease=3.0, poll_interval=0.05)
    clock = hook.clock = FakeClock()  # the receiver notes each attempt at the dispatcher's time

    def dead() -> bool:
        return sum(m.status == "dead" for m in outbox_rows(office)) == 2

    drain(office, smtp.env(), dead, clock=clock, settings=settings, to_next_due=True)
    for key in keys:
        times = [d["at"] for d in hook.attempts_for(key)]
        assert len(times) == 3                       # exactly N attempts, then given up
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
        assert 15 <= gaps[0] <= 30, gaps             # base × (1 − jitter) .. base
        assert 30 <= gaps[1] <= 60, gaps             # doubled
    status = services.forwarding_status(SqlAlchemyUnitOfWork(office), refs[0])
    assert not status.forwarded and status.stalled and "500" in status.last_error

    listed = json.loads(amper(office, "outbox", "list", "--json", "--status", "dead").stdout)
    assert sorted(m["idempotency_key"] for m in listed) == sorted(keys)
    assert all(m["attempts"] == 3 and "a répondu 500" in m["last_error"] for m in listed)
    text = amper(office, "outbox", "list").stdout
    assert "abandonné" in text and "dernière erreur : le webhook" in text

    for key in keys:
        hook.plans[key] = []
    dead_ids = [m["id"] for m in listed]
    out = amper(office, "outbox", "retry", str(dead_ids[0]))
    assert out.returncode == 0 and "remis en file d'envoi" in out.stdout, out.stderr
    out = amper(office, "outbox", "retry", "--all-dead")
    assert out.returncode == 0 and "1 message(s) abandonné(s) remis" in out.stdout
    assert all(m.status == "pending" and m.attempts == 0 for m in outbox_rows(office)
               if m.channel == "webhook")
    out = amper(office, "outbox", "retry", str(dead_ids[0] + 1000))
    assert out.returncode == 1 and "Aucun message n°" in out.stderr

    done = amper(office, "dispatch", "--once", env={**smtp.env(), **FAST_ENV})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 message(s) remis" in done.stdout
    assert set(hook.accepted) == set(keys) and hook.overlaps == 0
    for ref in refs:
        assert services.forwarding_status(SqlAlchemyUnitOfWork(office), ref).forwarded


def test_dispatch_once_exit_code_tells_failure(office, smtp, hook):
    ref = make_requests(office, 1)[0]
    hook.plans[f"{ref}:webhook"] = ["fail"]
    env = {**smtp.env(), **FAST_ENV, "AMPER_OUTBOX_BACKOFF_BASE": "600",
           "AMPER_OUTBOX_BACKOFF_MAX": "600"}
    before = datetime.now(timezone.utc)
    first = amper(office, "dispatch", "--once", env=env)
    after = datetime.now(timezone.utc)
    assert first.returncode == 1
    assert "1 message(s) remis, 1 en échec" in first.stdout
    assert "Échec de l'envoi du message" in first.stderr and "a répondu 500" in first.stderr
    assert "nouvel essai dans" in first.stderr
    [webhook] = [m for m in outbox_rows(office) if m.channel == "webhook"]
    assert webhook.status == "pending" and webhook.attempts == 1
    delay = timedelta(seconds=600)                  # jitter 0.5: from half of it to all of it
    assert before + delay / 2 <= webhook.next_attempt_at <= after + delay

    nothing = amper(office, "dispatch", "--once", env=env)  # within the backoff: nothing due
    assert nothing.returncode == 0 and "Aucun message à envoyer" in nothing.stdout
    assert hook.plans[f"{ref}:webhook"] == [] and len(hook.deliveries) == 1
    later = FakeClock(webhook.next_attempt_at.astimezone(timezone.utc))  # past the backoff
    report = run_once(office, smtp.env(), clock=later)
    assert (report.delivered, report.ok) == (1, True)
    assert services.forwarding_status(SqlAlchemyUnitOfWork(office), ref).forwarded


# --- 4. a dispatcher killed during a delivery ----------------------------------------------------

@pytest.mark.slow  # starts the dispatcher as a process of its own, twice
def test_killed_dispatcher_message_delivered_after_restart(office, smtp, hook, tmp_path):
    ref = make_requests(office, 1)[0]
    key = f"{ref}:webhook"
    hook.plans[key] = ["hang"]
    env = {**smtp.env(), **FAST_ENV, "AMPER_OUTBOX_ATTEMPT_TIMEOUT": "5",
           "AMPER_OUTBOX_LEASE": "6"}
    first = spawn_dispatcher(office, env, tmp_path / "first.log")
    try:
        assert wait_until(lambda: hook.in_flight_for(key) == 1, 20), "aucune livraison en cours"
    finally:
        first.kill()  # SIGKILL in the middle of the delivery
        first.wait(10)
    webhook = next(m for m in outbox_rows(office) if m.channel == "webhook")
    assert webhook.status == "sending" and webhook.lease_owner and webhook.attempts == 1
    assert not services.forwarding_status(SqlAlchemyUnitOfWork(office), ref).forwarded

    second = spawn_dispatcher(office, env, tmp_path / "second.log")
    try:
        assert wait_until(lambda: all_delivered(office), 30), outbox_rows(office)
    finally:
        assert stop(second) == 0
    log = (tmp_path / "second.log").read_text()
    assert "Répartiteur arrêté proprement" in log
    assert set(hook.accepted) == {key} and hook.accept_count[key] == 1 and hook.overlaps == 0
    assert [d["mode"] for d in hook.attempts_for(key)] == ["hang", "accept"]
    webhook = next(m for m in outbox_rows(office) if m.channel == "webhook")
    assert webhook.attempts == 2 and webhook.lease_owner is None
    assert services.forwarding_status(SqlAlchemyUnitOfWork(office), ref).forwarded


# --- 5. two dispatcher processes on the same database ---------------------------------------------

def test_two_dispatchers_never_send_a_message_twice_concurrently(office, smtp, hook, tmp_path):
    refs = make_requests(office, 30)
    hook.accept_delay = 0.05
    env = {**smtp.env(), **FAST_ENV, "AMPER_OUTBOX_BATCH": "4", "AMPER_OUTBOX_LEASE": "20",
           "AMPER_OUTBOX_ATTEMPT_TIMEOUT": "5"}
    procs = [spawn_dispatcher(office, env, tmp_path / f"d{i}.log") for i in range(2)]
    try:
        assert wait_until(lambda: all_delivered(office), 60), outbox_rows(office)
    finally:
        codes = [stop(p) for p in procs]
    assert codes == [0, 0]
    keys = {f"{ref}:webhook" for ref in refs}
    assert hook.overlaps == 0
    assert set(hook.accepted) == keys and all(hook.accept_count[k] == 1 for k in keys)
    assert len(hook.deliveries) == len(keys)
    assert smtp.references() == {ref: 1 for ref in refs}
    assert len(smtp.messages) == len(refs)
    logs = [(tmp_path / f"d{i}.log").read_text() for i in range(2)]
    assert sum(log.count(" remis (") for log in logs) == 2 * len(refs)


# --- 6. bad configuration: clear error, the messages wait ------------------------------------------

@pytest.mark.parametrize("case", ["unknown_host", "wrong_port", "bad_credentials"])
def test_bad_smtp_configuration_messages_wait(office, case):
    ref = make_requests(office, 1, sector="Nord")[0]
    sink = SmtpSink(credentials=("amper", "bon-mot-de-passe")).start()
    try:
        good = sink.env()
        if case == "unknown_host":
            bad, expected = {**good, "AMPER_SMTP_HOST": "smtp.inexistant.invalid"}, \
                "serveur SMTP introuvable : « smtp.inexistant.invalid »"
        elif case == "wrong_port":
            bad, expected = {**good, "AMPER_SMTP_PORT": str(free_port())}, "connexion refusée par 127.0.0.1:"
        else:
            bad, expected = {**good, "AMPER_SMTP_PASSWORD": "mauvais"}, "identifiants SMTP refusés"
        out = amper(office, "dispatch", "--once", env={**bad, **FAST_ENV})
        assert out.returncode == 1
        assert expected in out.stderr, out.stderr
        assert "0 message(s) remis, 1 en échec" in out.stdout
        listing = amper(office, "outbox", "list")
        assert "en attente" in listing.stdout and expected in listing.stdout
        [row] = json.loads(amper(office, "outbox", "list", "--json").stdout)
        assert row["status"] == "pending" and row["attempts"] == 1 and expected in row["last_error"]
        assert services.get_request(SqlAlchemyUnitOfWork(office), ref).status.value == "received"
        assert sink.messages == []

        assert amper(office, "outbox", "retry", str(row["id"])).returncode == 0  # due now
        fixed = amper(office, "dispatch", "--once", env={**good, **FAST_ENV})
        assert fixed.returncode == 0, fixed.stderr
        assert [m[2]["X-Amper-Reference"] for m in sink.messages] == [ref]
        assert services.forwarding_status(SqlAlchemyUnitOfWork(office), ref).forwarded
    finally:
        sink.stop()


@pytest.mark.parametrize("case", ["unknown_host", "wrong_port"])
def test_bad_webhook_address_messages_wait(office, smtp, hook, case):
    port = free_port()
    if case == "unknown_host":
        target, expected = "https://hook.inexistant.invalid/amper", \
            "serveur du webhook introuvable : « hook.inexistant.invalid »"
    else:
        target, expected = f"http://127.0.0.1:{port}/amper", \
            f"connexion refusée par 127.0.0.1:{port} : aucun serveur de webhook"
    services.configure_sector(SqlAlchemyUnitOfWork(office), "Sud", office_email="sud@amper.example",
                              webhook_url=target, webhook_secret=SECRET)
    ref = make_requests(office, 1)[0]
    out = amper(office, "dispatch", "--once", env={**smtp.env(), **FAST_ENV})
    assert out.returncode == 1 and expected in out.stderr, out.stderr
    assert "1 message(s) remis, 1 en échec" in out.stdout
    [row] = json.loads(amper(office, "outbox", "list", "--json", "--status", "pending").stdout)
    assert row["channel"] == "webhook" and row["attempts"] == 1 and expected in row["last_error"]
    assert not services.forwarding_status(SqlAlchemyUnitOfWork(office), ref).forwarded

    services.configure_sector(SqlAlchemyUnitOfWork(office), "Sud", office_email="sud@amper.example",
                              webhook_url=hook.url)  # fixed: the waiting message uses it
    assert amper(office, "outbox", "retry", str(row["id"])).returncode == 0
    assert amper(office, "dispatch", "--once", env={**smtp.env(), **FAST_ENV}).returncode == 0
    assert set(hook.accepted) == {f"{ref}:webhook"}
    assert services.forwarding_status(SqlAlchemyUnitOfWork(office), ref).forwarded


def test_receiver_refuses_a_replayed_or_unstamped_delivery(hook):
    """The documented receiver check (verify_signature), in the test office's receiver."""
    import hashlib
    import hmac
    import time
    import urllib.error
    import urllib.request

    from bot.adapters.notifications import webhook_body, webhook_headers

    def post(body: bytes, headers: Dict[str, str]) -> int:
        request = urllib.request.Request(hook.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    sent = datetime.now(timezone.utc)
    key = "AMP-2026-000001:webhook"
    body = webhook_body({"reference": "AMP-2026-000001"}, key, sent)
    headers = webhook_headers(SECRET, body, key, sent)
    assert post(body, headers) == 200
    hook.wall_clock = lambda: time.time() + 301       # the same bytes, 5 min later
    assert post(body, headers) == 401
    hook.wall_clock = time.time
    unstamped = dict(headers, **{"X-Amper-Signature": "sha256=" + hmac.new(
        SECRET.encode(), body, hashlib.sha256).hexdigest()})  # the body alone, signed
    assert post(body, unstamped) == 401
    assert hook.bad_signatures == 2 and hook.accept_count[key] == 1


def test_sector_without_address_waits_until_configured(url, smtp):
    ref = make_requests(url, 1, sector="Est")[0]  # created by the planning import, no e-mail
    clock = FakeClock()
    report = run_once(url, {}, clock=clock)        # and no SMTP server configured either
    assert report.waiting == 1 and not report.ok
    [message] = outbox_rows(url)
    assert message.status == "pending" and message.attempts == 0
    assert "aucune adresse e-mail configurée pour le secteur Est" in message.last_error
    listing = amper(url, "outbox", "list")
    assert "aucune adresse e-mail configurée pour le secteur Est" in listing.stdout
    assert "AUCUNE ADRESSE" in amper(url, "sector", "list").stdout

    out = amper(url, "sector", "set", "Est", "--email", "est@amper.example", "--phone", "01 02 03 04 05")
    assert out.returncode == 0 and "Secteur « Est » enregistré" in out.stdout
    retry = SETTINGS.config_retry
    assert run_once(url, {}, clock=clock.advance(retry - 1)).total == 0  # checked again later...
    report = run_once(url, {}, clock=clock.advance(1))                  # ...after config_retry
    assert report.waiting == 1
    assert "serveur SMTP non configuré : définissez AMPER_SMTP_HOST" in outbox_rows(url)[0].last_error
    assert run_once(url, smtp.env(), clock=clock.advance(retry)).delivered == 1
    assert [m[1] for m in smtp.messages] == [["est@amper.example"]]
    assert services.forwarding_status(SqlAlchemyUnitOfWork(url), ref).forwarded


def test_sector_set_validates_in_french(url):
    bad = amper(url, "sector", "set", "Nord", "--email", "pas-une-adresse")
    assert bad.returncode == 1 and "Adresse e-mail invalide" in bad.stderr
    bad = amper(url, "sector", "set", "Nord", "--email", "n@amper.fr", "--webhook", "ftp://x")
    assert bad.returncode == 1 and "Adresse de webhook invalide" in bad.stderr
    bad = amper(url, "sector", "set", "Nord", "--email", "n@amper.fr", "--webhook",
                "http://bureau-nord.example/hook")
    assert bad.returncode == 1 and "https:// obligatoire" in bad.stderr
    bad = amper(url, "sector", "set", "Nord", "--email", "n@amper.fr", "--webhook", "https://h.fr/x")
    assert bad.returncode == 1 and "--webhook-secret-env" in bad.stderr
    bad = amper(url, "sector", "set", "Nord", "--email", "n@amper.fr", "--webhook",
                "https://h.fr/x", "--webhook-secret", SECRET)  # on the command line: refused
    assert bad.returncode == 1 and "plus sur la ligne de commande" in bad.stderr
    bad = amper(url, "sector", "set", "Nord", "--email", "n@amper.fr", "--webhook",
                "https://h.fr/x", "--webhook-secret-env", "SECRET_NORD",
                env={"SECRET_NORD": "court"})
    assert bad.returncode == 1 and "16 à 200 caractères" in bad.stderr
    ok = amper(url, "sector", "set", "Nord", "--email", "n@amper.fr", "--webhook",
               "https://h.fr/x", "--webhook-secret-env", "SECRET_NORD", env={"SECRET_NORD": SECRET})
    assert ok.returncode == 0 and SECRET not in ok.stdout + ok.stderr
    assert services.list_sectors(SqlAlchemyUnitOfWork(url))[0].webhook_secret == SECRET
    bad = amper(url, "outbox", "list", "--status", "perdu")
    assert bad.returncode == 1 and "Statut d'envoi inconnu" in bad.stderr
    bad = amper(url, "outbox", "retry")
    assert bad.returncode == 1 and "--all-dead" in bad.stderr
    bad = amper(url, "dispatch", "--once", env={"AMPER_OUTBOX_MAX_ATTEMPTS": "zéro"})
    assert bad.returncode == 1 and "AMPER_OUTBOX_MAX_ATTEMPTS invalide" in bad.stderr
