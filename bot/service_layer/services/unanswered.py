"""What the assistant could not answer (issue 21): client questions that ended in a
fallback, out of scope or with a « pas utile » vote, kept masked (numbers, e-mail
addresses and the planning's names: :func:`bot.domain.masking.mask_personal`) with only
the day, for ``AMPER_RETENTION_UNANSWERED_DAYS`` days (the purge deletes them:
docs/privacy.md).  The staff see them grouped by similarity
(:mod:`bot.domain.similarity`), label them with the FAQ topic that should have answered
(or « nouveau ») and export the labelled ones as Rasa NLU training data."""
from __future__ import annotations

import re
import time
from collections import Counter
from datetime import date, datetime
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from bot.domain.errors import InvalidInput
from bot.domain.masking import mask_personal, name_words
from bot.domain.similarity import group_similar, key_words
from bot.domain.staff import NEW_TOPIC, QuestionGroup, UnansweredKind, UnansweredQuestion
from bot.service_layer.services.common import _actor, _now

MAX_TEXT = 500
GROUPS_LIMIT = 50
#: the intent the questions labelled « nouveau » are exported under
NEW_TOPIC_INTENT = "nouveau_sujet"
#: how long the planning's names are reused before being read again (seconds)
NAMES_TTL = 300.0
_PAYLOAD = re.compile(r"^\s*/\w")  # "/intent{...}": a button's payload, not a question
_FAQ_TOPIC = re.compile(r"faq/([a-z0-9_]{1,90})")
_ANNOTATION = re.compile(r"\](?=[(\[{])")
_names_cache: Dict[str, Tuple[float, FrozenSet[str]]] = {}


def forget_names_cache() -> None:
    """Read the planning's names again at the next question (after an import, in tests)."""
    _names_cache.clear()


def _planning_name_words(uow) -> FrozenSet[str]:
    """Inside a unit of work: the words of the planning's names, cached per database for
    :data:`NAMES_TTL` seconds (an in-memory unit of work is never cached)."""
    key = getattr(uow, "url", None)
    if isinstance(key, str):
        cached = _names_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < NAMES_TTL:
            return cached[1]
    found = name_words(uow.staff.planning_names())
    if isinstance(key, str):
        _names_cache[key] = (time.monotonic(), found)
    return found


def _kind(value) -> UnansweredKind:
    try:
        return UnansweredKind(value)
    except ValueError:
        raise InvalidInput("Type de question sans réponse inconnu : fallback, out_of_scope "
                           "ou thumbs_down.") from None


def record_unanswered(uow, *, text: str, kind: str,
                      now: Optional[datetime] = None) -> Optional[int]:
    """Keep a question the assistant could not answer, masked, with the day of ``now``;
    returns its id, or None when there is nothing to keep (empty text, a button's
    payload « /intent{…} »)."""
    kind_value = _kind(kind)
    day = _now(now).date()
    raw = " ".join((text or "").split())
    if not raw or _PAYLOAD.match(raw):
        return None
    with uow:
        masked = mask_personal(raw, _planning_name_words(uow))[:MAX_TEXT].strip()
        if not masked:
            return None
        question_id = uow.unanswered.add(masked, kind_value, day)
        uow.commit()
    return question_id


def unanswered_groups(uow, *, since: Optional[date] = None,
                      limit: int = GROUPS_LIMIT) -> List[QuestionGroup]:
    """The questions asked on ``since`` or later, grouped by similarity; the groups with
    the newest question first (then the biggest), at most ``limit``; in a group the
    questions newest first; the example (and the group's ``id``) is the newest question of
    the group's most frequent wording."""
    with uow:
        questions = uow.unanswered.list(since)
    by_id = {q.id: q for q in questions}
    ids = group_similar([(q.id, q.text) for q in questions],
                        {q.id: q.asked_on.toordinal() * 10 ** 9 + q.id for q in questions})
    groups = []
    for members in ids:
        found = [by_id[i] for i in members]
        kinds = {k.value: 0 for k in UnansweredKind}
        for q in found:
            kinds[q.kind.value] += 1
        seed = _example_question(found)
        groups.append(QuestionGroup(
            id=seed.id, example=seed.text, count=len(found),
            first=min(q.asked_on for q in found), last=max(q.asked_on for q in found),
            kinds=tuple(kinds.items()),
            questions=tuple(sorted(found, key=lambda q: (q.asked_on, q.id), reverse=True))))
    groups.sort(key=lambda g: (g.last, g.count, max(q.id for q in g.questions)), reverse=True)
    return groups[:max(0, int(limit))]


def _example_question(found: Sequence[UnansweredQuestion]) -> UnansweredQuestion:
    """The newest question of the group's most frequent key (its most usual wording)."""
    keys = Counter(key_words(q.text) for q in found)
    return max(found, key=lambda q: (keys[key_words(q.text)], q.asked_on, q.id))


def check_topic(topic: str, topics: Iterable[str]) -> str:
    """``topic`` if it is « nouveau » or ``faq/<key>`` with ``key`` among ``topics`` (the
    FAQ's topics, e.g. the ``utter_faq/<key>`` responses of domain.yml)."""
    value = (topic or "").strip()
    if value == NEW_TOPIC:
        return value
    match = _FAQ_TOPIC.fullmatch(value)
    keys = {k[4:] if k.startswith("faq/") else k for k in topics} - {NEW_TOPIC}
    if match is None or match.group(1) not in keys:
        raise InvalidInput(f"Sujet inconnu : « {value[:100]} » (« nouveau » ou un sujet de "
                           "la FAQ, par exemple faq/" + (min(keys) if keys else "tarifs")
                           + ").")
    return value


def label_unanswered(uow, ids: Sequence[int], topic: str, *, by: str,
                     topics: Iterable[str]) -> int:
    """Label these questions with ``topic`` (checked by :func:`check_topic`) on behalf of
    the staff login ``by``; returns how many exist (unknown or purged ids are skipped)."""
    value, by = check_topic(topic, topics), _actor(by)
    try:
        wanted = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise InvalidInput("Identifiants de questions invalides : des nombres attendus.") \
            from None
    if not wanted:
        raise InvalidInput("Aucune question choisie.")
    with uow:
        count = uow.unanswered.label(wanted, value, by)
        uow.commit()
    return count


def export_labelled_nlu(uow) -> str:
    """The labelled questions as Rasa 3 NLU training data (YAML): one ``faq/<key>`` intent
    per topic, the « nouveau » ones under ``nouveau_sujet``; intents and examples sorted,
    duplicates once.  An empty ``nlu: []`` when nothing is labelled."""
    with uow:
        labelled = uow.unanswered.labelled()
    examples: Dict[str, set] = {}
    for q in labelled:
        intent = NEW_TOPIC_INTENT if q.topic == NEW_TOPIC else q.topic
        examples.setdefault(intent, set()).add(_example(q))
    lines = ['version: "3.1"']
    if not examples:
        return "\n".join(lines + ["nlu: []", ""])
    lines.append("nlu:")
    for intent in sorted(examples, key=lambda i: (i == NEW_TOPIC_INTENT, i)):
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in sorted(examples[intent])]
    return "\n".join(lines) + "\n"


def _example(question: UnansweredQuestion) -> str:
    """One line of a block scalar: no line break, and no « ]( », « ]{ » or « ][ » that Rasa
    would read as an entity annotation."""
    return " ".join(_ANNOTATION.sub("] ", question.text).split())
