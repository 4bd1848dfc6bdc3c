"""Dispatcher: delivers the outbox to the sector offices, at least once, never losing one.

    dispatcher = Dispatcher.from_env()            # AMPER_DATABASE_URL, AMPER_SMTP_*, AMPER_OUTBOX_*
    report = asyncio.run(dispatcher.run_once())   # what is due now, then return
    asyncio.run(dispatcher.run_forever(stop))     # until ``stop`` (asyncio.Event) is set

Cycle of one message (table ``outbox``, see docs/forwarding.md):

1. **claim** — one short transaction leases up to ``batch_size`` due messages to a fresh
   owner token: ``status='sending'``, ``lease_owner``, ``lease_until``, ``attempts + 1``
   (:meth:`SqlAlchemyRepository.claim_outbox`; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
   a serialised conditional UPDATE on SQLite).  Two dispatchers never hold the same message.
2. **deliver** — e-mail (SMTP in a worker thread) or webhook (aiohttp), each bounded by
   ``attempt_timeout``; messages of a batch are sent concurrently.
3. **record** — delivered: ``delivered_at``, and the request (or callback request) moves
   ``received → forwarded`` in the same transaction once all its messages are delivered.  Failed: ``last_error``,
   ``next_attempt_at = now + backoff`` (exponential, with jitter), ``dead`` after
   ``max_attempts``.  Missing configuration (no office address, no SMTP server...): the
   message waits (``pending``, attempt not counted, retried every ``config_retry`` s).

A dispatcher killed during step 2 leaves the message ``sending`` with a lease that expires
after ``lease`` seconds; any dispatcher then takes it again.  The receiver may thus get a
message twice (never at the same time): the idempotency key (``Idempotency-Key`` header,
e-mail ``Message-ID``) lets it drop the duplicate.

This module is the loop; its settings and retry policy are in
:mod:`bot.service_layer.dispatch_settings`, the report of a pass in
:mod:`bot.service_layer.outbox_report`, the e-mail and webhook in
:mod:`bot.adapters.notifications`.  The names callers use are importable from here.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Callable, List, Mapping, Optional

from bot.adapters import notifications
from bot.adapters.notifications import DeliveryError, NotificationConfigError, SmtpSettings
from bot.domain.errors import StoreUnavailable
from bot.domain.model import OutboxChannel, RequestStatus
from bot.service_layer.claimed import Claimed
from bot.service_layer.dispatch_settings import (
    DispatchConfigError, DispatchSettings, backoff_delay)
from bot.service_layer.outbox_report import DispatchReport, seconds_fr
from bot.service_layer.services.privacy import purge
from bot.service_layer.unit_of_work import AbstractUnitOfWork, SqlAlchemyUnitOfWork

__all__ = ["Claimed", "DispatchConfigError", "DispatchReport", "DispatchSettings", "Dispatcher",
           "backoff_delay", "run_dispatcher"]

log = logging.getLogger("amper.dispatch")
ACTOR = "répartiteur"
#: The store's retention (docs/privacy.md) runs at start, then every 24 h (1 h after a failure).
PURGE_EVERY, PURGE_RETRY = 24 * 3600.0, 3600.0


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


# --- the messages ----------------------------------------------------------------------------

# --- the dispatcher ---------------------------------------------------------------------------

class Dispatcher:
    def __init__(self, *, url: Optional[str] = None, settings: Optional[DispatchSettings] = None,
                 smtp_env: Optional[Mapping[str, str]] = None,
                 clock: Callable[[], datetime] = _utcnow, rng: Optional[random.Random] = None,
                 name: Optional[str] = None,
                 uow_factory: Optional[Callable[[], AbstractUnitOfWork]] = None,
                 conversations=None, office_url: str = ""):
        self.url = url
        #: the gateway's public address: the office's e-mail links to /bureau/demande/<ref>
        self.office_url = office_url
        #: the store's units of work (tests may give the in-memory fake)
        self._uow = uow_factory or (lambda: SqlAlchemyUnitOfWork(self.url))
        self.settings = settings or DispatchSettings()
        self.clock = clock
        self.rng = rng or random.Random()
        self.name = name or f"{socket.gethostname()[:40]}:{os.getpid()}"
        self.smtp: Optional[SmtpSettings] = None
        self.smtp_problem: Optional[NotificationConfigError] = None
        try:
            self.smtp = SmtpSettings.from_env(smtp_env, timeout=self.settings.attempt_timeout)
        except NotificationConfigError as problem:
            self.smtp_problem = problem
        self._executor: Optional[ThreadPoolExecutor] = None
        self._http = None
        self._next_purge = 0.0  # event-loop time of the next retention purge
        #: Rasa's conversation store, purged with the booking store (None: the store only)
        self.conversations = conversations

    @classmethod
    def from_env(cls, url: Optional[str] = None, conversations=None) -> "Dispatcher":
        from bot import settings as app_settings

        return cls(url=url, settings=DispatchSettings.from_env(), conversations=conversations,
                   office_url=app_settings.web().public_url)

    # -- database steps (blocking; run in a thread) --------------------------------------
    def claim(self, due_before: Optional[datetime] = None) -> List[Claimed]:
        now = self.clock()
        owner = f"{self.name}:{uuid.uuid4().hex[:12]}"[:100]
        with self._uow() as uow:
            rows = uow.repo.claim_outbox(
                now=now, due_before=due_before or now, owner=owner,
                lease_until=now + timedelta(seconds=self.settings.lease_seconds),
                limit=self.settings.batch_size, max_attempts=self.settings.max_attempts)
            uow.commit()
        return [Claimed(id=r.id, request_id=r.request_id, reference=r.reference,
                        channel=r.channel, payload=r.payload, attempts=r.attempts,
                        idempotency_key=r.idempotency_key, owner=owner, sector=r.sector_name,
                        office_email=r.office_email, webhook_url=r.webhook_url,
                        webhook_secret=r.webhook_secret, callback_id=r.callback_id,
                        client_email=r.client_email)
                for r in rows]

    def record_delivered(self, message: Claimed) -> bool:
        """Mark delivered; the request (or callback) becomes ``forwarded`` (same
        transaction) once all its messages are delivered.  Returns True when it was
        forwarded just now."""
        now = self.clock()
        with self._uow() as uow:
            uow.repo.outbox_delivered(message.id, now)
            forwarded = False
            if message.channel == OutboxChannel.CLIENT_EMAIL.value:
                pass  # the office's decision told to the client: nothing to forward
            elif message.callback_id is not None:
                forwarded = uow.callbacks.undelivered_count(message.callback_id) == 0 and \
                    uow.callbacks.update_status_if(message.callback_id, RequestStatus.RECEIVED,
                                                   RequestStatus.FORWARDED)
            elif uow.repo.undelivered_count(message.request_id) == 0:
                forwarded = uow.repo.update_request_status_if(
                    message.request_id, RequestStatus.RECEIVED, RequestStatus.FORWARDED, now)
                if forwarded:
                    uow.repo.add_history(message.request_id, now, ACTOR, RequestStatus.RECEIVED,
                                         RequestStatus.FORWARDED,
                                         "transmise au bureau de secteur")
            uow.commit()
        return forwarded

    def record_failure(self, message: Claimed, error: str, waiting: bool = False) -> str:
        """Returns 'waiting', 'failed' or 'dead' (or 'lost' if the lease was taken over)."""
        now = self.clock()
        if waiting:
            outcome, attempts = "waiting", max(message.attempts - 1, 0)
            next_at = now + timedelta(seconds=self.settings.config_retry)
        elif message.attempts >= self.settings.max_attempts:
            outcome, attempts, next_at = "dead", message.attempts, now
        else:
            outcome, attempts = "failed", message.attempts
            next_at = now + timedelta(seconds=backoff_delay(message.attempts, self.settings,
                                                            self.rng))
        with self._uow() as uow:
            kept = uow.repo.outbox_failed(message.id, message.owner, error=error,
                                          next_attempt_at=next_at, dead=outcome == "dead",
                                          count_attempt=not waiting)
            uow.commit()
        if not kept:
            log.warning("%s : bail expiré pendant l'envoi, le résultat est ignoré (%s).",
                        message.label, error)
            return "lost"
        if outcome == "dead":
            log.error("%s abandonné après %d tentative(s) : %s — relancez-le avec "
                      "« amper outbox retry %d ».", message.label, attempts, error, message.id)
        elif outcome == "waiting":
            log.warning("%s en attente : %s", message.label, error)
        else:
            delay = (next_at - now).total_seconds()
            log.warning("Échec de l'envoi du %s (tentative %d/%d) : %s — nouvel essai dans %s.",
                        message.label, attempts, self.settings.max_attempts, error,
                        seconds_fr(delay))
        return outcome

    # -- delivery --------------------------------------------------------------------------------
    async def _call(self, function, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def _retry_store(self, function, *args, tries: int = 3):
        """Record a result; a short database outage must not turn a delivery into a resend."""
        for attempt in range(tries):
            try:
                return await self._call(function, *args)
            except StoreUnavailable:
                if attempt == tries - 1:
                    raise
                await asyncio.sleep(0.5 * (attempt + 1))

    async def deliver(self, message: Claimed) -> None:
        """One attempt; raises DeliveryError / NotificationConfigError."""
        timeout = self.settings.attempt_timeout
        if not isinstance(message.payload, dict):
            raise DeliveryError("message illisible : contenu de la demande invalide.")
        if not message.payload:
            raise DeliveryError("contenu effacé (données personnelles) : rien à envoyer.")
        if message.channel in (OutboxChannel.EMAIL.value, OutboxChannel.CLIENT_EMAIL.value):
            to = message.recipient()
            if self.smtp is None:
                raise self.smtp_problem or NotificationConfigError("serveur SMTP non configuré.")
            email = notifications.build_email(message.payload, to=to,
                                              mail_from=self.smtp.mail_from,
                                              idempotency_key=message.idempotency_key,
                                              office_url=self.office_url)
            try:
                await asyncio.wait_for(self._call(notifications.send_email, self.smtp, email,
                                                  to), timeout)
            except asyncio.TimeoutError:
                raise DeliveryError(f"le serveur SMTP {self.smtp.where} ne répond pas "
                                    f"(délai de {timeout:g} s dépassé).") from None
        elif message.channel == OutboxChannel.WEBHOOK.value:
            if not message.webhook_url:
                raise NotificationConfigError(
                    f"aucun webhook configuré pour le secteur {message.sector}.")
            if not message.webhook_secret:
                raise NotificationConfigError(
                    f"aucun secret de webhook configuré pour le secteur {message.sector}.")
            try:
                await asyncio.wait_for(notifications.post_webhook(
                    self._http, message.webhook_url, message.webhook_secret, message.payload,
                    message.idempotency_key, timeout=timeout), timeout + 1)
            except asyncio.TimeoutError:
                raise DeliveryError(f"le webhook ne répond pas (délai de {timeout:g} s "
                                    "dépassé).") from None
        else:
            raise DeliveryError(f"canal d'envoi inconnu : {message.channel}.")

    async def process(self, message: Claimed) -> str:
        """Deliver and record one message; returns its outcome, never raises (except when
        the store stays unreachable)."""
        try:
            await self.deliver(message)
        except NotificationConfigError as problem:
            return await self._retry_store(self.record_failure, message, problem.message, True)
        except DeliveryError as problem:
            return await self._retry_store(self.record_failure, message, problem.message)
        except Exception as problem:  # a bug must not stop the other deliveries
            log.exception("Erreur inattendue pendant l'envoi du %s", message.label)
            return await self._retry_store(
                self.record_failure, message, f"erreur inattendue ({type(problem).__name__}).")
        forwarded = await self._retry_store(self.record_delivered, message)
        target = {"email": message.office_email, "client_email": "client"}.get(
            message.channel, "webhook du secteur")
        log.info("%s remis (%s)%s.", message.label, target,
                 " — demande transmise au bureau de secteur" if forwarded else "")
        return "delivered"

    async def daily_purge(self) -> None:
        """The store's retention purge when it is due; never fatal."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._next_purge:
            return
        try:
            report = await self._call(lambda: purge(self._uow(), self.conversations,
                                                    now=self.clock()))
            self._next_purge = loop.time() + PURGE_EVERY
            log.info("Conservation : %d demande(s) close(s) anonymisée(s), %d contenu(s) de "
                     "message vidé(s), %d vote(s) effacé(s), %d question(s) sans réponse "
                     "effacée(s), %d demande(s) de rappel effacée(s), %d conversation(s) "
                     "effacée(s).",
                     report.requests_anonymised, report.payloads_emptied,
                     report.feedback_deleted, report.unanswered_deleted,
                     report.callbacks_deleted, report.conversations_deleted)
        except Exception as error:
            self._next_purge = loop.time() + PURGE_RETRY
            log.error("Purge de conservation impossible (%s) ; nouvel essai dans %s.",
                      type(error).__name__, seconds_fr(PURGE_RETRY))

    async def _batch(self, due_before: Optional[datetime]) -> Optional[List[str]]:
        batch = await self._call(self.claim, due_before)
        if not batch:
            return None
        return list(await asyncio.gather(*(self.process(m) for m in batch)))

    async def __aenter__(self) -> "Dispatcher":
        import aiohttp

        self._executor = ThreadPoolExecutor(max_workers=self.settings.batch_size + 2,
                                            thread_name_prefix="amper-dispatch")
        self._http = aiohttp.ClientSession()
        if self.smtp_problem:
            log.warning("E-mails en attente : %s", self.smtp_problem.message)
        return self

    async def __aexit__(self, *exc) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def run_once(self, max_batches: int = 100_000) -> DispatchReport:
        """Deliver everything due when called (each message at most once), then return.
        StoreUnavailable propagates."""
        report = DispatchReport()
        async with self:
            cutoff = self.clock()
            for _ in range(max_batches):
                outcomes = await self._batch(cutoff)
                if outcomes is None:
                    break
                report.count(outcomes)
        return report

    async def run_forever(self, stop: asyncio.Event) -> DispatchReport:
        """Loop until ``stop`` is set; a started batch is finished first (bounded by the
        attempt timeout).  An unreachable database is waited for, not fatal."""
        report = DispatchReport()
        async with self:
            log.info("Répartiteur démarré (%s) : tentatives max %d, délai par tentative %g s.",
                     self.name, self.settings.max_attempts, self.settings.attempt_timeout)
            outage = False
            while not stop.is_set():
                slow = False
                await self.daily_purge()
                try:
                    outcomes = await self._batch(None)
                    if outage:
                        log.info("Base de données de nouveau joignable.")
                        outage = False
                except StoreUnavailable:
                    if not outage:
                        log.error("Base de données injoignable : les envois reprendront dès "
                                  "son retour.")
                        outage = True
                    outcomes = None
                except Exception:  # never die on an unexpected error: log it, wait, go on
                    log.exception("Erreur inattendue du répartiteur ; nouvel essai dans %s.",
                                  seconds_fr(self.settings.poll_interval * 5))
                    slow, outcomes = True, None
                if outcomes:
                    report.count(outcomes)
                    continue
                try:
                    await asyncio.wait_for(stop.wait(), self.settings.poll_interval
                                           * (5 if outage or slow else 1))
                except asyncio.TimeoutError:
                    pass
            log.info("Répartiteur arrêté proprement.")
        return report


def run_dispatcher(url: Optional[str] = None, *, once: bool = False,
                   install_signal_handlers: bool = True, conversations=None) -> DispatchReport:
    """Blocking entry point (``amper dispatch``): the loop until SIGINT/SIGTERM, or one pass
    with ``once=True``."""
    dispatcher = Dispatcher.from_env(url, conversations)
    if once:
        return asyncio.run(dispatcher.run_once())

    async def main() -> DispatchReport:
        stop = asyncio.Event()
        if install_signal_handlers:
            import signal

            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
        return await dispatcher.run_forever(stop)

    return asyncio.run(main())
