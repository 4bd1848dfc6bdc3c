"""Use cases of the booking store.  Entry points for the chat actions, the web gateway,
the CLI and the dispatcher.

Every function takes a unit of work (``SqlAlchemyUnitOfWork()``, or any
:class:`~bot.service_layer.unit_of_work.AbstractUnitOfWork`) and runs one transaction per
write; the store is reached only through the repository port (``uow.repo``).  Errors are :class:`bot.domain.errors.ServiceError` subclasses carrying a
French ``message`` that can be shown as is (see docs/rules.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from bot.domain.clock import PARIS
from bot.domain import rules
from bot.domain.fr_format import format_datetime, format_slot
from bot.domain.model import (
    Account, Channel, InterventionStatus, Intervention, KIND_LABELS_FR, OutboxChannel,
    ReasonCategory, Request, RequestKind, RequestStatus, Role, Sector, STATUS_LABELS_FR,
    TRANSITIONS,
)
from bot.domain.passwords import hash_password, verify_password
from bot.domain.rules import Decision
from bot.domain.errors import (
    AlreadyRequested, Conflict, InterventionNotFound, InvalidInput, InvalidTransition,
    OutOfNoticeNotConfirmed, RequestNotFound, RuleRefused, ServiceError,
)

MAX_ACTOR_LENGTH = 100
#: The most interventions cancelled by one request of the client (a longer absence is
#: arranged with the sector office).
MAX_GROUP = 10


def _now(now: Optional[datetime]) -> datetime:
    if now is None:
        return datetime.now(timezone.utc).astimezone(PARIS)
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("Horodatage sans fuseau horaire refusé.")
    return now.astimezone(PARIS)


@dataclass(frozen=True)
class RequestResult:
    """``created`` is False when an identical request (same idempotency key) was replayed:
    ``request`` is then the one recorded the first time and ``decision`` is None."""

    request: Request
    decision: Optional[Decision]
    created: bool

    @property
    def reference(self) -> str:
        return self.request.reference

    @property
    def message(self) -> str:
        what = ("Votre demande d'annulation" if self.request.kind == RequestKind.CANCELLATION
                else "Votre demande de changement d'horaire")
        if not self.created:
            return f"{what} est déjà enregistrée sous la référence {self.reference}."
        return (f"{what} est enregistrée sous la référence {self.reference}. "
                "Elle va être transmise à votre bureau de secteur.")


# --- validation helpers ----------------------------------------------------------------

def _channel(value) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        raise InvalidInput("Canal inconnu : « web » ou « phone » attendu.") from None


def _reason(value) -> ReasonCategory:
    try:
        return ReasonCategory(value)
    except ValueError:
        raise InvalidInput("Motif inconnu : indiquez personnel, hospitalisation, maladie "
                           "ou autre.") from None


def _actor(value: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_ACTOR_LENGTH:
        raise InvalidInput("Auteur de la demande manquant ou trop long.")
    return value.strip()


def _aware(value, label: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{label} : date et heure avec fuseau horaire attendues.")
    return value.astimezone(PARIS)


def _load_intervention(uow, client_number: str, intervention_id: str) -> Intervention:
    intervention = uow.repo.get_intervention(str(intervention_id))
    if intervention is None:
        raise InterventionNotFound()
    return intervention


# --- reading -------------------------------------------------------------------------------

def upcoming_interventions(uow, client_number: str, now: Optional[datetime] = None, *,
                           days: Optional[int] = None,
                           limit: Optional[int] = None) -> List[Intervention]:
    """The client's scheduled interventions starting after ``now`` (optionally within
    ``days`` days), earliest first."""
    now = _now(now)
    until = now + timedelta(days=days) if days else None
    with uow:
        return uow.repo.upcoming_interventions(str(client_number), now, until, limit)


def get_intervention(uow, client_number: str, intervention_id: str) -> Intervention:
    """One of the client's interventions; InterventionNotFound for anyone else's."""
    with uow:
        intervention = _load_intervention(uow, client_number, intervention_id)
    if intervention.client_number != str(client_number):
        raise InterventionNotFound()
    return intervention


def get_request(uow, reference: str, client_number: Optional[str] = None) -> Request:
    """A request with its history.  With ``client_number``, another client's request is
    reported as not found."""
    with uow:
        return _owned_request(uow, reference, client_number)


def _owned_request(uow, reference: str, client_number: Optional[str] = None, *,
                   with_history: bool = True) -> Request:
    """Inside a unit of work: the request, or RequestNotFound (also for another client's
    request when ``client_number`` is given)."""
    reference = (reference or "").strip().upper()
    request = uow.repo.get_request(reference, with_history=with_history)
    if request is None or (client_number is not None
                           and request.client_number != str(client_number)):
        raise RequestNotFound(reference)
    return request


def list_requests(uow, *, sector: Optional[str] = None, status: Optional[str] = None,
                  client_number: Optional[str] = None, kind: Optional[str] = None,
                  open_only: bool = False, limit: Optional[int] = None) -> List[Request]:
    if status is not None:
        try:
            status = RequestStatus(status).value
        except ValueError:
            raise InvalidInput("Statut inconnu : " + ", ".join(s.value for s in RequestStatus)
                               + ".") from None
    if kind is not None:
        try:
            kind = RequestKind(kind).value
        except ValueError:
            raise InvalidInput("Type de demande inconnu : cancellation ou schedule_change.") from None
    with uow:
        return uow.repo.list_requests(sector=sector, status=status,
                                      client_number=str(client_number) if client_number else None,
                                      kind=kind, open_only=open_only, limit=limit)


# --- previews (said to the client before confirmation) ----------------------------------

def preview_cancellation(uow, *, client_number: str, intervention_id: str, reason,
                         now: Optional[datetime] = None) -> Decision:
    """The rule decision for a cancellation, without recording anything.  Raises
    InterventionNotFound / RuleRefused / AlreadyRequested like the real thing."""
    now, reason = _now(now), _reason(reason)
    with uow:
        intervention = _load_intervention(uow, client_number, intervention_id)
        sector = uow.repo.sector_for_client(intervention.client_number)
        decision = rules.decide_cancellation(intervention, str(client_number), reason, now,
                                             office_contact=sector.office_email if sector else None)
        _ensure_requestable(uow, intervention, RequestKind.CANCELLATION, decision)
        return decision


def _ensure_requestable(uow, intervention, kind: RequestKind, decision: Decision) -> None:
    """Raises unless the rules allow the request and none of that kind is already open."""
    if not decision.allowed:
        raise RuleRefused(decision)
    existing = uow.repo.find_open_request(intervention.id, kind)
    if existing:
        raise AlreadyRequested(existing)


def preview_schedule_change(uow, *, client_number: str, intervention_id: str,
                            new_start: datetime, new_end: datetime,
                            now: Optional[datetime] = None) -> Decision:
    now = _now(now)
    new_start, new_end = _aware(new_start, "Début"), _aware(new_end, "Fin")
    with uow:
        intervention = _load_intervention(uow, client_number, intervention_id)
        decision = rules.decide_schedule_change(intervention, str(client_number),
                                                new_start, new_end, now)
        _ensure_requestable(uow, intervention, RequestKind.SCHEDULE_CHANGE, decision)
        return decision


# --- recording -------------------------------------------------------------------------------

def create_cancellation_request(uow, *, client_number: str, intervention_id: str, reason,
                                channel: Union[Channel, str], actor: str,
                                now: Optional[datetime] = None,
                                idempotency_key: Optional[str] = None) -> RequestResult:
    """Record a cancellation request (and its outbox messages) in one transaction.

    Raises InterventionNotFound, RuleRefused (past / cancelled / other client's
    intervention), AlreadyRequested (an open cancellation exists: ``.reference``),
    InvalidInput, StoreUnavailable.  Replaying with the same ``idempotency_key`` returns the
    first result with ``created=False``."""
    reason = _reason(reason)

    def decide(intervention, sector, now):
        return rules.decide_cancellation(intervention, str(client_number), reason, now,
                                         office_contact=sector.office_email if sector else None)

    return _create(uow, RequestKind.CANCELLATION, client_number, intervention_id, channel,
                   actor, now, idempotency_key, decide, dict(reason_category=reason.value))


def create_schedule_change_request(uow, *, client_number: str, intervention_id: str,
                                   new_start: datetime, new_end: datetime,
                                   channel: Union[Channel, str], actor: str,
                                   now: Optional[datetime] = None,
                                   accept_out_of_notice: bool = False,
                                   idempotency_key: Optional[str] = None) -> RequestResult:
    """Record a schedule-change request.  Under 10 days it is recorded only with
    ``accept_out_of_notice=True`` (the client was told the office may refuse it), else
    OutOfNoticeNotConfirmed.  Other errors as for :func:`create_cancellation_request`."""
    new_start, new_end = _aware(new_start, "Début"), _aware(new_end, "Fin")

    def decide(intervention, sector, now):
        decision = rules.decide_schedule_change(intervention, str(client_number),
                                                new_start, new_end, now)
        if decision.allowed and decision.out_of_notice and not accept_out_of_notice:
            raise OutOfNoticeNotConfirmed(decision)
        return decision

    return _create(uow, RequestKind.SCHEDULE_CHANGE, client_number, intervention_id, channel,
                   actor, now, idempotency_key, decide,
                   dict(new_start_at=new_start, new_end_at=new_end))


def create_cancellation_requests(uow, *, client_number: str, intervention_ids: Sequence[str],
                                 reason, channel: Union[Channel, str], actor: str,
                                 now: Optional[datetime] = None,
                                 idempotency_key: Optional[str] = None) -> List[RequestResult]:
    """Cancel several interventions at once ("toute la semaine prochaine"): one request per
    intervention, all recorded in one transaction or none.  Each request gets its own
    idempotency key, ``<key>:<intervention id>``, so replaying the same confirmation returns
    the same requests (``created=False``).  Errors as for
    :func:`create_cancellation_request`: one intervention that cannot be cancelled (already
    requested, started...) records nothing."""
    ids = [str(i) for i in intervention_ids]
    if not ids or len(set(ids)) != len(ids) or len(ids) > MAX_GROUP:
        raise InvalidInput(f"De 1 à {MAX_GROUP} interventions différentes attendues.")
    reason = _reason(reason)

    def decide(intervention, sector, now):
        return rules.decide_cancellation(intervention, str(client_number), reason, now,
                                         office_contact=sector.office_email if sector else None)

    key = str(idempotency_key)[:135] if idempotency_key is not None else None
    items = [(i, f"{key}:{i}" if key else None) for i in ids]
    return _create_all(uow, RequestKind.CANCELLATION, client_number, items, channel, actor,
                       now, decide, dict(reason_category=reason.value))


def _create(uow, kind: RequestKind, client_number, intervention_id, channel, actor, now,
            idempotency_key, decide, extra: Dict[str, Any]) -> RequestResult:
    if idempotency_key is not None:
        idempotency_key = str(idempotency_key)[:200]
    return _create_all(uow, kind, client_number, [(intervention_id, idempotency_key)],
                       channel, actor, now, decide, extra)[0]


def _create_all(uow, kind: RequestKind, client_number, items: Sequence[Tuple[str, Optional[str]]],
                channel, actor, now, decide, extra: Dict[str, Any]) -> List[RequestResult]:
    """Record one request per (intervention id, idempotency key) in one transaction."""
    now, channel, actor = _now(now), _channel(channel), _actor(actor)
    client_number = str(client_number)
    for _attempt in range(3):
        try:
            with uow:
                prepared = [_prepare_one(uow, kind, client_number, intervention_id, key, now,
                                         decide)
                            for intervention_id, key in items]
                new = [p for p in prepared if not isinstance(p, RequestResult)]
                # the office is told which requests were made together
                references = [uow.repo.next_reference(now.year) for _p in new]
                group = references if len(references) > 1 else None
                results, next_ref = [], iter(references)
                for (_intervention_id, key), p in zip(items, prepared):
                    if isinstance(p, RequestResult):
                        results.append(p)
                        continue
                    intervention, sector, decision = p
                    request = _insert_request(uow, kind, intervention, sector, decision, channel,
                                              actor, now, key, extra, next(next_ref), group)
                    results.append(RequestResult(request=request, decision=decision,
                                                 created=True))
                if new:
                    uow.commit()
                return results
        except Conflict:
            # Lost a race against a concurrent transaction: the store's constraint held.
            with uow:
                replays = [key and _replay(uow, key, kind, client_number, intervention_id)
                           for intervention_id, key in items]
                if all(replays):
                    return replays
                for intervention_id, _key in items:
                    intervention = _load_intervention(uow, client_number, intervention_id)
                    existing = uow.repo.find_open_request(intervention.id, kind)
                    if existing:
                        raise AlreadyRequested(existing) from None
            # otherwise (e.g. the conflicting request got closed meanwhile): try again
    raise ServiceError("La demande n'a pas pu être enregistrée, merci de réessayer.")


def _prepare_one(uow, kind, client_number: str, intervention_id, key: Optional[str], now,
                 decide):
    """Inside a unit of work: the replay of ``key`` (a RequestResult), or what a new request
    needs, checked: (intervention, sector, decision)."""
    if key:
        replay = _replay(uow, key, kind, client_number, intervention_id)
        if replay:
            return replay
    intervention = _load_intervention(uow, client_number, intervention_id)
    sector = uow.repo.sector_for_client(intervention.client_number)
    decision = decide(intervention, sector, now)
    try:
        _ensure_requestable(uow, intervention, kind, decision)
    except AlreadyRequested:
        # A concurrent replay of this same message may have committed between the key
        # check above and this one (read committed): that is a replay.
        replay = key and _replay(uow, key, kind, client_number, intervention_id)
        if replay:
            return replay
        raise
    return intervention, sector, decision


def _replay(uow, key: str, kind, client_number: str, intervention_id) -> Optional[RequestResult]:
    existing = uow.repo.find_request_by_key(key)
    if existing is None:
        return None
    if (existing.kind != kind or existing.client_number != client_number
            or existing.intervention_external_id != str(intervention_id)):
        raise InvalidInput("Clé d'idempotence déjà utilisée pour une autre demande.")
    return RequestResult(request=existing, decision=None, created=False)


def _insert_request(uow, kind, intervention, sector, decision, channel, actor, now,
                    idempotency_key, extra, reference: str,
                    group: Optional[List[str]] = None) -> Request:
    repo = uow.repo
    request_id = repo.add_request(
        reference=reference, kind=kind.value, client_id=repo.client_id(intervention.client_number),
        intervention_id=intervention.id, channel=channel.value, actor=actor,
        decision_code=decision.code, billable=decision.billable,
        exemption_pending=decision.exemption_pending, out_of_notice=decision.out_of_notice,
        notice_seconds=int(decision.notice.total_seconds()),
        status=RequestStatus.RECEIVED.value, idempotency_key=idempotency_key,
        created_at=now, updated_at=now, **extra)
    repo.add_history(request_id, now, actor, None, RequestStatus.RECEIVED)
    request = repo.get_request(reference)
    payload = outbox_payload(request, decision.message, group)
    repo.add_outbox(request_id, OutboxChannel.EMAIL, payload, now, f"{reference}:email")
    if sector is not None and sector.webhook_url:
        repo.add_outbox(request_id, OutboxChannel.WEBHOOK, payload, now, f"{reference}:webhook")
    return request


def outbox_payload(request: Request, decision_message: Optional[str] = None,
                   group: Optional[List[str]] = None) -> Dict[str, Any]:
    """The JSON document handed to the dispatcher (e-mail and webhook).  ``group``: the
    references of the requests made together with this one (itself included)."""
    data = request_as_dict(request)
    data.pop("history", None)
    start = request.intervention_start
    data["subject"] = (f"[{request.reference}] {KIND_LABELS_FR[request.kind]} — "
                       f"{request.client_name} — "
                       f"{format_datetime(start).replace(' à ', ' ') if start else ''}")
    data["intervention_slot_fr"] = (format_slot(start, request.intervention_end)
                                    if start and request.intervention_end else None)
    data["new_slot_fr"] = (format_slot(request.new_start, request.new_end)
                           if request.new_start and request.new_end else None)
    data["decision_message"] = decision_message
    if group:
        data["group_references"] = list(group)
    return data


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.astimezone(PARIS).isoformat() if value else None


def request_as_dict(request: Request) -> Dict[str, Any]:
    """JSON-ready view of a request (used by ``amper requests list --json``)."""
    return {
        "reference": request.reference,
        "kind": request.kind.value,
        "client_id": request.client_number,
        "client_name": request.client_name,
        "sector": request.sector,
        "intervention_id": request.intervention_external_id,
        "intervention_start": _iso(request.intervention_start),
        "intervention_end": _iso(request.intervention_end),
        "caregiver": request.caregiver,
        "service": request.service,
        "status": request.status.value,
        "decision_code": request.decision_code,
        "notice_hours": request.notice_hours,
        "billable": request.billable,
        "exemption_pending": request.exemption_pending,
        "out_of_notice": request.out_of_notice,
        "reason_category": request.reason.value if request.reason else None,
        "new_start": _iso(request.new_start),
        "new_end": _iso(request.new_end),
        "channel": request.channel.value,
        "actor": request.actor,
        "created_at": _iso(request.created_at),
        "updated_at": _iso(request.updated_at),
        "history": [
            {"at": _iso(h.at), "actor": h.actor,
             "from_status": h.from_status.value if h.from_status else None,
             "to_status": h.to_status.value, "note": h.note}
            for h in request.history
        ],
    }


# --- status ----------------------------------------------------------------------------------

def change_request_status(uow, reference: str, new_status, *, actor: str,
                          now: Optional[datetime] = None, note: Optional[str] = None) -> Request:
    """Move a request along received → forwarded → acknowledged → done/refused, appending a
    history row.  Setting the current status again is a no-op.  A cancellation marked
    ``done`` cancels its intervention.  ``note`` must not contain health information."""
    now, actor = _now(now), _actor(actor)
    try:
        new_status = RequestStatus(new_status)
    except ValueError:
        raise InvalidInput("Statut inconnu : " + ", ".join(s.value for s in RequestStatus)
                           + ".") from None
    if note is not None:
        note = note.strip()[:500] or None
    reference = (reference or "").strip().upper()
    with uow:
        request = uow.repo.get_request(reference, with_history=False)
        if request is None:
            raise RequestNotFound(reference)
        if request.status == new_status:
            return uow.repo.get_request(reference)
        if new_status not in TRANSITIONS[request.status]:
            raise InvalidTransition(f"La demande {reference} est « {request.status.value} » : "
                                    f"elle ne peut pas passer à « {new_status.value} ».")
        uow.repo.update_request_status(request.id, new_status, now)
        uow.repo.add_history(request.id, now, actor, request.status, new_status, note)
        if request.kind == RequestKind.CANCELLATION and new_status == RequestStatus.DONE:
            uow.repo.set_intervention_status(uow.repo.intervention_row_id(request.id),
                                             InterventionStatus.CANCELLED)
        updated = uow.repo.get_request(reference)
        uow.commit()
        return updated


# --- sectors and accounts ---------------------------------------------------------------------

def set_sector(uow, name: str, *, office_email: Optional[str] = None,
               office_phone: Optional[str] = None, webhook_url: Optional[str] = None,
               webhook_secret: Optional[str] = None) -> Sector:
    """Create or update a sector (fields left as None are unchanged)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("Nom de secteur manquant ou trop long.")
    if office_email is not None and ("@" not in office_email or len(office_email) > 254):
        raise InvalidInput(f"Adresse e-mail invalide : {office_email}")
    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        raise InvalidInput(f"Adresse de webhook invalide : {webhook_url}")
    with uow:
        sector = uow.repo.upsert_sector(name, dict(
            office_email=office_email, office_phone=office_phone, webhook_url=webhook_url,
            webhook_secret=webhook_secret))
        uow.commit()
        return sector


