"""Words shared by every conversation: buttons' payloads, how to reach a person, who you
are, what a misunderstood or malformed message gets."""
from __future__ import annotations

import json
from typing import Dict, List

from bot.domain.fr_format import REASON_LABELS_FR
from bot.settings import contact_settings


#: reason value -> button title (« Raison personnelle »); the labels are the model's
REASONS: Dict[str, str] = {reason.value: label.capitalize()
                           for reason, label in REASON_LABELS_FR.items()}

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

def who_are_you(purpose: str) -> str:
    return (f"{purpose}, je dois savoir qui vous êtes : connectez-vous à votre espace client "
            "sur le site d'AMPER, puis écrivez-moi depuis cette page. Vous pouvez aussi "
            f"{contact_infinitive()}.")


def login_needed(kind: str) -> str:
    return (who_are_you(f"Pour {KIND_WORDS[kind]} une intervention")
            + " Je reste disponible pour vos questions.")


def session_lost() -> str:
    return ("Je ne parviens plus à vérifier votre identité (votre session a peut-être expiré) : "
            "je m'arrête là, rien n'a été enregistré. Reconnectez-vous à votre espace client "
            f"pour reprendre, ou {contact()}.")


def taken_over() -> str:
    """A request form started by someone else (another client or another staff member):
    says nothing of it, not even its kind."""
    return "Cette conversation a été reprise : recommençons."


def what_next() -> str:
    """After :func:`taken_over`, when the newcomer has not asked for a request."""
    return ("Que souhaitez-vous faire ? Je peux annuler ou déplacer une de vos interventions, "
            "ou répondre à vos questions.")


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
    """A turn that produced no answer (an action failed on its way, an instance stopped):
    nothing of it was recorded twice, so sending it again is safe."""
    return ("Désolé, je n'ai pas pu traiter votre message. Réessayez dans un instant, ou "
            f"reformulez-le. Vous pouvez aussi {contact_infinitive()}.")
