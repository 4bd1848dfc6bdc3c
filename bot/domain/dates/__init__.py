"""French date and time understanding for the booking flows.

Pure functions only: no I/O, no clock.  The reference time ``now`` is passed in
and must be timezone-aware; everything is resolved on the Europe/Paris wall
clock.  ``parse_when(text, now) -> When`` reads a message (examples in its
docstring), ``clarification_question(when, now)`` asks back.

The modules, in the order a message goes through them:

* ``lexicon``: the French words, one table per concept (the only place they are written);
* ``grammar``: ``normalise`` and the regular expressions built from the lexicon;
* ``extraction`` (with ``scan`` and ``clocks``): normalised text -> ``mentions.Found``,
  what was said, before any calendar;
* ``calendar_days`` and ``resolution``: ``Found`` and ``now`` -> ``When``;
* ``parse``: ``parse_when``, the entry point; ``questions``: ``clarification_question``;
* ``model``: ``When`` and the types it is made of.

Decisions (see docs/dates.md for the reasons and the measurements):

* A bare weekday ("jeudi") is the next one strictly after today; when today is
  that weekday the result has two candidates (today and in a week) and is
  flagged ``WEEKDAY_IS_TODAY``.
* "mardi prochain" is the next Tuesday after today; when that Tuesday falls in
  the current calendar week it may also mean the one of next week: both are
  returned and ``NEXT_WEEKDAY`` is flagged.
* "le 12" is the next 12th (today included); on the 12th itself it is today or
  next month's, flagged ``DAY_IS_TODAY``.
* A day and month without a year ("le 3 mars") is this year's if not passed,
  else next year's.  When next year's is more than ``FAR_DAYS`` (300) days away
  the date has just passed: both readings are returned and ``RECENTLY_PASSED``
  is flagged.  ``past`` is only set when no future reading exists (explicit past
  year, "hier", "lundi dernier", a time already passed today, ...).
* "la semaine prochaine" (and other periods without a day) gives ``period`` and
  ``PERIOD_WITHOUT_DAY``.
* An hour from 1 to 6 without "du matin"/"de l'après-midi"/... could be morning
  or afternoon: both times are returned and ``HOUR_AM_PM`` is flagged.  Hours
  from 7 to 23 are taken as written.
* "l'après-midi", "le matin", "ce soir" are a ``part_of_day``, never a time.
* A bare "1h30" or "2 h" (hour up to 3, no "à"/"de"/date before it) is a
  duration; "une heure", "45 minutes", "une heure et demie" are durations unless
  introduced by "à"/"vers"/...
"""
from bot.domain.clock import PARIS
from bot.domain.dates.model import Ambiguity, DateRange, PartOfDay, When
from bot.domain.dates.grammar import normalise
from bot.domain.dates.parse import parse_when
from bot.domain.dates.questions import clarification_question

__all__ = [
    "PARIS", "Ambiguity", "DateRange", "PartOfDay", "When",
    "clarification_question", "normalise", "parse_when",
]
