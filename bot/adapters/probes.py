"""Is a store reachable?  Small blocking checks for the readiness routes (docs/deploy.md):
each answers True or False, never raises; the caller runs it in a thread with a timeout
(:func:`within`)."""
from __future__ import annotations

import asyncio
import logging
from typing import Callable, Optional

from bot.adapters import db

log = logging.getLogger(__name__)

TIMEOUT_S = 3.0


def sql_reachable(engine) -> bool:
    """``SELECT 1`` on a connection of ``engine``."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1").scalar()
        return True
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        log.warning("base injoignable : %s", type(error).__name__)
        return False


def booking_store_reachable(url: Optional[str] = None) -> bool:
    """The booking store (``AMPER_DATABASE_URL``) answers."""
    try:
        engine = db.get_engine(url)
    except Exception as error:  # noqa: BLE001
        log.warning("base des demandes inutilisable : %s", type(error).__name__)
        return False
    return sql_reachable(engine)


def redis_reachable(client) -> bool:
    """A Redis client (redis-py) answers PING."""
    try:
        return bool(client.ping())
    except Exception as error:  # noqa: BLE001
        log.warning("Redis injoignable : %s", type(error).__name__)
        return False


async def within(check: Callable[[], bool], timeout: float = TIMEOUT_S) -> bool:
    """``check()`` in a thread; False when it fails or takes longer than ``timeout``."""
    try:
        return bool(await asyncio.wait_for(asyncio.to_thread(check), timeout))
    except Exception:  # noqa: BLE001 - a timeout is a "no"
        return False
