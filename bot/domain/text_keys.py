"""Comparison keys of short texts: accents and case folded, words, digits.  Used by the
staff's client search and the grouping and masking of unanswered questions."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import List, Optional

_WORD = re.compile(r"[a-z0-9]+")
_NOT_DIGIT = re.compile(r"\D")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """'Mme Hélène Cœur' -> 'mme helene coeur': lower case, no accents, œ/æ spelled out."""
    lowered = text.lower().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> List[str]:
    """The folded words (letters and digits) of ``text``, in order."""
    return _WORD.findall(fold(text))


def digits(text: str) -> str:
    """Only the digits; a French number written +33… is given back as 0…"""
    found = _NOT_DIGIT.sub("", text or "")
    if (text or "").lstrip().startswith("+33") and found.startswith("33"):
        return "0" + found[2:]
    return found


_FRENCH_PHONE = re.compile(r"0[1-9]\d{8}")
_PHONE_CHARACTERS = re.compile(r"\+?[\d\s.\-()]+")


def french_phone(text: str) -> Optional[str]:
    """A French phone number (10 digits « 06 12 34 56 78 », « 06.12.34.56.78 », or
    « +33 6 12 34 56 78 ») written « 06 12 34 56 78 »; None if it is not one."""
    value = (text or "").strip()
    number = digits(value)
    if (not _PHONE_CHARACTERS.fullmatch(value or "x")
            or (value.startswith("+") and not value.startswith("+33"))
            or not _FRENCH_PHONE.fullmatch(number)):
        return None
    return " ".join(number[i:i + 2] for i in range(0, 10, 2))


def search_key(name: str, phone: Optional[str]) -> str:
    """What the staff's client search compares a query's words with: the folded name and
    the phone's digits (``clients.search_key``), e.g. 'mme helene dupont 0612345678'."""
    return f"{fold(name or '')} {digits(phone or '')}".strip()[:300]