def set_account(uow, login: str, password: str, role, client_number: Optional[str] = None) -> Account:
    """Create or replace a login (password hashed with scrypt)."""
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput("Rôle inconnu : client ou staff.") from None
    login = (login or "").strip()
    if not login or len(login) > 100 or not password:
        raise InvalidInput("Identifiant ou mot de passe manquant.")
    with uow:
        client_id = None
        if role == Role.CLIENT:
            client_id = uow.repo.client_id(str(client_number)) if client_number else None
            if client_id is None:
                raise InvalidInput(f"Client inconnu : {client_number}")
        uow.repo.upsert_account(login, hash_password(password), role, client_id)
        account = uow.repo.get_account(login)[0]
        uow.commit()
        return account


def authenticate(uow, login: str, password: str) -> Optional[Account]:
    """The account if the password matches, else None."""
    with uow:
        found = uow.repo.get_account((login or "").strip())
    if found is None:
        verify_password(password or "", "scrypt$16384$8$1$00$00")  # similar timing
        return None
    account, stored = found
    return account if verify_password(password or "", stored) else None


# --- planning import ----------------------------------------------------------------------------

def import_planning(uow, source, *, progress: bool = False):
    """Validate the whole CSV file (PlanningImportError listing every faulty line, nothing
    applied), then upsert it in one transaction.  Returns an ImportReport."""
    from bot.adapters.planning_import import read_planning

    rows = read_planning(source, progress=progress)
    return import_rows(uow, rows, progress=progress)


