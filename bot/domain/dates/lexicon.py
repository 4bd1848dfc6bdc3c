"""The French words the date parser knows: one table per concept.

Each table is the only place where its words are written.  ``grammar.py`` builds the
regular expressions from the keys, and the values are what the words mean, read by
``extraction.py`` and ``resolution.py``.  Words are in normalised form: lower case, no
accents, apostrophes and hyphens as spaces (``grammar.normalise``).  Where the order of
a table matters (``SPELLINGS``, ``PARTS_OF_DAY``), it says so.
"""
from __future__ import annotations

import enum
from typing import NamedTuple, Optional

from bot.domain.dates.model import PartOfDay

# --- spelling -------------------------------------------------------------------------------

#: the replacement cue: "X au lieu de Y" (also "a la place de", "plutot que": SPELLINGS)
INSTEAD_OF = "au lieu de"

#: SMS forms and variants -> the form the patterns expect; applied in this order
SPELLINGS: dict[str, tuple[str, ...]] = {
    "demain": ("2main", "dmain", "demin", "dem", "demai"),
    "apres demain": ("apre demain", "aprs demain", "apr demain", "apresdemain", "apredemain",
                     "aprsdemain", "aprdemain"),
    "apres midi": ("aprem", "apem", "ap midi", "apm", "apresmidi", "apr midi"),
    "aujourdhui": ("ajd", "auj", "aujourd hui", "ajourd hui"),
    "dans": ("ds",),
    "jusqua": ("jsq", "jusqu a", "jusque a", "jusqu au"),
    "pour": ("pr",),
    "semaine prochaine": ("semaine pro", "sem pro", "sem prochaine"),
    "prochain": ("proch", "prochin", "prochaine", "prochaines"),
    "weekend": ("week end", "we"),
    INSTEAD_OF: ("au lieu du", "au lieu d", "au lieu des", "a la place de", "a la place du",
                 "plutot que"),
    "quart": ("quarts",),
}

# --- numbers --------------------------------------------------------------------------------

_UNITS = ["zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
          "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize",
          "dix sept", "dix huit", "dix neuf"]
