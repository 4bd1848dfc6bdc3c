"""The regular expressions of the date parser, built from the lexicon, and the text they expect.

Every word list in a pattern comes from a table of ``lexicon.py`` through :func:`words`
(:func:`number_words` for numbers, which are read whole: "dix sept" is never "dix" and the
month "sept"); what stays written here is the shape of a phrase (digits, separators, the
order of the parts).  The patterns read normalised text (:func:`normalise`).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from bot.domain.dates import lexicon as lx


def words(items: Iterable[str]) -> str:
    """An alternation of literal words, longest first so that "dix sept" wins over "dix"."""
    return "|".join(re.escape(w) for w in sorted(items, key=len, reverse=True))


def number_words(items: Iterable[str]) -> str:
    """Like :func:`words` for numbers in words, each read whole: "dix sept" is one number.

    Longest first is not enough: when what follows "dix sept" does not fit the pattern
    ("dix sept heures" in the date pattern), the regex would go back and read "dix" then
    "sept" as the month.  So a word that begins a longer number ("dix", "vingt") is refused
    when the rest of that number follows it ("sept", "et un"); "dix septembre" stays "dix".
    """
    alternatives = []
    for w in sorted(items, key=len, reverse=True):
        rests = [n[len(w) + 1:] for n in lx.NUMBERS if n.startswith(w + " ")]
        alternatives.append(re.escape(w) + (rf"(?! (?:{words(rests)})\b)" if rests else ""))
    return "|".join(alternatives)


# --- normalisation --------------------------------------------------------------------------

_SPELLINGS = [(re.compile(rf"\b(?:{words(variants)})\b"), canonical)
              for canonical, variants in lx.SPELLINGS.items()]


def normalise(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes and hyphens, expand SMS forms."""
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = t.replace("œ", "oe").replace("–", "-").replace("—", "-")
    t = re.sub(r"[’'`´]", " ", t)
    t = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", t)
    t = re.sub(r"[!?;«»\"()]", " ", t)
    t = re.sub(r"(?<=[a-z])(?=\d)", " ", t)  # "a14h" -> "a 14h"
    t = re.sub(r"\s+", " ", t).strip()
    for pattern, canonical in _SPELLINGS:
        t = pattern.sub(canonical, t)
    return t


# --- building blocks ------------------------------------------------------------------------

NUMBER_WORD = number_words(lx.NUMBERS)
NUM = rf"(?:\d{{1,2}}|{NUMBER_WORD})"
_DAY_NUM = rf"(?:{words(lx.FIRST_DAY)}|\d{{1,2}}|{NUMBER_WORD})"
_WEEKDAY = words(lx.WEEKDAYS)
_HOURS = [w for w, minutes in lx.TIME_UNITS.items() if minutes == 60]
_MINUTES = [w for w, minutes in lx.TIME_UNITS.items() if minutes == 1]
_HALF = [w for w, minutes in lx.MINUTE_WORDS.items() if minutes == 30]
_NOON_NUMBERS = [w for w, n in lx.NUMBERS.items() if n in lx.NOON_MINUTE_NUMBERS]
# the one-letter "h" may touch its minutes ("15h30"); the words end at a word boundary
_HOUR_SIGN = "|".join(rf"{w}(?![a-z])" if len(w) == 1 else rf"{w}\b"
                      for w in sorted(_HOURS, key=len, reverse=True))
_MINUTE_WORDS = rf"{words(lx.MINUTE_WORDS)}|{lx.MINUS} \d{{1,2}}|{NUMBER_WORD}"
#: "15h30", "15 h 30", "dix heures et quart", "9:45", "midi et demi"; two digits are not the
#: minutes when an hour, "min", ":" or a digit follows them
CLOCK = (
    rf"\b(?:{NUM})\s*(?:{_HOUR_SIGN})"
    rf"(?:\s*(?:\d{{2}}(?!\s*(?:h|heure|min|:|\d))|{_MINUTE_WORDS})\b)?"
    r"|\d{1,2}:\d{2}\b"
    rf"|\b(?:{words(lx.NAMED_HOURS)})"
    rf"(?:\s+(?:{words(lx.MINUTE_WORDS)}|{words(_NOON_NUMBERS)}|\d{{2}}\b))?"
)
#: a CLOCK match taken apart
CLOCK_PARTS = re.compile(
    rf"^(?:(?P<h>{NUM})\s*(?:{words(_HOURS)})\s*(?P<m>.*)|(?P<h2>\d{{1,2}}):(?P<m2>\d{{2}})"
    rf"|(?P<noon>{words(lx.NAMED_HOURS)})\s*(?P<nm>.*))$"
)
# after a number, these make it anything but a day: "12 h", "12:30", "3 jours", "85 ans"
_ONE_LETTER = [w for w in lx.TIME_UNITS if len(w) == 1]
_NOT_A_DAY_AFTER = "|".join([
    *(rf"{w}\b|{w}\d" for w in _ONE_LETTER), ":",
    words([w for w in lx.TIME_UNITS if len(w) > 1] + list(lx.CALENDAR_UNITS) + list(lx.YEARS)),
])