def import_rows(uow, rows, *, progress: bool = False):
    with uow:
        report = uow.repo.apply_planning_rows(rows, progress=progress)
        uow.commit()
        return report


# --- forwarding to the sector office (issue 5) -------------------------------------------------

FORWARDED_LABEL_FR = "transmise au bureau de secteur"
FORWARDING_LABEL_FR = "enregistrée, transmission en cours"
OUTBOX_STATUS_LABELS_FR = {
    "pending": "en attente",
    "sending": "en cours d'envoi",
    "delivered": "remis",
    "dead": "abandonné",
}


@dataclass(frozen=True)
class ForwardingStatus:
    """Whether the sector office has the request.

    ``forwarded`` is True once every outbox message of the request is delivered (or the
    office already handles it: status beyond ``received``); ``label`` is what the client
    may be told; ``forwarded_at`` is the last delivery time.  ``stalled`` (a message
    abandoned or waiting for configuration) is for staff only."""

    reference: str
    forwarded: bool
    label: str
    forwarded_at: Optional[datetime]
    messages: int
    delivered: int
    stalled: bool
    last_error: Optional[str]

    @property
    def message(self) -> str:
        return f"Votre demande {self.reference} est {self.label}."


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    reference: str
    channel: str
    status: str
    attempts: int
    next_attempt_at: Optional[datetime]
    last_error: Optional[str]
    delivered_at: Optional[datetime]
    created_at: datetime
    sector: str
    idempotency_key: str
    lease_owner: Optional[str] = None
    lease_until: Optional[datetime] = None

    def as_dict(self) -> Dict[str, Any]:
        return {
            "id": self.id, "reference": self.reference, "channel": self.channel,
            "status": self.status, "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at), "last_error": self.last_error,
            "delivered_at": _iso(self.delivered_at), "created_at": _iso(self.created_at),
            "sector": self.sector, "idempotency_key": self.idempotency_key,
            "lease_owner": self.lease_owner, "lease_until": _iso(self.lease_until),
        }


