"""The sector office's page (/bureau, docs/office-contract.md).  Being written."""
from __future__ import annotations

from aiohttp import web


def setup_office_pages(app: web.Application) -> None:
    """The office's pages (none yet)."""