_TENS = {"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50}


def _number_words() -> dict[str, int]:
    words = {w: i for i, w in enumerate(_UNITS)}
    words["une"] = 1
    for tens, base in _TENS.items():
        words[tens] = base
        words[f"{tens} et un"] = base + 1
        words[f"{tens} et une"] = base + 1
        for i in range(2, 10):
            words[f"{tens} {_UNITS[i]}"] = base + i
    return words


#: numbers in words, 0 to 59
NUMBERS = _number_words()
#: the first day of a month ("le 1er mai", "le premier juin")
FIRST_DAY = {"1er": 1, "premier": 1}


def number(token: str) -> int:
    """The value of digits, a number word or "1er" (KeyError for anything else)."""
    token = token.strip()
    if token.isdigit():
        return int(token)
    return FIRST_DAY[token] if token in FIRST_DAY else NUMBERS[token]


# --- days, months, periods ------------------------------------------------------------------

WEEKDAYS = {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4,
            "samedi": 5, "dimanche": 6}
#: read only before a number or "a" ("jeu 15h"); no "mar", which is March
WEEKDAY_ABBREVIATIONS = {"lun": 0, "mer": 2, "jeu": 3, "ven": 4, "sam": 5, "dim": 6}
MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "fevrie": 2,
    "mars": 3, "mar": 3,
    "avril": 4, "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7, "juil": 7, "jui": 7,
    "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}
#: before a day number ("le 12", "du 3 au 10")
DAY_ARTICLES = ("le", "du", "au")
#: "ce jeudi": the weekday, today included
DEMONSTRATIVES = ("ce", "cette")


class WeekdayHint(NamedTuple):
    """What a word after a weekday does: move it by whole weeks after the next one."""

    weeks: int
    #: "prochain": when the next one is in the current week, next week's is meant too
    may_be_next_week: bool = False


WEEKDAY_HINTS = {
    "prochain": WeekdayHint(0, may_be_next_week=True),
    "qui vient": WeekdayHint(0),
    "en huit": WeekdayHint(1), "d apres": WeekdayHint(1), "suivant": WeekdayHint(1),
    "en quinze": WeekdayHint(2),
    "dernier": WeekdayHint(-1),
}


class RelativeDay(NamedTuple):
    """A day named from today, and what it also says of the time."""

    offset: int
    part: Optional[PartOfDay] = None
    hour: Optional[int] = None  # "ce midi"


RELATIVE_DAYS = {
    "aujourdhui": RelativeDay(0), "demain": RelativeDay(1), "apres demain": RelativeDay(2),
    "hier": RelativeDay(-1), "avant hier": RelativeDay(-2),
    "ce matin": RelativeDay(0, PartOfDay.MORNING),
    "ce midi": RelativeDay(0, hour=12),
    "cet apres midi": RelativeDay(0, PartOfDay.AFTERNOON),
    "cette apres midi": RelativeDay(0, PartOfDay.AFTERNOON),
    "ce soir": RelativeDay(0, PartOfDay.EVENING),
    "cette nuit": RelativeDay(0, PartOfDay.NIGHT),
}

#: "dans 2 heures", "dans 3 jours": counted from now
FROM_NOW = "dans"
#: "dans 3 jours", "d ici 2 semaines", "il y a 3 jours": the direction of the count
DELAY_DIRECTIONS = {FROM_NOW: 1, "d ici": 1, "il y a": -1}


class CalendarUnit(enum.Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


CALENDAR_UNITS = {"jour": CalendarUnit.DAY, "jours": CalendarUnit.DAY,
                  "semaine": CalendarUnit.WEEK, "semaines": CalendarUnit.WEEK,
                  "mois": CalendarUnit.MONTH}
#: "85 ans": a number before these is never a day
YEARS = ("an", "ans")


class Period(enum.Enum):
    """A stretch of days said without a day ("la semaine prochaine")."""

    THIS_WEEK = "this week"
    NEXT_WEEK = "next week"
    LAST_WEEK = "last week"
    WEEKEND = "weekend"
    NEXT_WEEKEND = "next weekend"
    THIS_MONTH = "this month"
    NEXT_MONTH = "next month"


PERIODS = {
    "cette semaine": Period.THIS_WEEK, "la semaine": Period.THIS_WEEK,
    "la semaine prochain": Period.NEXT_WEEK, "semaine prochain": Period.NEXT_WEEK,
    "la semaine d apres": Period.NEXT_WEEK, "la semaine suivante": Period.NEXT_WEEK,
    "la semaine derniere": Period.LAST_WEEK,
    "ce weekend": Period.WEEKEND, "le weekend": Period.WEEKEND, "weekend": Period.WEEKEND,
    "le weekend prochain": Period.NEXT_WEEKEND,
    "ce mois ci": Period.THIS_MONTH,
    "le mois prochain": Period.NEXT_MONTH,
}
#: may join a period to what comes before ("mardi de la semaine prochaine")
PERIOD_LINKS = ("de", "pour", "dans")

#: relative to the intervention under discussion: day offset
REFERENCE_DAYS = {"meme jour": 0, "meme journee": 0, "lendemain": 1, "veille": -1}
#: "a la meme heure": keep the intervention's start time
SAME_TIME = ("meme heure", "meme horaire")
#: may come before a reference ("le lendemain", "la veille", "au meme jour")
REFERENCE_ARTICLES = ("le", "la", "au")

# --- parts of the day -----------------------------------------------------------------------

#: part -> (its words, the little words that may come before them); read in this order,
#: and the first one found is the part of day of the message
PARTS_OF_DAY = {
    PartOfDay.MORNING: (("matinee", "matin"), ("dans la", "en", "la", "le", "du", "de la", "au")),
    PartOfDay.AFTERNOON: (("apres midi",), ("dans", "en", "l", "d", "de l", "a l")),
    PartOfDay.EVENING: (("soiree", "soir"), ("dans la", "en", "la", "le", "du", "au", "de")),
    PartOfDay.NIGHT: (("nuit",), ("dans la", "la", "de", "en")),
}

# --- hours, minutes, durations --------------------------------------------------------------

#: units of a delay or a duration, in minutes ("dans 2 h", "45 min")
TIME_UNITS = {"h": 60, "heure": 60, "heures": 60,
              "min": 1, "mins": 1, "mn": 1, "minute": 1, "minutes": 1}
#: hours said as words
NAMED_HOURS = {"midi": 12, "minuit": 0}
#: minutes after an hour ("10 h et quart", "midi et demi")
MINUTE_WORDS = {"et quart": 15, "et demi": 30, "et demie": 30,
                "moins le quart": -15, "moins quart": -15}
#: "10 h moins 5"
MINUS = "moins"
#: the only number words said as minutes after "midi"/"minuit" ("midi quinze")
NOON_MINUTE_NUMBERS = (15, 30)
#: durations said as fractions of an hour, in minutes
FRACTIONS_OF_HOUR = {"une demi heure": 30, "demi heure": 30, "un quart d heure": 15,
                     "trois quart d heure": 45}
#: "dans une demi heure": a count in words before the unit, in minutes
DELAY_COUNTS = {"une demi": 30}
#: "une heure plus tard", "30 minutes plus tot"
SHIFT_DIRECTIONS = {"tard": 1, "tot": -1}

#: "de 9 h a 10 h", "entre 14 h et 15 h"
RANGE_OPENERS = ("de", "entre", "des")
#: between the two hours of a range -> the opener it needs (None: any or none)
RANGE_JOINERS: dict[str, Optional[str]] = {"a": None, "-": None, "/": None, "jusqua": None,
                                            "et": "entre"}
#: before an end time ("jusqu'a 11 h", "finir a 17 h")
END_CUES = ("jusqua", "finir a", "fin a", "termine a", "terminer a", "se termine a", "fini a",
            "fin vers")

#: a word before a number that makes it a time ("a 3 h", "vers 9 h", "celle de 14 h")
TIME_CUES = frozenset({"a", "vers", "des", "de", "entre", "avant", "apres", "partir", "jusqua",
                       "celle", "celui", "rdv", "le", "pour", "rendez", "vous", "et", "ou",
                       "plutot"})
#: a word before a number that makes it a duration ("pendant 2 h")
DURATION_CUES = frozenset({"pendant", "duree", "dure", "durer", "durera", "sur", "durant"})
