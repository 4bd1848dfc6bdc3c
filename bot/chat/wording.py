"""Every sentence of the request flows, in French (vouvoiement, short).

Functions only assemble words; they decide nothing.
"""
from __future__ import annotations

import json
from datetime import time
from typing import Dict, List, Optional

from bot.domain.fr_format import format_date, format_slot, hour_words
from bot.domain.model import Intervention
from bot.domain.rules import Code
from bot.settings import contact_settings

REASONS: Dict[str, str] = {
    "personnel": "Raison personnelle",
    "hospitalisation": "Hospitalisation",
    "maladie": "Maladie",
    "autre": "Autre raison",
}

KIND_WORDS = {"cancellation": "annuler", "schedule_change": "déplacer"}


def payload(**entities: str) -> str:
    """A button payload that Rasa reads as intent ``inform`` with these entities."""
    return "/inform" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


def contact() -> str:
    """« appelez le bureau… » (an imperative)."""
    return contact_settings().sentence()


def contact_infinitive() -> str:
    """« appeler le bureau… », after « Vous pouvez aussi »."""
    return contact_settings().infinitive()


def office_phone() -> str:
    return contact_settings().phone


# --- identity and access -------------------------------------------------------------------

def _who_are_you(purpose: str) -> str:
    return (f"{purpose}, je dois savoir qui vous êtes : connectez-vous à votre espace client "
            "sur le site d'AMPER, puis écrivez-moi depuis cette page. Vous pouvez aussi "
            f"{contact_infinitive()}.")


def login_needed(kind: str) -> str:
    return (_who_are_you(f"Pour {KIND_WORDS[kind]} une intervention")
            + " Je reste disponible pour vos questions.")


def session_lost() -> str:
    return ("Je ne parviens plus à vérifier votre identité (votre session a peut-être expiré) : "
            "je m'arrête là, rien n'a été enregistré. Reconnectez-vous à votre espace client "
            f"pour reprendre, ou {contact()}.")


def no_upcoming(kind: str) -> str:
    return (f"Je ne vois aucune intervention à venir dans votre planning : il n'y a rien à "
            f"{KIND_WORDS[kind]}. Pour toute question, {contact()}.")


def store_down_reading() -> str:
    return ("Je n'arrive pas à consulter votre planning pour le moment. Merci de réessayer "
            f"plus tard ou d'appeler le bureau au {office_phone()}.")


def store_down_recording() -> str:
    return ("Désolé, votre demande n'a pas pu être enregistrée : le service est "
            "momentanément indisponible. Rien n'a été transmis. Merci de réessayer plus tard "
            f"ou d'appeler le bureau au {office_phone()}.")


def acting_for(client_number: str) -> str:
    return f"Vous agissez pour le client n° {client_number} (demande par téléphone)."


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


# --- misunderstandings -----------------------------------------------------------------------

EXPECTED = {
    "intervention_id": "choisissez l'intervention avec un bouton, ou donnez son jour et son "
                       "heure (« demain », « jeudi », « le 12 », « celle de 14 h »)",
    "cancellation_reason": "choisissez un motif : raison personnelle, hospitalisation, maladie "
                           "ou autre (la catégorie suffit)",
    "new_date": "donnez le nouveau jour (« jeudi », « le 12 », « le 12/03 », « même jour »)",
    "new_start_time": "donnez l'heure de début (« 15 h 30 », « à 9 h »)",
    "new_end_time": "donnez l'heure de fin (« jusqu'à 11 h ») ou la durée (« une heure », "
                    "« 1 h 30 »)",
    "confirmed": "répondez « oui » pour envoyer la demande ou « non » pour l'abandonner",
}


def not_understood(slot: str) -> str:
    # "Merci de choisissez" is not French: the hint is an imperative
    return f"Je n'ai pas compris : {EXPECTED[slot]}."


def explain_and_offer_office(slot: str) -> str:
    return (f"Je n'arrive toujours pas à comprendre, désolé. Ce qu'il me faut : "
            f"{EXPECTED[slot]}. Vous pouvez aussi dire « stop » pour arrêter, ou, si vous "
            f"préférez en parler à une personne, {contact()}.")


def handoff_button() -> List[dict]:
    return [{"title": "Parler à une personne", "payload": "/human_handoff"},
            {"title": "Arrêter", "payload": "/stop"}]


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


# --- "où en est ma demande ?" ----------------------------------------------------------------

def status_login_needed() -> str:
    return _who_are_you("Pour vous dire où en sont vos demandes")


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


# --- the chat channel (what a malformed or unanswered message gets) ------------------------

def input_not_an_object() -> str:
    return ("Requête invalide : envoyez un objet JSON avec « sender » (identifiant de "
            "conversation) et « message » (votre texte).")


def input_bad_sender(max_chars: int) -> str:
    return (f"Identifiant de conversation invalide : un texte de 1 à {max_chars} caractères "
            "est attendu.")


def input_not_text() -> str:
    return "Votre message doit être un texte."


def input_empty() -> str:
    return "Votre message est vide : écrivez votre question."


def input_too_long(max_chars: int) -> str:
    return (f"Votre message est trop long ({max_chars:,} caractères au plus).".replace(",", " ")
            + " Pouvez-vous le raccourcir ou le découper ?")


def input_bad_metadata() -> str:
    return "Requête invalide : « metadata » doit être un objet JSON de petite taille."


def actions_unavailable() -> str:
    return ("Désolé, je ne peux pas traiter de demande d'annulation ou de changement pour le "
            "moment : le service est momentanément indisponible. Merci de réessayer dans "
            f"quelques minutes ou d'appeler le bureau au {office_phone()}. "
            "Je peux toujours répondre à vos questions sur nos services.")


def no_reply() -> str:
    return ("Désolé, je n'ai pas pu traiter votre message. Pouvez-vous le reformuler ? "
            f"Vous pouvez aussi {contact_infinitive()}.")