def _outbox_message(row) -> OutboxMessage:
    return OutboxMessage(
        id=row.id, reference=row.reference, channel=row.channel, status=row.status,
        attempts=row.attempts, next_attempt_at=row.next_attempt_at, last_error=row.last_error,
        delivered_at=row.delivered_at, created_at=row.created_at, sector=row.sector_name,
        idempotency_key=row.idempotency_key, lease_owner=row.lease_owner,
        lease_until=row.lease_until)


def forwarding_status(uow, reference: str, client_number: Optional[str] = None) -> ForwardingStatus:
    """« transmise au bureau de secteur » only once it is true, else « enregistrée,
    transmission en cours ».  RequestNotFound for an unknown reference (or another client's
    request when ``client_number`` is given)."""
    with uow:
        request = _owned_request(uow, reference, client_number, with_history=False)
        rows = uow.repo.list_outbox(reference=request.reference)
    return _forwarding_status(request, rows)


def _forwarding_status(request: Request, rows) -> ForwardingStatus:
    reference = request.reference
    delivered = [r for r in rows if r.status == "delivered"]
    all_delivered = bool(rows) and len(delivered) == len(rows)
    forwarded = all_delivered or request.status != RequestStatus.RECEIVED
    errors = [r.last_error for r in rows if r.status != "delivered" and r.last_error]
    stalled = any(r.status == "dead" or (r.status == "pending" and r.last_error
                                         and r.attempts == 0) for r in rows)
    return ForwardingStatus(
        reference=reference, forwarded=forwarded,
        label=FORWARDED_LABEL_FR if forwarded else FORWARDING_LABEL_FR,
        forwarded_at=max((r.delivered_at for r in delivered), default=None) if all_delivered else None,
        messages=len(rows), delivered=len(delivered), stalled=stalled,
        last_error=errors[-1] if errors else None)


