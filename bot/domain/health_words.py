"""The words that say something about a client's health, in one place.

Read two ways: :func:`bot.chat.understanding.parse_reason` sorts a cancellation reason into
``hospitalisation`` / ``maladie`` with :data:`HOSPITALISATION` and :data:`ILLNESS`; the
tracker store (``bot/adapters/tracker_store.py``) masks, before anything is written to the
conversation database, every message in which :func:`mentions_health` finds one of them
(those two lists plus :data:`MEDICAL_WORDS`, which only the masking uses).

Patterns run on :func:`bot.domain.dates.normalise`'d text (lower case, no accents).
"""
from __future__ import annotations

import re

from bot.domain.dates import normalise

#: a stay in hospital (the reason "hospitalisation")
HOSPITAL_WORDS = r"\bhospitali|\bhopital\b|\bhosto\b|\bclinique\b|\burgences?\b"
#: being ill (the reason "maladie")
ILLNESS_WORDS = (r"\bmalade|\bmaladie|\bgrippe|\bfievre|\bsouffrant|\bcovid|\bgastro"
                 r"|\balite|\bconvalescen|\bopere\b|\boperation\b")
#: other health matters, masked at rest but not read as a reason
MEDICAL_WORDS = (r"\bcancer|\bchimio|\bradiotherap|\btumeur|\bdialyse|\bmetastas|\boper(e|ee|es|ees"
                 r"|er|ation|ations)\b|\bchirurg|\bmedecin|\bmedical|\bdocteur|\bordonnance"
                 r"|\bdiagnostic|\bfracture|\bavc\b|\binfarctus|\bdiabet|\balzheimer|\bparkinson"
                 r"|\bdepression\b|\bsante\b")

HOSPITALISATION = re.compile(HOSPITAL_WORDS)
ILLNESS = re.compile(ILLNESS_WORDS)
HEALTH = re.compile("|".join((HOSPITAL_WORDS, ILLNESS_WORDS, MEDICAL_WORDS)))


def mentions_health(text: str) -> bool:
    """Whether the text says anything about health (any accent or case)."""
    return bool(text) and bool(HEALTH.search(normalise(text)))
