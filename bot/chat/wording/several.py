"""Cancelling several interventions at once (« toute la semaine prochaine »)."""
from __future__ import annotations

from typing import List

from bot.domain.model import Intervention
from bot.domain.rules import Code

from bot.chat.wording.common import REASONS, contact_infinitive, payload
from bot.chat.wording.requests import intervention_title

# --- several interventions cancelled at once ("toute la semaine prochaine") -----------------

#: Button value (intervention_id) for "all the interventions listed".
ALL_LISTED = "toutes"

#: A short consequence per decision code, for the group recap.
_GROUP_CONSEQUENCES = {
    Code.CANCELLATION_FREE: "plus de 48 h avant, annulation gratuite",
    Code.CANCELLATION_BILLABLE: "moins de 48 h avant, annulation facturée",
    Code.CANCELLATION_EXEMPTION_PENDING: ("moins de 48 h avant, non facturée sur justificatif "
                                       "médical (le bureau décidera)"),
}


def several_to_cancel(count: int) -> str:
    return f"Plusieurs interventions correspondent ({count})."


def ask_which_or_all() -> str:
    return "Laquelle de ces interventions voulez-vous annuler ? Vous pouvez aussi toutes les annuler."


def all_button(count: int) -> List[dict]:
    title = "Les deux" if count == 2 else f"Toutes les {count}"
    return [{"title": title, "payload": payload(intervention_id=ALL_LISTED)}]


def too_many_at_once(count: int, limit: int) -> str:
    return (f"Cela fait {count} interventions : au-delà de {limit} à la fois, votre binôme de "
            f"secteur organise l'arrêt avec vous. Vous pouvez {contact_infinitive()}. "
            "Ici, je peux aussi en annuler une à la fois.")


def _left_out(why: str, items: List[Intervention]) -> str:
    listed = " ; ".join(intervention_title(i) for i in items)
    return f"{why} : {listed}. Je {'la' if len(items) == 1 else 'les'} laisse de côté."


def already_requested_left_out(items: List[Intervention]) -> str:
    return _left_out("Une annulation est déjà demandée pour", items)


def not_cancellable_left_out(items: List[Intervention]) -> str:
    what = ("Cette intervention ne peut plus être annulée" if len(items) == 1
            else "Ces interventions ne peuvent plus être annulées")
    return _left_out(f"{what} ici", items)


def group_recap(items: List[Intervention], codes: List[str], reason: str) -> str:
    lines = [f"Récapitulatif : annulation de {len(items)} interventions, motif : "
             f"{REASONS[reason].lower()}."]
    lines += [f"- {intervention_title(i)} : {_GROUP_CONSEQUENCES.get(code, code)}"
              for i, code in zip(items, codes)]
    billed = codes.count(Code.CANCELLATION_BILLABLE)
    if billed:
        lines.append(f"{billed} sur {len(items)} seront facturées (prévenues moins de 48 h avant)."
                     if billed > 1 else
                     f"1 sur {len(items)} sera facturée (prévenue moins de 48 h avant).")
    if Code.CANCELLATION_EXEMPTION_PENDING in codes:
        lines.append("Pour celles à moins de 48 h, envoyez le justificatif médical à votre "
                     "bureau de secteur, jamais dans cette conversation.")
    return "\n".join(lines)


def nothing_to_cancel() -> str:
    return ("Aucune de ces interventions ne peut être annulée ici : je n'ai rien enregistré. "
            f"Pour en parler, vous pouvez {contact_infinitive()}.")


def group_changed() -> str:
    return "le délai de 48 heures est désormais dépassé pour au moins une de ces interventions."


def recorded_group(references: List[str], replayed: bool = False) -> str:
    refs = ", ".join(references)
    if replayed:
        return (f"Vos demandes d'annulation étaient déjà enregistrées (références {refs}) : "
                "je ne les ai pas enregistrées une deuxième fois.")
    return (f"Vos {len(references)} demandes d'annulation sont enregistrées (références {refs}) "
            "et seront transmises à votre bureau de secteur. Notez ces références : elles "
            "vous seront demandées si vous appelez le bureau.")
