"""AMPER notice rules (see docs/rules.md).  Pure functions: no I/O, the clock is an argument.

* Cancellation: at least 48 hours of *real elapsed time* before the start is free; less is
  billed, except emergency hospitalisation or illness, which is not billed *if a medical
  certificate is sent* — recorded as "exemption pending certificate", the sector office
  decides, the assistant never grants it.
* Schedule change: at least 10 × 24 hours of real time before the *current* start is
  acceptable (subject to the office's confirmation); less may only be forwarded as an
  explicit "out of notice" request that the office may refuse.
* Any new slot: in the future, end after start, at least 45 minutes.
* Nothing on a past (or started), cancelled or other client's intervention.

Durations are measured in real elapsed time: both datetimes are converted to UTC before
subtracting (subtracting two Europe/Paris datetimes directly would give wall-clock time and
be one hour off across a daylight-saving change).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional, Union

from bot.domain.fr_format import format_datetime, format_duration, format_slot
from bot.domain.model import Intervention, InterventionStatus, ReasonCategory, RequestKind

CANCELLATION_NOTICE = timedelta(hours=48)
SCHEDULE_CHANGE_NOTICE = timedelta(days=10)  # exactly 240 hours of real time
MIN_DURATION = timedelta(minutes=45)


class Code:
    """Stable decision codes (stored with each request, used by the chat and the office)."""

    CANCELLATION_FREE = "cancellation_free"
    CANCELLATION_BILLABLE = "cancellation_billable"
    CANCELLATION_EXEMPTION_PENDING = "cancellation_exemption_pending"
    SCHEDULE_CHANGE_OK = "schedule_change_ok"
    SCHEDULE_CHANGE_OUT_OF_NOTICE = "schedule_change_out_of_notice"
    SLOT_OK = "slot_ok"
    # refusals (allowed=False)
    INTERVENTION_NOT_OWNED = "intervention_not_owned"
    INTERVENTION_CANCELLED = "intervention_cancelled"
    INTERVENTION_PAST = "intervention_past"
    SLOT_END_NOT_AFTER_START = "slot_end_not_after_start"
    SLOT_IN_PAST = "slot_in_past"
    SLOT_TOO_SHORT = "slot_too_short"
    SLOT_UNCHANGED = "slot_unchanged"


@dataclass(frozen=True)
class Decision:
    """Outcome of a rule check.

    allowed            the request can be recorded (possibly out of notice / billed)
    code               stable string, see :class:`Code`
    billable           True / False for a cancellation; None when undecided (exemption
                       pending) or not applicable (schedule change, refusal)
    exemption_pending  the office will decide on a medical certificate
    out_of_notice      the notice period is not respected
    notice             real time left before the intervention's current start
    message            short French explanation the assistant can say as is
    """

    allowed: bool
    code: str
    message: str
    billable: Optional[bool] = None
    exemption_pending: bool = False
    out_of_notice: bool = False
    notice: Optional[timedelta] = None


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def elapsed(since: datetime, until: datetime) -> timedelta:
    """Real time between two aware datetimes (DST-proof: computed in UTC)."""
    _require_aware(since, "since")
    _require_aware(until, "until")
    return until.astimezone(timezone.utc) - since.astimezone(timezone.utc)


def _refuse(code: str, message: str, notice: Optional[timedelta] = None) -> Decision:
    return Decision(allowed=False, code=code, message=message, notice=notice)


def check_intervention(
    intervention: Intervention, client_number: str, now: datetime, kind: RequestKind
) -> Optional[Decision]:
    """Refusal if nothing may be requested on this intervention, else None."""
    _require_aware(now, "now")
    if str(intervention.client_number) != str(client_number):
        # Same words as "not found": never reveal another client's planning.
        return _refuse(Code.INTERVENTION_NOT_OWNED,
                       "Cette intervention ne figure pas dans votre planning.")
    when = format_datetime(intervention.start)
    if intervention.status == InterventionStatus.CANCELLED:
        return _refuse(Code.INTERVENTION_CANCELLED,
                       f"L'intervention du {when} est déjà annulée.")
    notice = elapsed(now, intervention.start)
    if notice <= timedelta(0):
        verb = "annulée" if kind == RequestKind.CANCELLATION else "modifiée"
        return _refuse(Code.INTERVENTION_PAST,
                       f"L'intervention du {when} a déjà commencé ou est passée : "
                       f"elle ne peut plus être {verb}.", notice)
    return None


def decide_cancellation(
    intervention: Intervention,
    client_number: str,
    reason: Union[ReasonCategory, str],
    now: datetime,
    *,
    office_contact: Optional[str] = None,
) -> Decision:
    """Apply the 48-hour cancellation rule.

    ``office_contact`` (e.g. the sector office's e-mail address) is quoted in the message
    telling the client where to send a medical certificate.
    """
    reason = ReasonCategory(reason)
    refusal = check_intervention(intervention, client_number, now, RequestKind.CANCELLATION)
    if refusal:
        return refusal
    notice = elapsed(now, intervention.start)
    when = format_datetime(intervention.start)
    if notice >= CANCELLATION_NOTICE:
        return Decision(
            allowed=True, code=Code.CANCELLATION_FREE, billable=False, notice=notice,
            message=f"Votre intervention du {when} a lieu dans au moins 48 heures : "
                    "l'annulation est gratuite.",
        )
    if reason.is_medical:
        where = "à votre bureau de secteur"
        if office_contact:
            where += f" ({office_contact})"
        return Decision(
            allowed=True, code=Code.CANCELLATION_EXEMPTION_PENDING, billable=None,
            exemption_pending=True, out_of_notice=True, notice=notice,
            message=f"Votre intervention du {when} a lieu dans moins de 48 heures. "
                    "En cas d'hospitalisation d'urgence ou de maladie, elle ne sera pas "
                    "facturée si vous fournissez un justificatif médical : envoyez-le "
                    f"{where}, jamais dans cette conversation. Le bureau décidera.",
        )
    return Decision(
        allowed=True, code=Code.CANCELLATION_BILLABLE, billable=True, out_of_notice=True,
        notice=notice,
        message=f"Votre intervention du {when} a lieu dans moins de 48 heures : "
                "l'annulation sera facturée.",
    )


def check_slot(new_start: datetime, new_end: datetime, now: datetime) -> Decision:
    """A new slot must end after it starts, be in the future and last at least 45 minutes."""
    _require_aware(new_start, "new_start")
    _require_aware(new_end, "new_end")
    _require_aware(now, "now")
    duration = elapsed(new_start, new_end)
    if duration <= timedelta(0):
        return _refuse(Code.SLOT_END_NOT_AFTER_START,
                       "L'heure de fin doit être après l'heure de début.")
    if elapsed(now, new_start) <= timedelta(0):
        return _refuse(Code.SLOT_IN_PAST,
                       f"Le créneau du {format_datetime(new_start)} est déjà passé : "
                       "choisissez un horaire à venir.")
    if duration < MIN_DURATION:
        return _refuse(Code.SLOT_TOO_SHORT,
                       "Une intervention dure au moins 45 minutes : le créneau "
                       f"{format_slot(new_start, new_end)} ne dure que "
                       f"{format_duration(duration)}.")
    return Decision(allowed=True, code=Code.SLOT_OK, message="Le créneau proposé est valable.")


def decide_schedule_change(
    intervention: Intervention,
    client_number: str,
    new_start: datetime,
    new_end: datetime,
    now: datetime,
) -> Decision:
    """Apply the 10-day schedule-change rule (measured to the intervention's current start)."""
    refusal = check_intervention(intervention, client_number, now, RequestKind.SCHEDULE_CHANGE)
    if refusal:
        return refusal
    slot = check_slot(new_start, new_end, now)
    if not slot.allowed:
        return slot
    if (elapsed(intervention.start, new_start) == timedelta(0)
            and elapsed(intervention.end, new_end) == timedelta(0)):
        return _refuse(Code.SLOT_UNCHANGED,
                       "Le nouvel horaire est identique à l'horaire actuel.")
    notice = elapsed(now, intervention.start)
    old = format_slot(intervention.start, intervention.end)
    new = format_slot(new_start, new_end)
    if notice >= SCHEDULE_CHANGE_NOTICE:
        return Decision(
            allowed=True, code=Code.SCHEDULE_CHANGE_OK, notice=notice,
            message=f"Votre demande arrive au moins 10 jours avant l'intervention du {old} : "
                    f"le changement vers le {new} est recevable, sous réserve de "
                    "confirmation par le bureau de secteur.",
        )
    return Decision(
        allowed=True, code=Code.SCHEDULE_CHANGE_OUT_OF_NOTICE, out_of_notice=True, notice=notice,
        message=f"Il reste moins de 10 jours avant l'intervention du {old} : le délai de "
                "prévenance n'est pas respecté. Nous pouvons tout de même transmettre votre "
                f"demande (le {new}) au bureau de secteur, qui pourra la refuser.",
    )