# --- the patterns, in the order extraction.py applies them ----------------------------------

REPLACE = re.compile(rf"\b{re.escape(lx.INSTEAD_OF)}\b")
REFERENCE = re.compile(
    rf"\b(?:(?:{words(lx.REFERENCE_ARTICLES)}) )?"
    rf"(?P<what>{words([*lx.REFERENCE_DAYS, *lx.SAME_TIME])})\b"
)
RELATIVE_DAY = re.compile(rf"\b(?P<what>{words(lx.RELATIVE_DAYS)})\b")
RELATIVE_TIME = re.compile(
    rf"\b{lx.FROM_NOW} (?:(?P<n>{NUM}|{words(lx.DELAY_COUNTS)})\s*)?"
    rf"(?P<unit>{words(lx.TIME_UNITS)})\b(?: (?P<extra>{words(_HALF)}))?"
)
MINUTES = re.compile(rf"\b(?P<n>{NUM})\s*(?:{words(_MINUTES)})\b")
FRACTION_OF_HOUR = re.compile(rf"\b(?P<what>{words(lx.FRACTIONS_OF_HOUR)})\b")
#: one pattern per part of day, in the order of the lexicon
PARTS = [
    (re.compile(rf"\b(?:(?:{words(leads)}) )?(?:{words(part_words)})\b"), part)
    for part, (part_words, leads) in lx.PARTS_OF_DAY.items()
]
RANGE = re.compile(
    rf"\b(?:(?P<pre>{words(lx.RANGE_OPENERS)})\s+)?(?P<a>{CLOCK})"
    rf"\s*(?P<join>{words(lx.RANGE_JOINERS)})\s*(?P<b>{CLOCK})"
)
END = re.compile(rf"\b(?:{words(lx.END_CUES)})\s*(?P<c>{CLOCK})")
NUMERIC_DATE = re.compile(
    r"(?<![\d:])(?P<d>\d{1,2})\s*[/.-]\s*(?P<m>\d{1,2})(?:\s*[/.-]\s*(?P<y>\d{4}|\d{2}))?(?![\d:h])"
)
DAY_MONTH = re.compile(
    rf"\b(?:(?P<wd>{_WEEKDAY})\s+)?(?:(?:{words(lx.DAY_ARTICLES)})\s+)?(?P<d>{_DAY_NUM})"
    rf"\s+(?P<m>{words(lx.MONTHS)})\b\.?(?:\s*(?P<y>\d{{4}})\b)?"
)
IN_DAYS = re.compile(
    rf"\b(?P<dir>{words(lx.DELAY_DIRECTIONS)})\s+(?P<n>{NUM})"
    rf"\s+(?P<unit>{words(lx.CALENDAR_UNITS)})\b"
)
PERIOD = re.compile(
    rf"\b(?:(?P<wd>{_WEEKDAY})\s+)?(?:(?:{words(lx.PERIOD_LINKS)}) )?"
    rf"(?P<what>{words(lx.PERIODS)})\b"
)
WEEKDAY = re.compile(
    rf"\b(?:(?P<this>{words(lx.DEMONSTRATIVES)})\s+)?(?P<wd>{_WEEKDAY})s?\b"
    rf"(?:\s+(?P<mod>{words(lx.WEEKDAY_HINTS)}))?"
)
WEEKDAY_ABBR = re.compile(rf"\b(?P<wd>{words(lx.WEEKDAY_ABBREVIATIONS)})\.?(?=\s+(?:\d|a\b))")
#: "le 12", "le dix sept" (a number in words: extraction wants the article before it)
DAY_ONLY = re.compile(
    rf"\b(?:(?P<art>{words(lx.DAY_ARTICLES)})\s+)?"
    rf"(?:(?P<d>{words(lx.FIRST_DAY)}|\d{{1,2}})|(?P<dw>{NUMBER_WORD}))\b"
    rf"(?!\s*(?:{_NOT_A_DAY_AFTER}))"
)
CLOCK_RE = re.compile(CLOCK)
#: right after a duration: it moves the slot instead ("une heure plus tard")
SHIFT_AFTER = re.compile(rf"\s*(?:de )?plus (?P<dir>{words(lx.SHIFT_DIRECTIONS)})\b")
