"""What a message says in the request flows: a reason, yes or no, an intervention.

Pure functions over the message text (and the intent Rasa gave it); the clock and the
client's interventions are arguments.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import List, Optional, Sequence

from bot.domain.clock import PARIS
from bot.domain.dates import (
    Ambiguity, DateRange, When, clarification_question, normalise, parse_when,
)
from bot.domain.fr_format import format_date
from bot.domain.health_words import HOSPITALISATION, ILLNESS
from bot.domain.intervention_match import match_interventions, target_of
from bot.domain.model import Intervention
from bot.chat import wording


# --- reason (category only: nothing else about health is kept) ------------------------------

_REASON_PATTERNS = [
    ("hospitalisation", HOSPITALISATION),
    ("maladie", ILLNESS),
    ("personnel", re.compile(r"\bpersonnel|\bperso\b|\bvacances?\b|\bvoyage|\bfamill|\bprive")),
    ("autre", re.compile(r"\bautres?\b|\bpeu importe\b|\bsans raison\b|\bprefere pas\b")),
]
#: Weaker cues, accepted only as the answer to "pour quelle raison ?".
_PERSONAL_ANSWER = re.compile(r"\bpartir\b|\bpars\b|\bdeplacement|\bpas la\b|\babsente?s?\b"
                              r"|\brendez vous\b|\brdv\b|\bchez (ma|mon|mes)\b|\bsortie?\b")


def parse_reason(text: str, answer: bool = True) -> Optional[str]:
    """personnel / hospitalisation / maladie / autre, or None when unclear.

    With ``answer=False`` (reading the first message of a request) only explicit words
    count: "je ne serai pas là jeudi" says no reason."""
    norm = normalise(text or "")
    for key, pattern in _REASON_PATTERNS:
        if pattern.search(norm):
            return key
    if answer and _PERSONAL_ANSWER.search(norm):
        return "personnel"
    return None


# --- yes / no ----------------------------------------------------------------------------

_YES = re.compile(r"^(oui|ouais|ok|okay|d accord|dac|daccord|je confirme|confirme|confirmer|"
                  r"c est (ca|bon|correct|parfait)|exact|exactement|parfait|tout a fait|"
                  r"bien sur|vas y|allez y|valide|valider|yes|envoyez|envoyer|oui merci)\b")
_NO = re.compile(r"^(non|nan|no|pas du tout|surtout pas|je ne confirme pas|ne confirmez pas|"
                 r"n envoyez pas|pas maintenant)\b")


def parse_yes_no(text: str, intent: Optional[str] = None) -> Optional[bool]:
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    norm = normalise(text or "")
    if _NO.search(norm):
        return False
    if _YES.search(norm):
        return True
    return None


# --- corrections ---------------------------------------------------------------------------

def mentions_when(text: str, now: datetime) -> Optional[When]:
    """The date/time the message talks about, or None (button payloads excluded)."""
    if not text or text.startswith("/"):
        return None
    when = parse_when(text, now)
    return None if when.is_empty else when


# --- which intervention -----------------------------------------------------------------

_ORDINALS = {
    "premiere": 0, "premier": 0, "1re": 0, "1ere": 0,
    "deuxieme": 1, "seconde": 1, "second": 1, "2e": 1, "2eme": 1,
    "troisieme": 2, "3e": 2, "3eme": 2,
    "quatrieme": 3, "4e": 3, "4eme": 3,
    "derniere": -1, "dernier": -1,
}
_ORDINAL_RE = re.compile(r"\b(la|le|l)\s+(" + "|".join(_ORDINALS) + r")\b")


@dataclass
class Choice:
    """Outcome of reading which intervention the client means.

    ``chosen`` set: resolved.  Otherwise ``candidates`` (possibly empty) are offered as
    buttons after ``say`` (a question or an explanation)."""

    chosen: Optional[Intervention] = None
    candidates: List[Intervention] = field(default_factory=list)
    say: Optional[str] = None
    understood: bool = True  # False: nothing usable in the message
    #: the message designates every one of ``candidates`` (a period, several dates, several
    #: on one day), not one of them to pick: "all of them" is a sensible answer
    several: bool = False


#: "toutes", "tous", "l'ensemble", "les deux", "les 3"... but not "tout de suite", "pas du
#: tout", nor an exception ("toutes sauf mardi": the client then names the ones to keep).
_ALL = re.compile(r"\b(tout|toute|tous|toutes|l ensemble|chacune|chacun|les deux|les trois"
                  r"|les quatre|les cinq|les \d{1,2})\b")
_NOT_ALL = re.compile(r"\btout de suite\b|\btout a l heure\b|\bdu tout\b|\ben tout cas\b"
                      r"|\bmalgre tout\b|\btout le monde\b|\btout a fait\b|\bsauf\b"
                      r"|\bexcepte\b|\bhormis\b|\ba part\b|\bsans compter\b")


def wants_all(text: str) -> bool:
    """Whether the message asks for all the interventions it designates ("annulez toute la
    semaine prochaine", "toutes", "les deux")."""
    if not text or text.startswith("/"):
        return False
    norm = normalise(text)
    return bool(_ALL.search(norm)) and not _NOT_ALL.search(norm)


#: Ambiguities that list several interventions the client may want all of.
_SEVERAL = {Ambiguity.PERIOD_WITHOUT_DAY, Ambiguity.SEVERAL_DATES}


#: "du 3 au 10", "entre le 3 et le 10", "du lundi au jeudi", "depuis lundi jusqu'à jeudi"
_RANGE = re.compile(r"\b(?:du|depuis|a partir du|a compter du|entre)\b.+\b(?:au|jusqua|et le|et)\b")
#: "jusqu'au 15 décembre", "jusqu'à mardi" (not "jusqu'à 11 h": a time is excluded below)
_UNTIL = re.compile(r"\bjusqua\b")
#: The longest period read from "du ... au ..." (a longer one is more likely a misreading).
_RANGE_MAX_DAYS = 92


def as_period(when: When, text: str, now: datetime) -> When:
    """Two dates joined as a range, or "jusqu'au <date>", read as the period they bound."""
    if when.period is not None or when.start_times or when.end_times or when.duration:
        return when
    norm = normalise(text)
    today = now.astimezone(PARIS).date()
    first = last = None
    if len(when.dates) == 2 and set(when.ambiguities) == {Ambiguity.SEVERAL_DATES} \
            and _RANGE.search(norm):
        first, last = when.dates
    elif len(when.dates) == 1 and not when.ambiguities and _UNTIL.search(norm) \
            and when.dates[0] > today:
        first, last = today, when.dates[0]
    if first is None or not (0 < (last - first).days <= _RANGE_MAX_DAYS):
        return when
    return replace(when, dates=(), period=DateRange(first, last),
                   ambiguities=(Ambiguity.PERIOD_WITHOUT_DAY,))


def _describe(when: When) -> Optional[str]:
    if when.date is not None:
        return "le " + format_date(datetime.combine(when.date, datetime.min.time(), tzinfo=PARIS))
    return None


def choose_intervention(text: str, upcoming: Sequence[Intervention], now: datetime,
                        shown: Sequence[Intervention] = (), ranges: bool = False) -> Choice:
    """Which of ``upcoming`` the message designates.  ``shown`` are the buttons offered last
    (for "la deuxième").  ``ranges``: "du 3 au 10", "jusqu'au 15" are periods (for a
    cancellation; in a schedule change "du 3 au 10" moves the 3rd to the 10th)."""
    by_id = {i.external_id: i for i in upcoming}
    stripped = (text or "").strip()
    if stripped in by_id:
        return Choice(chosen=by_id[stripped])
    norm = normalise(stripped)
    m = _ORDINAL_RE.search(norm)
    listed = list(shown) or list(upcoming)
    if m and listed and not re.search(r"\d", norm):
        index = _ORDINALS[m.group(2)]
        if -len(listed) <= index < len(listed):
            return Choice(chosen=listed[index])
    if not stripped or stripped.startswith("/"):
        return Choice(understood=False)
    when = target_of(parse_when(stripped, now))
    if ranges:
        when = as_period(when, stripped, now)
    if when.is_empty:
        return Choice(understood=False)
    if when.past and not when.ambiguous:
        question = clarification_question(when, now)
        return Choice(candidates=list(upcoming), say=question or wording.date_passed())
    matches = match_interventions(when, upcoming)
    if when.ambiguous:
        question = clarification_question(when, now)
        if matches:
            several = len(matches) > 1 and set(when.ambiguities) <= _SEVERAL
            return Choice(candidates=matches, say=question or "Laquelle ?", several=several)
        return Choice(candidates=list(upcoming), say=question or wording.none_match(_describe(when)))
    if len(matches) == 1:
        return Choice(chosen=matches[0])
    if matches:
        return Choice(candidates=matches, say=wording.several_match(), several=True)
    return Choice(candidates=list(upcoming), say=wording.none_match(_describe(when)))
