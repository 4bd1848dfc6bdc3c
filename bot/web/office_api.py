"""The sector office's API (/api/bureau/…, docs/office-contract.md).  Being written."""
from __future__ import annotations

from aiohttp import web


def add_routes(app: web.Application) -> None:
    """The office's routes (none yet)."""
