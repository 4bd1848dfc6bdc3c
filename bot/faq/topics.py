"""What the assistant can talk about, with the short French titles shown on buttons.

One registry shared by the NLU component (button shortcuts), the custom actions
(clarification buttons) and the tests (every topic has an answer in domain.yml).
"""
from __future__ import annotations

from typing import Dict, Optional

RETRIEVAL_INTENT = "faq"

#: FAQ sub-intent -> button title (French, short).  Order follows the FAQ page.
FAQ_TOPICS: Dict[str, str] = {
    "getting_started": "Démarrer les interventions",
    "same_caregiver": "Toujours le même intervenant ?",
    "caregiver_absent": "Si l'intervenant est absent",
    "client_absent": "Si je suis absent",
    "direct_hiring": "Embaucher l'intervenant directement",
    "change_schedule": "Modifier les horaires",
    "minimum_duration": "Durée minimale",
    "one_off_services": "Prestations ponctuelles",
    "payment_methods": "Moyens de paiement",
    "invoices": "Recevoir mes factures",
}

#: Other intents worth offering as a guess, with their button titles.
OTHER_GUESSES: Dict[str, str] = {
    "request_cancellation": "Annuler une intervention",
    "request_schedule_change": "Déplacer une intervention",
    "ask_request_status": "Où en est ma demande ?",
    "human_handoff": "Parler à une personne",
}

#: Button payloads that select an FAQ answer directly ("faq:payment_methods").
#: They deliberately do not start with "/" so that Rasa's regex message handler
#: leaves them to our NLU component, which fills the response selector itself.
FAQ_PAYLOAD_PREFIX = "faq:"


def faq_payload(topic: str) -> str:
    return f"{FAQ_PAYLOAD_PREFIX}{topic}"


def topic_from_payload(text: str) -> Optional[str]:
    text = (text or "").strip()
    if text.startswith(FAQ_PAYLOAD_PREFIX):
        topic = text[len(FAQ_PAYLOAD_PREFIX):]
        if topic in FAQ_TOPICS:
            return topic
    return None
