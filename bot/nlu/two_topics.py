"""Questions that mix two FAQ topics (« changer ou annuler ? »): find both, answer both.

Pure functions over label distributions (no Rasa), shared by the Rasa component
(``bot.nlu.linear_classifier``) and the cross-validation (``bot.nlu.crossval``).

A whole-message classifier sees one question: on « Toujours la même auxiliaire ? Et si
elle tombe malade ? » it picks one topic, often with confidence, and the other half of
the question goes unanswered.  So the message is cut into clauses (at « ? », « ; »,
« , », « et », « ou », « mais », « puis »), each clause is classified by the same model,
and when two clauses are each sure (at the FAQ answer threshold) of two different FAQ
topics while the whole message is an FAQ question, the two answers are given.
"""
from __future__ import annotations

import re
from typing import Dict, List, Sequence

#: where a question may turn to another topic
_CUTS = re.compile(r"[?;,!]|\s(?:et|ou|mais|puis|sinon)\s", re.IGNORECASE)
#: a clause shorter than this (in words) says too little to be classified alone
MIN_WORDS = 2
#: a message cut into more clauses than this is not a two-topic question
MAX_CLAUSES = 6


def clauses(text: str) -> List[str]:
    """The clauses of a message worth classifying alone; [] when it has fewer than two."""
    if (text or "").lstrip().startswith("/"):  # a button payload (/inform{...}), not a question
        return []
    parts = [p.strip(" .'\"«»-") for p in _CUTS.split(text or "")]
    parts = [p for p in parts if len(p.split()) >= MIN_WORDS]
    return parts if 2 <= len(parts) <= MAX_CLAUSES else []


def may_mix(whole: Dict[str, float], retrieval_intent: str = "faq") -> bool:
    """Whether the message as a whole is an FAQ question (its FAQ topics hold most of the
    probability): only then are its clauses worth classifying."""
    prefix = retrieval_intent + "/"
    return sum(p for k, p in whole.items() if k.startswith(prefix)) >= 0.5


def pair_from(whole: Dict[str, float], per_clause: Sequence[Dict[str, float]], threshold: float,
              retrieval_intent: str = "faq") -> List[str]:
    """The two FAQ answer keys of a two-topic question, most probable first, or [].

    ``whole``: the message's label distribution; ``per_clause``: each clause's.  A clause
    counts when its best label is an FAQ topic with probability >= ``threshold`` (the FAQ
    answer threshold: each half must be as sure as a single answer would be); the whole
    message must be an FAQ question (its FAQ topics hold most of the probability).
    """
    prefix = retrieval_intent + "/"
    if not may_mix(whole, retrieval_intent):
        return []
    sure: Dict[str, float] = {}
    for distribution in per_clause:
        if not distribution:
            continue
        label = max(distribution, key=distribution.get)
        if label.startswith(prefix) and distribution[label] >= threshold:
            sure[label] = max(sure.get(label, 0.0), distribution[label])
    if len(sure) < 2:
        return []
    ranked = sorted(sure, key=lambda k: (whole.get(k, 0.0), sure[k]), reverse=True)
    return ranked[:2]
