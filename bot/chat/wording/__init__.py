"""Every sentence the chat says, in French (vouvoiement, short); functions only assemble
words, they decide nothing.  Dates and hours are written by :mod:`bot.domain.fr_format`,
the labels of kinds, statuses and reasons live there too; FAQ answers are in domain.yml.

Callers use ``from bot.chat import wording; wording.ask_reason()``: the modules below are
grouped by conversation.
"""
from bot.chat.wording.common import *  # noqa: F401,F403
from bot.chat.wording.requests import *  # noqa: F401,F403
from bot.chat.wording.several import *  # noqa: F401,F403
from bot.chat.wording.status import *  # noqa: F401,F403
