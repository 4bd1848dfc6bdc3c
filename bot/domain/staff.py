"""What the phone-line staff's screen works on (issue 21, docs/staff-contract.md): a client
found by a search, a question the assistant could not answer, a callback request.  Plain
values, no I/O."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Optional, Tuple

from bot.domain.model import RequestStatus, _StrEnum


class UnansweredKind(_StrEnum):
    """Why a client's question counts as not answered."""

    FALLBACK = "fallback"          # the assistant did not understand it
    OUT_OF_SCOPE = "out_of_scope"  # understood as outside what it answers
    THUMBS_DOWN = "thumbs_down"    # answered, and the client said « pas utile »


class CallbackTopic(_StrEnum):
    """What a caller wants to be called back about (French words: fr_format)."""

    ANNULATION = "annulation"
    CHANGEMENT = "changement"
    FACTURATION = "facturation"
    AUTRE = "autre"


#: The topic of a question labelled as something the FAQ does not cover yet.
NEW_TOPIC = "nouveau"


@dataclass(frozen=True)
class ClientSummary:
    """A client as the staff's search lists it (``email`` only in the caller's file)."""

    number: str
    name: str
    phone: Optional[str]
    sector: str
    email: Optional[str] = None


@dataclass(frozen=True)
class UnansweredQuestion:
    """One question, already masked (no digits, e-mail addresses or planning names); only
    the day it was asked is kept."""

    id: int
    text: str
    kind: UnansweredKind
    asked_on: date
    topic: Optional[str] = None        # "faq/<key>" or "nouveau", given by staff
    labelled_by: Optional[str] = None  # the staff login that labelled it


@dataclass(frozen=True)
class Callback:
    """A caller who asked to be called back, taken by a staff member on the phone; forwarded
    to the client's sector office like a request (its messages written in the same
    transaction, delivered by the dispatcher: ``received``, then ``forwarded`` once all are
    delivered).  Deleted with its messages ``AMPER_RETENTION_CALLBACKS_DAYS`` days after
    ``created_at`` once they are all delivered or dead (docs/privacy.md)."""

    reference: str          # RAP-YYYY-NNNNN
    client_number: str
    sector: str
    phone: str
    best_time: str
    topic: CallbackTopic
    actor: str              # the staff login that took the call
    created_at: datetime
    status: RequestStatus = RequestStatus.RECEIVED
    client_name: Optional[str] = None
    id: Optional[int] = None


@dataclass(frozen=True)
class QuestionGroup:
    """Similar unanswered questions (bot.domain.similarity), for the office to see what the
    FAQ lacks.  ``id`` is the id of the group's first (most frequent) question."""

    id: int
    example: str
    count: int
    first: date
    last: date
    kinds: Tuple[Tuple[str, int], ...]
    questions: Tuple[UnansweredQuestion, ...] = field(default_factory=tuple)

    @property
    def kind_counts(self) -> dict:
        return dict(self.kinds)
