"""Retention and the clients' rights (docs/privacy.md): ``amper purge``, ``amper forget``,
``amper export-client``.

The booking store is reached through the repository port, in one transaction per
operation; the conversations (Rasa's tracker store) through
:class:`bot.adapters.conversations.ConversationStore` (or any object with its methods),
given by the caller — the dispatcher's daily purge passes none.

What anonymising a request keeps: reference, kind, client number, intervention, dates,
rule decision, billing fields, status and the dates of its history (billing and disputes).
What it empties: the author (« client anonymisé »), the idempotency key (it names the
conversation), the reason category (health data) and the history notes; its messages to the
office lose their content.  Forgetting a client deletes their callback requests with their
messages to the office (references stay taken: never given to another callback); the purge
deletes any callback request ``AMPER_RETENTION_CALLBACKS_DAYS`` days after it was taken, with
its messages, once they are all delivered or dead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

from bot import settings
from bot.domain.errors import InvalidInput
from bot.service_layer.services.common import _iso, _now
from bot.service_layer.services.views import request_as_dict

ANONYMISED = "client anonymisé"
#: ``last_error`` of a message stopped because its content was erased.
ERASED = "contenu effacé (données personnelles) : message jamais envoyé."
#: The chat's idempotency keys: ``chat:<sender id>:<message id>`` (bot/chat/flows/closing.py).
CHAT_KEY = re.compile(r"^chat:(?P<sender>.+):[^:]*$")


@dataclass
class PurgeReport:
    dry_run: bool = False
    requests_anonymised: int = 0
    payloads_emptied: int = 0
    messages_stopped: int = 0
    conversations_deleted: int = 0
    events_deleted: int = 0
    conversations_checked: bool = False
    feedback_deleted: int = 0
    unanswered_deleted: int = 0
    callbacks_deleted: int = 0

    def lines_fr(self) -> List[str]:
        would = "à faire" if self.dry_run else "fait"
        mode = "simulation, rien n'est modifié" if self.dry_run else "appliquée"
        lines = [f"Purge ({mode}) :",
                 f"  - demandes closes anonymisées : {self.requests_anonymised} ({would})",
                 f"  - contenus de messages vidés : {self.payloads_emptied} ({would})",
                 f"  - votes sur les réponses effacés : {self.feedback_deleted} ({would})",
                 f"  - questions sans réponse effacées : {self.unanswered_deleted} ({would})",
                 f"  - demandes de rappel effacées : {self.callbacks_deleted} ({would})"]
        if self.messages_stopped:
            lines.append(f"  - messages non remis arrêtés : {self.messages_stopped} ({would})")
        if self.conversations_checked:
            lines.append(f"  - conversations effacées : {self.conversations_deleted} "
                         f"({self.events_deleted} événements) ({would})")
        return lines


def _erase_messages(repo, request_ids) -> tuple:
    """(payloads emptied, messages stopped) for these requests' messages."""
    messages = repo.outbox_of_requests(request_ids)
    stopped = repo.stop_outbox([i for i, status in messages if status != "delivered"], ERASED)
    return repo.empty_outbox_payloads([i for i, _status in messages]), stopped


def purge_store(uow, *, now: Optional[datetime] = None,
                retention: Optional[settings.RetentionSettings] = None,
                dry_run: bool = False, report: Optional[PurgeReport] = None) -> PurgeReport:
    """Apply the retention to the booking store (one transaction, rolled back when
    ``dry_run``): closed requests last changed more than ``requests_days`` ago are
    anonymised (their messages emptied), delivered messages lose their content
    ``outbox_days`` after delivery, the votes on the chat's answers are deleted after
    ``feedback_days``, the unanswered questions after ``unanswered_days``, the callback
    requests (with their messages) ``callbacks_days`` after they were taken once none of
    their messages is pending or being sent (counted in days).  Nothing else is touched."""
    now, retention = _now(now), retention or settings.retention()
    report = report or PurgeReport(dry_run=dry_run)
    with uow:
        repo = uow.repo
        ids = repo.closed_requests_before(now - timedelta(days=retention.requests_days),
                                          ANONYMISED)
        report.requests_anonymised = repo.anonymise_requests(ids, ANONYMISED)
        report.payloads_emptied, report.messages_stopped = _erase_messages(repo, ids)
        # before the payloads: a deleted callback's messages are not counted as emptied
        report.callbacks_deleted = uow.callbacks.purge_before(
            now - timedelta(days=retention.callbacks_days))
        report.payloads_emptied += repo.empty_outbox_payloads(
            repo.delivered_outbox_before(now - timedelta(days=retention.outbox_days)))
        report.feedback_deleted = uow.feedback.purge_before(
            now.date() - timedelta(days=retention.feedback_days))
        report.unanswered_deleted = uow.unanswered.purge_before(
            now.date() - timedelta(days=retention.unanswered_days))
        if not dry_run:
            uow.commit()
    return report


def purge(uow, conversations=None, *, now: Optional[datetime] = None,
          retention: Optional[settings.RetentionSettings] = None,
          dry_run: bool = False) -> PurgeReport:
    """``amper purge``: the store, then the conversations whose last event is older than
    ``conversations_days`` (when a conversation store is given)."""
    now, retention = _now(now), retention or settings.retention()
    report = purge_store(uow, now=now, retention=retention, dry_run=dry_run)
    if conversations is not None:
        senders = conversations.inactive_senders(
            now - timedelta(days=retention.conversations_days))
        report.conversations_checked = True
        report.conversations_deleted = len(senders)
        report.events_deleted = (conversations.count_events(senders) if dry_run
                                 else conversations.delete(senders))
    return report


