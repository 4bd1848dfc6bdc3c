"""Errors of the request store and its services, raised by the service layer and the
planning import adapter.  They depend on the domain only, so every layer may raise and
catch them.  Each carries a short French ``message`` that can be shown to the user as is,
and a stable ``code``."""
from __future__ import annotations

from typing import List, Optional, Tuple

from bot.domain.fr_format import format_datetime
from bot.domain.model import Request, RequestKind
from bot.domain.rules import Decision


class ServiceError(Exception):
    code = "error"
    message = "Une erreur est survenue."

    def __init__(self, message: Optional[str] = None, code: Optional[str] = None):
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        super().__init__(self.message)


class InvalidInput(ServiceError):
    code = "invalid_input"


class InterventionNotFound(ServiceError):
    code = "intervention_not_found"
    message = "Cette intervention ne figure pas dans votre planning."


class RequestNotFound(ServiceError):
    code = "request_not_found"

    def __init__(self, reference: str):
        super().__init__(f"Aucune demande ne porte la référence {reference}.")
        self.reference = reference


class RuleRefused(ServiceError):
    """The rules forbid recording this request (past / cancelled / other client's
    intervention, invalid slot...).  ``decision`` holds the details."""

    def __init__(self, decision: Decision):
        super().__init__(decision.message, decision.code)
        self.decision = decision


class OutOfNoticeNotConfirmed(ServiceError):
    """A schedule change under 10 days may only be recorded once the client has been told
    it may be refused (call again with ``accept_out_of_notice=True``)."""

    code = "out_of_notice_not_confirmed"

    def __init__(self, decision: Decision):
        super().__init__(decision.message)
        self.decision = decision


class AlreadyRequested(ServiceError):
    """An open request of the same kind already exists for this intervention."""

    code = "already_requested"

    def __init__(self, existing: Request):
        what = ("Une demande d'annulation" if existing.kind == RequestKind.CANCELLATION
                else "Une demande de changement d'horaire")
        when = ""
        if existing.intervention_start is not None:
            when = f" pour l'intervention du {format_datetime(existing.intervention_start)}"
        super().__init__(f"{what} est déjà en cours{when} (référence {existing.reference}).")
        self.existing = existing
        self.reference = existing.reference


class InvalidTransition(ServiceError):
    code = "invalid_transition"


class StoreUnavailable(ServiceError):
    """The database cannot be reached (or stays locked): nothing was recorded."""

    code = "store_unavailable"
    message = ("Le service d'enregistrement est momentanément indisponible : votre demande "
               "n'a pas pu être enregistrée. Merci de réessayer plus tard ou d'appeler "
               "votre bureau de secteur.")


class PlanningImportError(ServiceError):
    """The planning file is rejected as a whole; ``errors`` lists (line number, reason)."""

    code = "planning_rejected"

    def __init__(self, errors: List[Tuple[int, str]], total_lines: int = 0):
        self.errors = errors
        self.total_lines = total_lines
        shown = errors[:200]
        lines = [f"Fichier refusé : {len(errors)} erreur(s), aucune modification appliquée."]
        for line, reason in shown:
            lines.append(f"  ligne {line} : {reason}" if line else f"  {reason}")
        if len(errors) > len(shown):
            lines.append(f"  … et {len(errors) - len(shown)} autre(s) erreur(s).")
        super().__init__("\n".join(lines))


class Conflict(ServiceError):
    """The store refused a write that breaks a uniqueness rule (same idempotency key, a
    second open request for one intervention and kind, a reference taken...): usually a
    concurrent transaction got there first.  Raised by the repository, never shown as is:
    the services look again at what is stored and answer from that."""

    code = "conflict"


class DecisionConflict(ServiceError):
    """The request changed since the office looked at it (another member, the office's own
    system): the decision was not applied.  ``item`` is the request as it is now (set by the
    service for the page)."""

    code = "decision_conflict"

    def __init__(self, message: str, item=None):
        super().__init__(message)
        self.item = item