def list_outbox(uow, *, status: Optional[str] = None, reference: Optional[str] = None,
                limit: Optional[int] = None) -> List[OutboxMessage]:
    """Messages of the outbox, oldest first (``amper outbox list``)."""
    if status is not None and status not in OUTBOX_STATUS_LABELS_FR:
        raise InvalidInput("Statut d'envoi inconnu : " + ", ".join(OUTBOX_STATUS_LABELS_FR) + ".")
    reference = (reference or "").strip().upper() or None
    with uow:
        return [_outbox_message(r) for r in uow.repo.list_outbox(status=status, reference=reference,
                                                                 limit=limit)]


def retry_outbox(uow, message_id: Optional[int] = None, *, all_dead: bool = False,
                 now: Optional[datetime] = None) -> int:
    """An abandoned (``dead``) message — or all of them — back to ``pending``, due now, with
    a fresh count of attempts.  A pending message is made due now.  Returns the number of
    messages requeued; InvalidInput when there is nothing to retry."""
    from bot.domain.model import OutboxStatus

    now = _now(now)
    if (message_id is None) == (not all_dead):
        raise InvalidInput("Indiquez un numéro de message ou --all-dead.")
    with uow:
        if all_dead:
            count = uow.repo.requeue_outbox(now=now)
            uow.commit()
            return count
        rows = uow.repo.list_outbox(message_id=int(message_id))
        if not rows:
            raise InvalidInput(f"Aucun message n° {message_id} dans la file d'envoi.")
        status = rows[0].status
        if status == "sending" and rows[0].lease_until is not None and rows[0].lease_until < now:
            status = "stale"  # its dispatcher stopped during the attempt
        if status == "delivered":
            raise InvalidInput(f"Le message n° {message_id} a déjà été remis : rien à relancer.")
        if status == "sending":
            raise InvalidInput(f"Le message n° {message_id} est en cours d'envoi : attendez la "
                               "fin de la tentative.")
        if status == "dead":
            count = uow.repo.requeue_outbox(now=now, message_id=int(message_id))
        else:  # pending (or stale lease): keep the attempts, just make it due now
            count = uow.repo.requeue_outbox(now=now, message_id=int(message_id),
                                            statuses=(OutboxStatus.PENDING, OutboxStatus.SENDING),
                                            reset_attempts=False)
        uow.commit()
        return count


