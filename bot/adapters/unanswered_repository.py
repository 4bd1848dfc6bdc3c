"""The questions the assistant could not answer, in the booking store (table
``unanswered_questions``, already masked: docs/privacy.md).

Implements :class:`bot.adapters.staff_ports.AbstractUnansweredRepository` inside the unit of
work's session; never commits."""
from __future__ import annotations

from datetime import date
from typing import List, Optional, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from bot.adapters.orm import unanswered_questions as table
from bot.adapters.staff_ports import AbstractUnansweredRepository
from bot.domain.staff import UnansweredKind, UnansweredQuestion


def _question(row) -> UnansweredQuestion:
    return UnansweredQuestion(id=row.id, text=row.text, kind=UnansweredKind(row.kind),
                              asked_on=row.asked_on, topic=row.topic,
                              labelled_by=row.labelled_by)


class SqlAlchemyUnansweredRepository(AbstractUnansweredRepository):
    def __init__(self, session: Session):
        self.session = session

    def add(self, text: str, kind: UnansweredKind, asked_on: date) -> int:
        result = self.session.execute(insert(table).values(
            text=text, kind=UnansweredKind(kind).value, asked_on=asked_on))
        return result.inserted_primary_key[0]

    def list(self, since: Optional[date] = None) -> List[UnansweredQuestion]:
        stmt = select(table).order_by(table.c.id)
        if since is not None:
            stmt = stmt.where(table.c.asked_on >= since)
        return [_question(r) for r in self.session.execute(stmt)]

    def label(self, ids: Sequence[int], topic: str, by: str) -> int:
        ids = sorted({int(i) for i in ids})
        if not ids:
            return 0
        return self.session.execute(update(table).where(table.c.id.in_(ids))
                                    .values(topic=topic, labelled_by=by)).rowcount

    def labelled(self) -> List[UnansweredQuestion]:
        stmt = select(table).where(table.c.topic.isnot(None)).order_by(table.c.id)
        return [_question(r) for r in self.session.execute(stmt)]

    def purge_before(self, day: date) -> int:
        return self.session.execute(delete(table).where(table.c.asked_on < day)).rowcount
