"""The votes on the chat's answers in the booking store (table ``feedback``).

Implements the port :class:`bot.adapters.ports.AbstractFeedbackRepository` inside the unit of
work's session; never commits."""
from __future__ import annotations

from datetime import date
from typing import List, Optional

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import Session

from bot.adapters.orm import feedback
from bot.adapters.ports import AbstractFeedbackRepository, FeedbackCount


class SqlAlchemyFeedbackRepository(AbstractFeedbackRepository):
    def __init__(self, session: Session):
        self.session = session

    def add(self, day: date, intent: str, value: int, channel: str) -> None:
        self.session.execute(insert(feedback).values(day=day, intent=intent, value=value,
                                                     channel=channel))

    def counts(self, since: Optional[date] = None,
               until: Optional[date] = None) -> List[FeedbackCount]:
        up = func.sum(case((feedback.c.value > 0, 1), else_=0))
        down = func.sum(case((feedback.c.value < 0, 1), else_=0))
        stmt = select(feedback.c.intent, up.label("up"), down.label("down")) \
            .group_by(feedback.c.intent)
        if since is not None:
            stmt = stmt.where(feedback.c.day >= since)
        if until is not None:
            stmt = stmt.where(feedback.c.day <= until)
        return [FeedbackCount(intent=r.intent, up=int(r.up), down=int(r.down))
                for r in self.session.execute(stmt)]

    def purge_before(self, day: date) -> int:
        return self.session.execute(delete(feedback).where(feedback.c.day < day)).rowcount
