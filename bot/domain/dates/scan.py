"""The text being read, from which each pass of extraction takes what it understood.

A stretch of text once understood is replaced by one upper-case mask word (normalised text
has no upper case), so that no later pattern reads it again and the word before a number
still tells what came before it ("jeudi 15" is a day, "jeudi 2 h" a time).  What each
stretch was is kept beside the text in ``pieces``, one per mask word in text order: the
passes ask :meth:`Scan.mark_before`, :meth:`Scan.mark_after` and :meth:`Scan.masks`, and a
duration carries its length to the shift pass there, not in the text.

The mask words themselves stay in the text: they keep the word boundaries and the "word
before" that every later pattern was written against.  Replacing them by a list of spans
would change how each pattern sees its neighbours, so that part is left as it was.
"""
from __future__ import annotations

import enum
import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Callable, Iterator, Optional


class Mark(enum.Enum):
    """What an understood stretch of text was; its value is the mask word left in the text."""

    DATE = "DATE"
    TIME = "TIME"
    PART = "PART"  # a part of day
    DURATION = "DUR"
    VOID = "VOID"  # a date that does not exist ("31/02"): read, but gives nothing


@dataclass(frozen=True)
class Piece:
    mark: Mark
    minutes: int = 0  # the length of a duration


_MASK = re.compile(r"\b(?:%s)\b" % "|".join(m.value for m in Mark))
_MARKS = {m.value: m for m in Mark}


class Scan:
    """Normalised text with the understood stretches masked, and what they were."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pieces: list[Piece] = []  # one per mask word of ``text``, in order

    def take(self, pattern: re.Pattern, handle: Callable[[re.Match], Optional[Piece]]) -> None:
        """Mask each match for which ``handle`` returns a piece; None leaves the text as is.

        ``handle`` sees the text as it was before this pass, like ``re.sub``.
        """
        starts = [m.start() for m in _MASK.finditer(self.text)]
        text: list[str] = []
        pieces: list[Piece] = []
        pos = kept = 0
        for m in pattern.finditer(self.text):
            piece = handle(m)
            if piece is None:
                continue
            pieces += self.pieces[kept:bisect_left(starts, m.start())]
            pieces.append(piece)
            kept = bisect_left(starts, m.end())  # a mask inside the match goes with it
            text += [self.text[pos:m.start()], f" {piece.mark.value} "]
            pos = m.end()
        self.text = "".join(text) + self.text[pos:]
        self.pieces = pieces + self.pieces[kept:]

    def words_before(self, pos: int, n: int = 3) -> list[str]:
        return self.text[:pos].split()[-n:]

    def mark_before(self, pos: int) -> Optional[Mark]:
        """The mark of the word just before ``pos``, if that word is a mask."""
        before = self.words_before(pos, 1)
        return _MARKS.get(before[0]) if before else None

    def mark_after(self, pos: int) -> Optional[Mark]:
        """The mark of the word just after ``pos``, if that word is a mask."""
        after = self.text[pos:].split(maxsplit=1)
        return _MARKS.get(after[0]) if after else None

    def masks(self) -> Iterator[tuple[Piece, int]]:
        """Each piece with the position just after its mask word, in text order."""
        for piece, m in zip(self.pieces, _MASK.finditer(self.text)):
            yield piece, m.end()
