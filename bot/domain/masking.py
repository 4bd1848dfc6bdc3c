"""Personal data masked out of a client's question before it is kept (docs/privacy.md):

* e-mail addresses -> « [e-mail] »;
* numbers of two digits or more, with their spaces, dots or dashes (phone numbers written
  « 06 12 34 56 78 » or « +33 6… », client numbers, dates) -> « [nombre] »;
* the planning's names (clients and caregivers): every word of three letters or more of a
  name, compared without accents or case, as a whole word -> « [nom] » (civilities such as
  « Mme » are not names; consecutive masked words become one « [nom] »).

>>> mask_personal("Je suis Mme Hélène Dupont, n° 1001, tel 06 12 34 56 78",
...               ["Mme Helene Dupont"])
'Je suis Mme [nom], n° [nombre], tel [nombre]'
"""
from __future__ import annotations

import re
from typing import FrozenSet, Iterable, Union

from bot.domain.text_keys import fold

EMAIL, NUMBER, NAME = "[e-mail]", "[nombre]", "[nom]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_NUMBER = re.compile(r"\+?\d(?:[ .\-]?\d)+")
_PLACEHOLDER = re.compile(r"(\[(?:e-mail|nombre|nom)\])")
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)
_NAMES_IN_A_ROW = re.compile(r"\[nom\](?:[\s-]+\[nom\])+")
#: words of a name that do not name anyone
NOT_NAMES = frozenset({"mme", "mlle", "madame", "monsieur", "mademoiselle", "les", "des",
                       "del", "dit", "dite"})
MIN_NAME_WORD = 3


def name_words(names: Iterable[str]) -> FrozenSet[str]:
    """The folded words that :func:`mask_personal` masks for these names (compute it once
    for many questions and pass it instead of the names)."""
    found = set()
    for name in names:
        for word in _LETTERS.findall(fold(name or "")):
            if len(word) >= MIN_NAME_WORD and word not in NOT_NAMES:
                found.add(word)
    return frozenset(found)


def mask_personal(text: str, names: Union[Iterable[str], FrozenSet[str]] = ()) -> str:
    """``text`` with e-mail addresses, numbers and ``names`` masked (see the module).
    ``names``: the planning's names, or their :func:`name_words`."""
    words = names if isinstance(names, frozenset) else name_words(names)
    masked = _EMAIL.sub(EMAIL, text or "")
    parts = _PLACEHOLDER.split(masked)
    for i, part in enumerate(parts):
        if i % 2 == 0:  # not a placeholder
            if words:
                part = _LETTERS.sub(lambda m: NAME if fold(m.group()) in words else m.group(),
                                    part)
            parts[i] = _NUMBER.sub(NUMBER, part)
    return _NAMES_IN_A_ROW.sub(NAME, "".join(parts))