def configure_sector(uow, name: str, *, office_email: str, office_phone: Optional[str] = None,
                     webhook_url: Optional[str] = None,
                     webhook_secret: Optional[str] = None) -> Sector:
    """:func:`set_sector` with strict checks (``amper sector set``): a valid e-mail address,
    an http(s) webhook URL, a secret of 16 to 200 characters (required with a webhook unless
    the sector already has one).  Messages waiting for this configuration leave on the
    dispatcher's next round."""
    from bot.adapters.notifications import is_valid_email, is_valid_webhook_url

    office_email = (office_email or "").strip()
    if not is_valid_email(office_email):
        raise InvalidInput(f"Adresse e-mail invalide : « {office_email[:100]} » "
                           "(exemple : bureau.nord@amper.fr).")
    if office_phone is not None:
        office_phone = office_phone.strip()
        if not office_phone or len(office_phone) > 40 or not all(
                c.isdigit() or c in " +.()-" for c in office_phone):
            raise InvalidInput(f"Numéro de téléphone invalide : « {office_phone[:40]} ».")
    if webhook_url is not None:
        webhook_url = webhook_url.strip()
        if not is_valid_webhook_url(webhook_url):
            raise InvalidInput(f"Adresse de webhook invalide : « {webhook_url[:100]} » "
                               "(http:// ou https:// suivi d'un nom de serveur attendu).")
    if webhook_secret is not None and not 16 <= len(webhook_secret) <= 200:
        raise InvalidInput("Secret de webhook invalide : 16 à 200 caractères attendus.")
    if webhook_secret is not None and webhook_url is None:
        raise InvalidInput("--webhook-secret s'utilise avec --webhook.")
    if webhook_url is not None and webhook_secret is None:
        with uow:
            existing = uow.repo.get_sector((name or "").strip())
        if existing is None or not existing.webhook_secret:
            raise InvalidInput("Secret de webhook manquant : ajoutez --webhook-secret.")
    return set_sector(uow, name, office_email=office_email, office_phone=office_phone,
                      webhook_url=webhook_url, webhook_secret=webhook_secret)


