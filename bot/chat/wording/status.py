"""« Où en est ma demande ? »: the client's requests and their state."""
from __future__ import annotations

from typing import List

from bot.domain.fr_format import format_slot

from bot.chat.wording.common import contact, who_are_you

# --- "où en est ma demande ?" ----------------------------------------------------------------

def status_login_needed() -> str:
    return who_are_you("Pour vous dire où en sont vos demandes")


def no_requests() -> str:
    return ("Je ne trouve aucune demande d'annulation ou de changement d'horaire à votre nom. "
            "Pour en faire une, dites-moi simplement ce que vous souhaitez.")


def request_not_found(reference: str) -> str:
    return (f"Je ne trouve pas de demande {reference} à votre nom. Vérifiez la référence "
            f"(elle commence par AMP-), ou {contact()}.")


def request_subject(request) -> str:
    """« AMP-2026-000012 (annulation de l'intervention du jeudi 19 mars, 9 h – 10 h) »"""
    what = "l'intervention"
    if request.intervention_start and request.intervention_end:
        what += f" du {format_slot(request.intervention_start, request.intervention_end)}"
    if request.kind == "cancellation":
        action = f"annulation de {what}"
    else:
        action = f"changement d'horaire de {what}"
        if request.new_start and request.new_end:
            action += f", vers le {format_slot(request.new_start, request.new_end)}"
    return f"{request.reference} ({action})"


def request_statuses(items: List[tuple], refused: bool) -> str:
    """``items``: (request, label) pairs, newest first."""
    if len(items) == 1:
        request, label = items[0]
        text = f"Votre demande {request_subject(request)} est {label}."
    else:
        text = "Vos dernières demandes :\n" + "\n".join(
            f"• {request_subject(request)} : {label}." for request, label in items)
    if refused:
        text += f"\nPour savoir pourquoi une demande a été refusée, {contact()}."
    return text
