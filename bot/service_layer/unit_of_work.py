"""Unit of work: one database transaction per ``with`` block.

    uow = SqlAlchemyUnitOfWork()          # cheap; the engine is shared per URL
    with uow:
        ... uow.repo, uow.feedback, uow.staff, uow.unanswered, uow.callbacks, uow.office ...
        uow.commit()                       # otherwise everything is rolled back

Leaving the block without commit, or on any exception, rolls back.  Connection failures
(and a SQLite database that stays locked) are raised as
:class:`bot.domain.errors.StoreUnavailable`.  A UoW instance is not thread-safe:
use one per thread/task (they are cheap).

The services know only :class:`AbstractUnitOfWork` and the ports
(:class:`bot.adapters.ports.AbstractRepository`, ``AbstractFeedbackRepository`` for the
votes on the chat's answers, and the staff screen's ports of :mod:`bot.adapters.staff_ports`);
``tests.fakes.FakeUnitOfWork`` is the in-memory one.
"""
from __future__ import annotations

import abc
from typing import Callable, Optional

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters import db
from bot.adapters.feedback_repository import SqlAlchemyFeedbackRepository
from bot.adapters.ports import AbstractFeedbackRepository, AbstractRepository
from bot.adapters.repository import SqlAlchemyRepository
from bot.adapters.staff_ports import (
    AbstractCallbackRepository, AbstractStaffRepository, AbstractUnansweredRepository,
)
from bot.adapters.office_ports import AbstractOfficeRepository
from bot.adapters.office_repository import SqlAlchemyOfficeRepository
from bot.adapters.staff_repository import SqlAlchemyCallbackRepository, SqlAlchemyStaffRepository
from bot.adapters.unanswered_repository import SqlAlchemyUnansweredRepository
from bot.domain.errors import Conflict, StoreUnavailable


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    return isinstance(error, sa_exc.DBAPIError) and bool(error.connection_invalidated)


class AbstractUnitOfWork(abc.ABC):
    """One transaction per ``with`` block, on ``repo``, ``feedback``, ``staff``,
    ``unanswered`` and ``callbacks``: rolled back on leaving the block unless committed (a
    rollback after a commit undoes nothing)."""

    repo: Optional[AbstractRepository] = None
    feedback: Optional[AbstractFeedbackRepository] = None
    staff: Optional[AbstractStaffRepository] = None
    unanswered: Optional[AbstractUnansweredRepository] = None
    callbacks: Optional[AbstractCallbackRepository] = None
    office: Optional[AbstractOfficeRepository] = None

    def __enter__(self) -> "AbstractUnitOfWork":
        return self

    def __exit__(self, exc_type, exc, tb):
        self.rollback()
        return False

    @abc.abstractmethod
    def commit(self) -> None:
        """Make the block's writes durable; Conflict if the store refuses them."""

    @abc.abstractmethod
    def rollback(self) -> None: ...


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    def __init__(self, url: Optional[str] = None,
                 session_factory: Optional[Callable[[], Session]] = None):
        self.url = url or db.database_url()
        self._session_factory = session_factory
        self.session: Optional[Session] = None
        self.repo: Optional[SqlAlchemyRepository] = None
        self.feedback: Optional[SqlAlchemyFeedbackRepository] = None
        self.staff: Optional[SqlAlchemyStaffRepository] = None
        self.unanswered: Optional[SqlAlchemyUnansweredRepository] = None
        self.callbacks: Optional[SqlAlchemyCallbackRepository] = None
        self.office: Optional[SqlAlchemyOfficeRepository] = None

    @property
    def session_factory(self) -> Callable[[], Session]:
        if self._session_factory is None:
            self._session_factory = sessionmaker(bind=db.get_engine(self.url), future=True,
                                                 expire_on_commit=False)
        return self._session_factory

    def __enter__(self) -> "SqlAlchemyUnitOfWork":
        try:
            self.session = self.session_factory()
        except Exception as error:  # engine creation failed (bad URL, missing driver...)
            if is_unavailable(error) or isinstance(error, sa_exc.ArgumentError):
                raise StoreUnavailable() from error
            raise
        self.repo = SqlAlchemyRepository(self.session)
        self.feedback = SqlAlchemyFeedbackRepository(self.session)
        self.staff = SqlAlchemyStaffRepository(self.session)
        self.unanswered = SqlAlchemyUnansweredRepository(self.session)
        self.callbacks = SqlAlchemyCallbackRepository(self.session)
        self.office = SqlAlchemyOfficeRepository(self.session, self.repo)
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.rollback()
        except sa_exc.SQLAlchemyError:
            pass
        finally:
            self.session.close()
        if exc is not None and is_unavailable(exc):
            raise StoreUnavailable() from exc
        return False

    @property
    def connection(self):
        return self.session.connection()

    def commit(self) -> None:
        try:
            self.session.commit()
        except sa_exc.IntegrityError as error:  # a deferred constraint
            raise Conflict() from error

    def rollback(self) -> None:
        self.session.rollback()
