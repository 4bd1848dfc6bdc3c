"""The sector office's port (``uow.office``) in memory, on the FakeRepository's tables (so it
commits and rolls back with them).  Like the SQL one except for concurrency: the optimistic
lock on ``version`` is imitated, two transactions at once are not (tests/integration)."""
from __future__ import annotations

from datetime import datetime
from typing import List, Optional, Sequence, Tuple

from bot.adapters.office_ports import AbstractOfficeRepository, Change
from bot.domain.decisions import Effect
from bot.domain.model import Request
from bot.domain.text_keys import search_key


class FakeOfficeRepository(AbstractOfficeRepository):
    def __init__(self, repo):
        self.repo = repo

    def _all(self) -> List[Request]:
        return [self.repo._request(row) for row in self.repo.requests.values()]

    def _row(self, request_id: int) -> dict:
        return self.repo.requests[request_id]

    def inbox(self, names, *, statuses, kind, start_from, start_before, client_terms,
              limit) -> List[Request]:
        wanted = set(names)
        found = []
        for r in self._all():
            client = self.repo.clients[r.client_number]
            key = search_key(client["name"], client.get("phone"))
            if (r.sector in wanted and (statuses is None or r.status in statuses)
                    and (not kind or r.kind.value == kind)
                    and (start_from is None or r.intervention_start >= start_from)
                    and (start_before is None or r.intervention_start < start_before)
                    and all(t in key or r.client_number.lower().startswith(t)
                            for t in client_terms)):
                found.append(r)
        found.sort(key=lambda r: r.id, reverse=True)
        return found[:limit]

    def open_count(self, names) -> int:
        return sum(1 for r in self._all() if r.sector in set(names) and r.is_open)

    def apply_decision(self, request_id: int, expected_version: int, effect: Effect, *,
                       actor: str, now: datetime) -> bool:
        row = self._row(request_id)
        if row.get("version", 0) != expected_version:
            return False
        row.update(status=effect.status.value, billable=effect.billable,
                   exemption_pending=effect.exemption_pending,
                   version=row.get("version", 0) + 1, updated_at=now)
        if effect.outcome is not None:
            row.update(outcome=effect.outcome.value, decided_by=actor, decided_at=now,
                       refusal_reason=effect.refusal_reason.value if effect.refusal_reason
                       else None, decision_note=effect.note)
        return True

    def move_intervention(self, request_id: int, start: datetime, end: datetime) -> None:
        self.repo._intervention_row(self._row(request_id)["intervention_id"]).update(
            start=start, end=end)

    def changes_since(self, since: datetime) -> List[Change]:
        return [(r.reference, r.sector, r.version, r.status.value)
                for r in sorted(self._all(), key=lambda r: r.id) if r.updated_at >= since]

    def untold_outcomes(self, client_number: str) -> List[Request]:
        found = [r for r in self._all() if r.client_number == str(client_number)
                 and r.decided_at is not None
                 and (r.client_told_at is None or r.client_told_at < r.decided_at)]
        return sorted(found, key=lambda r: (r.decided_at, r.id))

    def mark_told(self, request_ids: Sequence[int], now: datetime) -> None:
        for request_id in request_ids:
            self._row(request_id)["client_told_at"] = now

    def month_requests(self, names, start: datetime, end: datetime) -> List[Request]:
        found = [r for r in self._all() if r.sector in set(names)
                 and start <= r.intervention_start < end]
        return sorted(found, key=lambda r: (r.intervention_start, r.id))

    def sector_secret(self, reference: str) -> Optional[Tuple[str, Optional[str]]]:
        row = self.repo._find(reference=reference)
        if row is None:
            return None
        sector = self.repo._client(row["client_id"])[1]["sector"]
        return sector, self.repo.sectors[sector].webhook_secret
