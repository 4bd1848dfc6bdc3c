"""How values are said in French: the labels of the model (kinds, statuses, reasons,
channels, outbox states) and dates, times, slots and durations.

Every function converts its (timezone-aware) argument to Europe/Paris first, so
callers may pass UTC or Paris datetimes alike.  Reused by the chat, the e-mails
and the CLI:

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> d = datetime(2026, 3, 5, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
>>> format_datetime(d)
'jeudi 5 mars à 9 h'
>>> format_slot(d, d.replace(hour=10))
'jeudi 5 mars, 9 h–10 h'
>>> format_time(d.replace(hour=15, minute=30))
'15 h 30'
"""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.clock import PARIS
from bot.domain.model import (
    Channel, OfficeDecision, OutboxStatus, Outcome, ReasonCategory, RefusalReason, RequestKind,
    RequestStatus,
)
from bot.domain.staff import CallbackTopic, UnansweredKind


DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


# --- labels: how the values of the model are said (once for the chat, e-mails, CLI, pages) --

KIND_LABELS_FR = {
    RequestKind.CANCELLATION: "Annulation",
    RequestKind.SCHEDULE_CHANGE: "Changement d'horaire",
}

STATUS_LABELS_FR = {
    RequestStatus.RECEIVED: "enregistrée",
    RequestStatus.FORWARDED: "transmise au bureau de secteur",
    RequestStatus.ACKNOWLEDGED: "prise en compte par le bureau de secteur",
    RequestStatus.DONE: "traitée",
    RequestStatus.REFUSED: "refusée",
}

#: The sector office's decisions (issue 22): the page's buttons, the history's words.
DECISION_LABELS_FR = {
    OfficeDecision.ACKNOWLEDGE: "Prendre en compte",
    OfficeDecision.ACCEPT: "Accepter",
    OfficeDecision.REFUSE: "Refuser",
    OfficeDecision.GRANT_EXEMPTION: "Exemption accordée",
}
DECISION_DONE_FR = {
    OfficeDecision.ACKNOWLEDGE: "prise en compte",
    OfficeDecision.ACCEPT: "acceptée",
    OfficeDecision.REFUSE: "refusée",
    OfficeDecision.GRANT_EXEMPTION: "exemption accordée (justificatif médical reçu)",
}
#: What the client reads about the office's outcome (« Votre demande … a été … »).
OUTCOME_LABELS_FR = {
    Outcome.ACCEPTED: "acceptée par le bureau de secteur",
    Outcome.REFUSED: "refusée par le bureau de secteur",
    Outcome.EXEMPTION_GRANTED: ("acceptée par le bureau de secteur, sans facturation "
                                "(justificatif médical reçu)"),
}
REFUSAL_LABELS_FR = {
    RefusalReason.SLOT_UNAVAILABLE: "aucun intervenant disponible sur ce créneau",
    RefusalReason.TOO_LATE: "délai de prévenance dépassé",
    RefusalReason.ALREADY_DONE: "intervention déjà réalisée",
    RefusalReason.DUPLICATE: "demande en double",
    RefusalReason.OTHER: "autre motif",
}

REASON_LABELS_FR = {
    ReasonCategory.PERSONNEL: "raison personnelle",
    ReasonCategory.HOSPITALISATION: "hospitalisation",
    ReasonCategory.MALADIE: "maladie",
    ReasonCategory.AUTRE: "autre raison",
}

CHANNEL_LABELS_FR = {
    Channel.WEB: "site web",
    Channel.PHONE: "téléphone",
}

OUTBOX_STATUS_LABELS_FR = {
    OutboxStatus.PENDING: "en attente",
    OutboxStatus.SENDING: "en cours d'envoi",
    OutboxStatus.DELIVERED: "remis",
    OutboxStatus.DEAD: "abandonné",
}

#: What a caller wants to be called back about (staff screen, issue 21).
CALLBACK_TOPIC_LABELS_FR = {
    CallbackTopic.ANNULATION: "Annulation",
    CallbackTopic.CHANGEMENT: "Changement d'horaire",
    CallbackTopic.FACTURATION: "Facturation",
    CallbackTopic.AUTRE: "Autre sujet",
}

#: Why a question counts as not answered (staff screen, issue 21).
UNANSWERED_KIND_LABELS_FR = {
    UnansweredKind.FALLBACK: "non comprise",
    UnansweredKind.OUT_OF_SCOPE: "hors sujet",
    UnansweredKind.THUMBS_DOWN: "réponse jugée pas utile",
}

#: The consequence of cancelling or changing an intervention right now (caller's file;
#: computed by bot.domain.rule_labels, ``{when}`` is :func:`format_datetime`).
CANCEL_FREE_UNTIL_FR = "Annulation gratuite jusqu'à {when}"
CANCEL_BILLED_FR = "Annulation facturée (moins de 48 h avant)"
CHANGE_UNTIL_FR = "Changement possible jusqu'au {when}"
CHANGE_LATE_FR = "Changement hors délai (moins de 10 jours avant)"


# --- dates, hours, durations ------------------------------------------------------------------

def to_paris(value: datetime) -> datetime:
    """Return ``value`` in Europe/Paris; refuse naive datetimes (ambiguous by nature)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: a timezone-aware datetime is required")
    return value.astimezone(PARIS)


def format_date(value: datetime, with_year: bool = False) -> str:
    """'jeudi 5 mars', 'dimanche 1er mars' (optionally '... 2026')."""
    d = to_paris(value)
    day = "1er" if d.day == 1 else str(d.day)
    text = f"{DAYS[d.weekday()]} {day} {MONTHS[d.month - 1]}"
    if with_year:
        text += f" {d.year}"
    return text


def hour_words(hours: int, minutes: int) -> str:
    """'9 h', '15 h 30', '0 h 05': the one way an hour (or hours) is written."""
    return f"{hours} h" if minutes == 0 else f"{hours} h {minutes:02d}"


def format_time(value: datetime) -> str:
    """'9 h', '15 h 30', '0 h 05'."""
    d = to_paris(value)
    return hour_words(d.hour, d.minute)


def format_datetime(value: datetime, with_year: bool = False) -> str:
    """'jeudi 5 mars à 9 h'."""
    return f"{format_date(value, with_year)} à {format_time(value)}"


def format_slot(start: datetime, end: datetime, with_year: bool = False) -> str:
    """'jeudi 5 mars, 9 h–10 h'; over midnight: 'jeudi 5 mars, 23 h – vendredi 6 mars, 1 h'."""
    s, e = to_paris(start), to_paris(end)
    if s.date() == e.date():
        return f"{format_date(s, with_year)}, {format_time(s)}–{format_time(e)}"
    return (
        f"{format_date(s, with_year)}, {format_time(s)} – "
        f"{format_date(e, with_year)}, {format_time(e)}"
    )


def format_duration(value: timedelta) -> str:
    """'45 minutes', '1 h', '1 h 30', '2 jours', '2 jours et 3 h'."""
    total_minutes = int(value.total_seconds() // 60)
    if total_minutes < 0:
        raise ValueError("negative duration")
    if total_minutes < 60:
        return "1 minute" if total_minutes == 1 else f"{total_minutes} minutes"
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    hm = hour_words(hours, minutes) if hours or minutes else ""
    if days == 0:
        return hm
    day_text = "1 jour" if days == 1 else f"{days} jours"
    return f"{day_text} et {hm}" if hm else day_text