# --- forget ---------------------------------------------------------------------------------

@dataclass
class ForgetReport:
    client_number: str
    applied: bool
    requests: int = 0
    payloads_emptied: int = 0
    messages_stopped: int = 0
    accounts: List[str] = field(default_factory=list)
    client_renamed: bool = False
    callbacks: int = 0
    callback_messages: int = 0  # their messages to the office, deleted with them
    conversations: int = 0
    events: int = 0
    conversations_checked: bool = False

    def lines_fr(self) -> List[str]:
        head = ("Client n° {} : effacé." if self.applied else
                "Client n° {} : voici ce qui serait effacé (relancez avec --yes pour le faire).")
        lines = [head.format(self.client_number),
                 f"  - nom du client remplacé par « {ANONYMISED} » : "
                 f"{'oui' if self.client_renamed else 'non'}",
                 f"  - demandes anonymisées : {self.requests} (références, dates et "
                 "facturation gardées)",
                 f"  - contenus de messages au bureau vidés : {self.payloads_emptied}"
                 + (f" (dont {self.messages_stopped} non remis, arrêtés)"
                    if self.messages_stopped else ""),
                 f"  - demandes de rappel effacées : {self.callbacks}"
                 + (f" (et leurs {self.callback_messages} messages au bureau)"
                    if self.callback_messages else ""),
                 f"  - comptes supprimés : {len(self.accounts)}"
                 + (f" ({', '.join(self.accounts)})" if self.accounts else "")]
        if self.conversations_checked:
            lines.append(f"  - conversations effacées : {self.conversations} "
                         f"({self.events} événements)")
        return lines


def _client_or_error(repo, client_number: str):
    client = repo.get_client(client_number)
    if client is None:
        raise InvalidInput(f"Aucun client n° {client_number} dans la base des demandes.")
    return client


def _senders_from_keys(keys) -> List[str]:
    found = set()
    for key in keys:
        match = CHAT_KEY.match(key or "")
        if match:
            found.add(match.group("sender"))
    return sorted(found)


def forget_client(uow, client_number: str, conversations=None, *, apply: bool = False
                  ) -> ForgetReport:
    """``amper forget``: everything about one client erased or anonymised — their
    conversations, their requests' personal fields, their messages' content, their logins,
    their name.  Without ``apply`` nothing changes and the report says what would."""
    number = str(client_number or "").strip()
    report = ForgetReport(client_number=number, applied=apply)
    with uow:
        _client_or_error(uow.repo, number)
        keys = uow.repo.request_keys(number)
    if conversations is not None:
        senders = sorted(set(conversations.senders_of_client(number))
                         | set(conversations.existing(_senders_from_keys(keys))))
        report.conversations_checked, report.conversations = True, len(senders)
        report.events = (conversations.delete(senders) if apply
                         else conversations.count_events(senders))
    with uow:
        repo = uow.repo
        report.accounts = [a.login for a in repo.client_accounts(number)]
        ids = [r.id for r in repo.list_requests(client_number=number)]
        report.payloads_emptied, report.messages_stopped = _erase_messages(repo, ids)
        report.requests = repo.anonymise_requests(ids, ANONYMISED)
        repo.delete_client_accounts(number)
        report.client_renamed = repo.rename_client(number, ANONYMISED)
        report.callback_messages = len(uow.callbacks.outbox_of_client(number))
        report.callbacks = uow.callbacks.delete_for_client(number)  # and their messages
        uow.staff.set_client_contact(number, None, None)
        if apply:
            uow.commit()
    return report


# --- export -----------------------------------------------------------------------------------

def export_client(uow, client_number: str, conversations=None,
                  now: Optional[datetime] = None) -> Dict[str, Any]:
    """``amper export-client``: everything held about the client, JSON-ready."""
    number = str(client_number or "").strip()
    with uow:
        repo = uow.repo
        client = _client_or_error(repo, number)
        requests = [repo.get_request(r.reference)
                    for r in repo.list_requests(client_number=number)]
        keys = repo.request_keys(number)
        contact = uow.staff.client_summary(number)
        callbacks = uow.callbacks.for_client(number)
        references = [r.reference for r in requests] + [c.reference for c in callbacks]
        messages = repo.list_outbox(references=references) if references else []
        data: Dict[str, Any] = {
            "exported_at": _iso(_now(now)),
            "client": {"number": client.number, "name": client.name, "sector": client.sector,
                       "phone": contact.phone if contact else None,
                       "email": contact.email if contact else None},
            "accounts": [{"login": a.login, "role": a.role.value}
                         for a in repo.client_accounts(number)],
            "interventions": [
                {"id": i.external_id, "start": _iso(i.start), "end": _iso(i.end),
                 "service": i.service, "caregiver": i.caregiver, "status": i.status.value}
                for i in repo.client_interventions(number)],
            "requests": [request_as_dict(r) for r in requests],
            "outbox": [
                {"id": m.id, "reference": m.reference, "channel": m.channel,
                 "status": m.status, "created_at": _iso(m.created_at),
                 "delivered_at": _iso(m.delivered_at), "payload": m.payload}
                for m in messages],
            "callbacks": [
                {"reference": c.reference, "phone": c.phone, "best_time": c.best_time,
                 "topic": c.topic.value, "actor": c.actor, "status": c.status.value,
                 "created_at": _iso(c.created_at)}
                for c in callbacks],
        }
    if conversations is not None:
        senders = sorted(set(conversations.senders_of_client(number))
                         | set(conversations.existing(_senders_from_keys(keys))))
        data["conversations"] = conversations.events_of(senders)
    return data
