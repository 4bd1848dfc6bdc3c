"""The request forms' sentences: choosing an intervention, cancelling one, changing its
schedule, and the end of a request."""
from __future__ import annotations

from datetime import time
from typing import List, Optional

from bot.domain.fr_format import format_date, format_slot, hour_words
from bot.domain.model import Intervention

from bot.chat.wording.common import KIND_WORDS, REASONS, payload

# --- choosing an intervention -------------------------------------------------------------

def intervention_title(i: Intervention) -> str:
    text = format_slot(i.start, i.end)
    if i.caregiver:
        text += f" ({i.caregiver})"
    return text


def intervention_buttons(items: List[Intervention]) -> List[dict]:
    return [{"title": intervention_title(i), "payload": payload(intervention_id=i.external_id)}
            for i in items]


def ask_intervention(kind: str, narrowed: bool) -> str:
    if narrowed:
        return "Laquelle de ces interventions voulez-vous " + KIND_WORDS[kind] + " ?"
    return (f"Quelle intervention voulez-vous {KIND_WORDS[kind]} ? Choisissez-la ci-dessous "
            "ou dites-moi son jour et son heure (par exemple « jeudi » ou « celle de 14 h »).")


def several_match() -> str:
    return "Plusieurs interventions correspondent."


def none_match(what: Optional[str]) -> str:
    if what:
        return f"Je ne trouve aucune intervention {what} dans votre planning."
    return "Je ne trouve aucune intervention correspondante dans votre planning."


def date_passed() -> str:
    return "Cette date est déjà passée : une intervention passée ne peut plus être modifiée."


def chosen(i: Intervention) -> str:
    return f"C'est noté : l'intervention du {intervention_title(i)}."


# --- cancellation ----------------------------------------------------------------------------

def ask_reason() -> str:
    return "Pour quelle raison annulez-vous ? (Indiquez seulement la catégorie.)"


def reason_buttons() -> List[dict]:
    return [{"title": title, "payload": payload(cancellation_reason=key)}
            for key, title in REASONS.items()]


def cancellation_recap(i: Intervention, reason: str, decision_message: str) -> str:
    return (f"{decision_message}\nRécapitulatif : annulation de l'intervention du "
            f"{intervention_title(i)}, motif : {REASONS[reason].lower()}.")


def confirm_question(out_of_notice_change: bool = False) -> str:
    if out_of_notice_change:
        return ("Voulez-vous tout de même envoyer cette demande hors délai au bureau de "
                "secteur ? (oui / non)")
    return "Confirmez-vous cette demande ? (oui / non)"


def confirm_buttons(out_of_notice_change: bool = False) -> List[dict]:
    yes = "Oui, l'envoyer" if out_of_notice_change else "Oui, je confirme"
    return [{"title": yes, "payload": "/affirm"}, {"title": "Non", "payload": "/deny"}]


# --- schedule change -------------------------------------------------------------------------

def ask_new_date(i: Intervention) -> str:
    return (f"L'intervention a lieu le {intervention_title(i)}. Quel jour souhaitez-vous "
            "à la place ? (par exemple « jeudi », « le 12 » ou « même jour »)")


def same_day_button(i: Intervention) -> List[dict]:
    return [{"title": f"Le même jour ({format_date(i.start)})",
             "payload": payload(new_date=i.start.date().isoformat())}]


PART_OF_DAY_WORDS = {"morning": "le matin", "afternoon": "l'après-midi", "evening": "le soir",
                     "night": "la nuit"}


def ask_new_day() -> str:
    return "Quel jour souhaitez-vous ?"


def please_clarify() -> str:
    return "Pouvez-vous préciser ?"


def ask_new_start(day_words: Optional[str], part_words: Optional[str] = None) -> str:
    day_words = day_words or "jour choisi"
    if part_words:
        return f"À quelle heure {part_words}, le {day_words} ? (par exemple « 15 h 30 »)"
    return f"À quelle heure doit commencer l'intervention du {day_words} ? (par exemple « 15 h 30 »)"


def ask_new_end(start: Optional[time]) -> str:
    start_words = hour_words(start.hour, start.minute) if start else "l'heure choisie"
    return (f"Jusqu'à quelle heure, à partir de {start_words} ? Donnez l'heure de fin "
            "(« jusqu'à 11 h ») ou la durée (« une heure », « 1 h 30 »). "
            "Une intervention dure au moins 45 minutes.")


def same_duration_button(duration_words: str, end_value: str) -> List[dict]:
    return [{"title": f"Même durée qu'aujourd'hui ({duration_words})",
             "payload": payload(new_end_time=end_value)}]


def change_recap(old: Intervention, new_start, new_end, decision_message: str) -> str:
    return (f"{decision_message}\nRécapitulatif : {format_slot(old.start, old.end)} → "
            f"{format_slot(new_start, new_end)}.")


# --- ending ------------------------------------------------------------------------------

def recorded(reference: str, kind: str, replayed: bool = False) -> str:
    what = ("Votre demande d'annulation" if kind == "cancellation"
            else "Votre demande de changement d'horaire")
    if replayed:
        return (f"{what} était déjà enregistrée (référence {reference}) : je ne l'ai pas "
                "enregistrée une deuxième fois.")
    return (f"{what} est enregistrée (référence {reference}) et sera transmise à votre "
            "bureau de secteur. Notez cette référence : elle vous sera demandée si vous "
            "appelez le bureau.")


def next_steps(kind: str, exemption_pending: bool, out_of_notice: bool) -> Optional[str]:
    if kind == "cancellation" and exemption_pending:
        return ("Pensez à envoyer le justificatif médical à votre bureau de secteur "
                "(pas dans cette conversation) : le bureau décidera de la facturation.")
    if kind == "schedule_change":
        if out_of_notice:
            return ("Le bureau de secteur vous dira s'il peut accepter ce changement hors "
                    "délai ; d'ici là, l'horaire actuel reste prévu.")
        return ("Le bureau de secteur vous confirmera le nouvel horaire ; d'ici là, "
                "l'horaire actuel reste prévu.")
    return None


def not_confirmed() -> str:
    return "D'accord, je n'enregistre rien. Puis-je vous aider autrement ?"


def switched(from_kind: str, to_kind: str) -> str:
    before = "d'annulation" if from_kind == "cancellation" else "de changement d'horaire"
    after = "une annulation" if to_kind == "cancellation" else "un changement d'horaire"
    return (f"D'accord, je laisse la demande {before} : rien n'a été enregistré. "
            f"Passons à {after}.")


def abandoned() -> str:
    return "D'accord, j'arrête : aucune demande n'a été enregistrée."


def situation_changed(message: str) -> str:
    return (f"Entre-temps, la situation a changé : {message} Je n'ai rien enregistré ; "
            "si vous le souhaitez, refaites votre demande.")
