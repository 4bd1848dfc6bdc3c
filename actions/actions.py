"""Custom actions: thin adapters between Rasa and the ``bot`` package."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.faq.clarify import TWO_TOPICS, best_guesses, consecutive_misses, faq_pair
from bot.settings import contact_settings


class ActionClarify(Action):
    """A two-topic question: both answers. First miss: "did you mean" with the two best
    guesses. Second miss: a person."""

    def name(self) -> Text:
        return "action_clarify"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        pair = faq_pair(tracker.latest_message or {})
        if pair:
            dispatcher.utter_message(text=TWO_TOPICS)
            for key in pair:
                dispatcher.utter_message(response=f"utter_{key}")
            return []
        misses = consecutive_misses(tracker.events)
        guesses = best_guesses(tracker.latest_message or {})
        if misses % 2 == 0 or not guesses:
            if misses % 2 == 0:
                dispatcher.utter_message(
                    text=(
                        "Je ne suis toujours pas sûr de vous comprendre, désolé. "
                        f"Pour en parler avec une personne, {contact_settings().sentence()}."
                    )
                )
            else:
                dispatcher.utter_message(
                    text=(
                        "Je n'ai pas bien compris. Pouvez-vous reformuler en quelques mots ? "
                        "Par exemple : « Quels sont les moyens de paiement ? »"
                    )
                )
            return []
        buttons = [{"title": g.title, "payload": g.payload} for g in guesses]
        buttons.append({"title": "Autre chose", "payload": "/deny"})
        dispatcher.utter_message(text="Vouliez-vous dire :", buttons=buttons)
        return []


class ActionHandoff(Action):
    """How to reach a person at AMPER."""

    def name(self) -> Text:
        return "action_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            text=(
                "Je suis un assistant automatique. Pour parler à une personne, "
                f"{contact_settings().sentence()} : votre binôme de secteur vous répondra."
            )
        )
        return []
