"""Clarification when the assistant is unsure: the best guesses, as buttons.

Pure functions over Rasa's parse data (a dict), so they are tested without Rasa.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping

from bot.faq.topics import FAQ_TOPICS, OTHER_GUESSES, RETRIEVAL_INTENT, faq_payload

#: said before the two answers to a question that mixes two FAQ topics
TWO_TOPICS = "Votre question porte sur deux sujets : voici les deux réponses."


@dataclass(frozen=True)
class Guess:
    title: str
    payload: str
    confidence: float


def best_guesses(parse_data: Mapping[str, Any], limit: int = 2) -> List[Guess]:
    """The ``limit`` most likely things the user meant, most likely first.

    An FAQ guess is the probability of the ``faq`` intent times the response
    selector's probability for that answer; other guesses are the intents the
    assistant can act on (small talk and out-of-scope are never offered).
    """
    guesses: Dict[str, Guess] = {}
    for entry in parse_data.get("intent_ranking") or []:
        name = entry.get("name")
        confidence = float(entry.get("confidence") or 0.0)
        if name == RETRIEVAL_INTENT:
            for topic, topic_conf in _faq_ranking(parse_data):
                payload = faq_payload(topic)
                guesses[payload] = Guess(FAQ_TOPICS[topic], payload, confidence * topic_conf)
        elif name in OTHER_GUESSES:
            payload = f"/{name}"
            guesses[payload] = Guess(OTHER_GUESSES[name], payload, confidence)
    ranked = sorted(guesses.values(), key=lambda g: g.confidence, reverse=True)
    return ranked[:limit]


def _faq_ranking(parse_data: Mapping[str, Any]) -> Iterable[tuple]:
    selector = (parse_data.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    for entry in selector.get("ranking") or []:
        key = entry.get("intent_response_key") or ""
        topic = key.split("/", 1)[1] if "/" in key else ""
        if topic in FAQ_TOPICS:
            yield topic, float(entry.get("confidence") or 0.0)


def faq_pair(parse_data: Mapping[str, Any]) -> List[str]:
    """The two FAQ answer keys of a two-topic question (set by FaqGate), else []."""
    pair = parse_data.get("faq_pair") or []
    valid = [k for k in pair if isinstance(k, str) and k.split("/", 1)[-1] in FAQ_TOPICS
             and k.startswith(RETRIEVAL_INTENT + "/")]
    return valid if len(valid) == 2 else []


def consecutive_misses(events: List[Mapping[str, Any]], fallback_intent: str = "nlu_fallback") -> int:
    """How many of the latest user messages in a row were not understood."""
    count = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        parse_data = event.get("parse_data") or {}
        intent = (parse_data.get("intent") or {}).get("name")
        if intent != fallback_intent or faq_pair(parse_data):  # both answers given: understood
            break
        count += 1
    return count