def list_sectors(uow) -> List[Sector]:
    with uow:
        return uow.repo.list_sectors()


def store_is_empty(uow) -> bool:
    """True while no planning was ever imported (the launcher then loads the demo)."""
    with uow:
        return uow.repo.count_interventions() == 0


# --- what a client may be told about their requests ("où en est ma demande ?") ----------

#: How many requests the chat lists at most.
CLIENT_STATUS_LIMIT = 5


@dataclass(frozen=True)
class ClientRequestStatus:
    """One of the client's requests and where it stands, in words the client may read."""

    request: Request
    label: str


def client_label(request: Request, forwarding: ForwardingStatus) -> str:
    """« enregistrée, transmission en cours » until the office has it, then the office's
    own progress (« prise en compte… », « traitée », « refusée »)."""
    if request.status == RequestStatus.RECEIVED:
        return forwarding.label
    return STATUS_LABELS_FR[request.status]


def client_request_statuses(uow, client_number: str, *, reference: Optional[str] = None,
                            limit: int = CLIENT_STATUS_LIMIT) -> List[ClientRequestStatus]:
    """The client's latest requests (newest first, at most ``limit``), or only ``reference``
    (RequestNotFound if it is not one of theirs)."""
    client_number = str(client_number)
    with uow:
        if reference:
            found = [_owned_request(uow, reference, client_number, with_history=False)]
        else:
            found = uow.repo.list_requests(client_number=client_number, limit=max(1, limit),
                                           newest_first=True)
        rows: Dict[str, list] = {r.reference: [] for r in found}
        for row in (uow.repo.list_outbox(references=list(rows)) if rows else ()):
            rows[row.reference].append(row)  # one query for all, not one per request
    return [ClientRequestStatus(r, client_label(r, _forwarding_status(r, rows[r.reference])))
            for r in found]
