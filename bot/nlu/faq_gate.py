"""NLU component: applies the FAQ confidence threshold to the FAQ answer itself.

Rasa's FallbackClassifier only looks at the intent confidence.  A message can be
confidently "faq" while the answer selection hesitates between two topics; giving
the top answer then is the costliest mistake (a wrong fact, said with assurance).
This component, placed after the FallbackClassifier, thresholds the probability of
the chosen answer, P(faq) x P(topic | faq), and turns uncertain messages into
``nlu_fallback`` so the clarification flow asks instead of guessing.

A question that mixes two FAQ topics (« changer ou annuler ? »), each of two clauses
sure of its own topic at this same threshold (bot.nlu.two_topics), gets ``faq_pair``
(the two answer keys) and ``nlu_fallback``: the clarification action gives both answers
instead of one guess.

It also resolves the clarification buttons' payloads (``faq:<topic>``): a click
selects that answer deterministically, without going through the classifiers.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from bot.nlu import two_topics
from bot.nlu.linear_classifier import CLAUSE_DISTRIBUTIONS, DISTRIBUTION
from bot.faq.topics import RETRIEVAL_INTENT, topic_from_payload

logger = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
FAQ_PAIR = "faq_pair"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False
)
class FaqGate(GraphComponent):
    """Falls back when the FAQ answer itself is uncertain; resolves FAQ buttons."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"threshold": 0.5, "two_topics": True, "retrieval_intent": RETRIEVAL_INTENT}

    def __init__(self, config: Dict[Text, Any]) -> None:
        config = {**self.get_default_config(), **config}
        self.threshold = float(config["threshold"])
        self.two_topics = bool(config["two_topics"])
        self.retrieval_intent = config["retrieval_intent"]

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "FaqGate":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            topic = topic_from_payload(message.get("text") or "")
            if topic is not None:
                self._select_topic(message, topic)
            elif not self._two_topics(message):
                self._gate(message)
        return messages

    def _select_topic(self, message: Message, topic: str) -> None:
        key = f"{self.retrieval_intent}/{topic}"
        intent = {"name": self.retrieval_intent, "confidence": 1.0}
        message.set("intent", intent, add_to_output=True)
        message.set("intent_ranking", [dict(intent)], add_to_output=True)
        selector = dict(message.get("response_selector") or {})
        selector.setdefault("all_retrieval_intents", [self.retrieval_intent])
        selector[self.retrieval_intent] = {
            "response": {
                "responses": [],
                "confidence": 1.0,
                "intent_response_key": key,
                "utter_action": f"utter_{key}",
            },
            "ranking": [{"confidence": 1.0, "intent_response_key": key}],
        }
        message.set("response_selector", selector, add_to_output=True)

    def _two_topics(self, message: Message) -> bool:
        if not self.two_topics:
            return False
        pair = two_topics.pair_from(message.get(DISTRIBUTION) or {},
                                    message.get(CLAUSE_DISTRIBUTIONS) or [], self.threshold,
                                    self.retrieval_intent)
        if not pair:
            return False
        message.set(FAQ_PAIR, pair, add_to_output=True)
        self._fall_back(message, float((message.get("intent") or {}).get("confidence") or 0.0))
        return True

    def _gate(self, message: Message) -> None:
        intent = message.get("intent") or {}
        if intent.get("name") != self.retrieval_intent:
            return
        selector = (message.get("response_selector") or {}).get(self.retrieval_intent)
        if not selector:
            return
        # The probability of this very answer: P(faq) x P(topic | faq).
        answer = float(selector.get("response", {}).get("confidence") or 0.0)
        confidence = float(intent.get("confidence") or 0.0) * answer
        if confidence >= self.threshold:
            return
        logger.debug(
            "FAQ answer confidence %.2f below %.2f: falling back", confidence, self.threshold
        )
        self._fall_back(message, confidence)

    @staticmethod
    def _fall_back(message: Message, confidence: float) -> None:
        """``nlu_fallback`` first, the classifier's ranking kept behind it."""
        fallback = {"name": FALLBACK_INTENT, "confidence": confidence}
        message.set("intent", fallback, add_to_output=True)
        ranking = list(message.get("intent_ranking") or [])
        message.set("intent_ranking", [fallback] + ranking, add_to_output=True)
