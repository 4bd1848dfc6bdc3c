"""A fake of the store's office ports (docs/office-contract.md) for the gateway's tests of
/api/bureau/… and /webhooks/bureau/decision: two requests in Nord, one in Sud, decisions
recorded, changes kept for ``office_changes``; and a way to make a test session an office's,
a client's or a phone-line staff member's without the login (its own tests are elsewhere)."""
from __future__ import annotations

import copy
import threading
from typing import Any, Dict, List, Optional

from bot.domain.errors import DecisionConflict, InvalidInput, RequestNotFound, ServiceError

OFFICE_PORTS = ("office_inbox", "office_open_count", "office_request", "office_decide",
                "office_changes", "month_summary", "office_webhook_secret")
SECRETS = {"Nord": "n" * 40, "Sud": ""}   # Sud has no webhook secret
HEALTH_NOTE = "Hospitalisée depuis lundi"
REASONS = ("slot_unavailable", "too_late", "already_done", "duplicate", "other")


def make_item(reference: str, sector: str, name: str, **changes: Any) -> Dict[str, Any]:
    item = {
        "reference": reference, "kind": "cancellation", "kind_label": "Annulation",
        "status": "forwarded", "status_label": "transmise au bureau de secteur",
        "outcome": None, "outcome_label": None, "open": True, "version": 0,
        "client": {"number": "1001" if sector == "Nord" else "2001", "name": name},
        "sector": sector, "intervention": "mardi 8 décembre, de 9 h à 11 h",
        "intervention_start": "2026-12-08T08:00:00+00:00", "new_slot": None,
        "asked": "Annuler l'intervention du mardi 8 décembre, de 9 h à 11 h",
        "rule": "Annulation à moins de 48 h (préavis : 20 h)",
        "billing": "facturée (annulation à moins de 48 h)", "out_of_notice": True,
        "exemption_pending": False, "reason_label": None, "channel_label": "site web",
        "actor": "client", "received_at": "2026-12-07T09:02:00+00:00",
        "received_label": "lundi 7 décembre à 10 h 02", "decided_by": None,
        "decided_label": None, "refusal_label": None, "note": None,
        "decisions": ["acknowledge", "accept", "refuse"], "marks": ["hors délai"]}
    item.update(changes)
    return item


class FakeOffice:
    """The office ports over three requests; ``calls`` records (port, args, kwargs)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items = {
            "AMP-2026-000101": make_item("AMP-2026-000101", "Nord", "Jeanne Martin"),
            "AMP-2026-000102": make_item("AMP-2026-000102", "Nord", "=Hélène; \"Lulu\""),
            "AMP-2026-000201": make_item("AMP-2026-000201", "Sud", "Paul Durand"),
        }
        self.calls: List[tuple] = []
        self.changes: List[tuple] = []          # (sector, reference), in order
        self.last_decision: Dict[str, tuple] = {}
        self.changes_fail = False

    def _record(self, port: str, *args: Any, **kwargs: Any) -> None:
        with self.lock:
            self.calls.append((port, args, kwargs))

    def called(self, port: str) -> List[tuple]:
        return [c for c in self.calls if c[0] == port]

    def ports(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in OFFICE_PORTS}

    def change(self, sector: str, reference: str) -> None:
        with self.lock:
            self.changes.append((sector, reference))

    # --- the ports ---
    def office_inbox(self, sectors, *, status="open", kind=None, date_from=None, date_to=None,
                     client=None):
        self._record("office_inbox", sectors, status=status, kind=kind, date_from=date_from,
                     date_to=date_to, client=client)
        if status not in ("open", "closed", "all", "received", "forwarded", "acknowledged",
                          "done", "refused"):
            raise InvalidInput("Statut inconnu : open, closed, all ou un statut attendu.")
        return [copy.deepcopy(i) for i in self.items.values() if i["sector"] in sectors]

    def office_open_count(self, sectors) -> int:
        self._record("office_open_count", sectors)
        return sum(1 for i in self.items.values() if i["sector"] in sectors and i["open"])

    def office_request(self, reference, sectors):
        self._record("office_request", reference, sectors)
        item = self.items.get(reference)
        if item is None or (sectors is not None and item["sector"] not in sectors):
            raise RequestNotFound(reference)
        return {**copy.deepcopy(item), "history": [
            {"at": item["received_at"], "at_label": item["received_label"],
             "actor": "client", "what": "reçue"}]}

    def office_decide(self, reference, decision, *, actor, sectors, version=None, reason=None,
                      note=None):
        self._record("office_decide", reference, decision, actor=actor, sectors=sectors,
                     version=version, reason=reason, note=note)
        item = self.items.get(reference)
        if item is None or (sectors is not None and item["sector"] not in sectors):
            raise RequestNotFound(reference)
        if note and "hospitalis" in note.lower():
            raise InvalidInput("La précision ne doit contenir aucune information médicale.")
        if decision == "refuse" and reason not in REASONS:
            raise InvalidInput("Choisissez le motif du refus.")
        if self.last_decision.get(reference) == (decision, actor):
            return copy.deepcopy(item), False, "Cette décision était déjà enregistrée."
        if version is not None and version != item["version"]:
            raise DecisionConflict(
                f"Cette demande a déjà été acceptée par {item['decided_by']} "
                f"({item['decided_label']}).", copy.deepcopy(item))
        item.update(version=item["version"] + 1, status="done", open=False, outcome="accepted",
                    outcome_label="acceptée par le bureau de secteur", decided_by=actor,
                    decided_label="lundi 7 décembre à 11 h 15", decisions=[])
        self.last_decision[reference] = (decision, actor)
        self.change(item["sector"], reference)
        return copy.deepcopy(item), True, "Décision enregistrée : le client en est informé."

    def office_changes(self, cursor):
        self._record("office_changes", cursor)
        if self.changes_fail:
            raise ServiceError("Base indisponible.")
        with self.lock:
            if cursor is None:
                return len(self.changes), {}
            found: Dict[str, List[str]] = {}
            for sector, reference in self.changes[cursor:]:
                found.setdefault(sector, []).append(reference)
            return len(self.changes), found

    def month_summary(self, sectors, year, month):
        self._record("month_summary", sectors, year, month)
        return {"month": f"{year:04d}-{month:02d}", "label": "décembre 2026",
                "rows": [{"kind_label": "Annulation", "outcome_label": "acceptée",
                          "count": 2}],
                "billed_late_cancellations": [
                    {"reference": "AMP-2026-000101",
                     "client": {"number": "1001", "name": "Jeanne Martin"},
                     "intervention": "2026-12-08T08:00:00+00:00",
                     "decided": "2026-12-07T10:15:00+00:00"}],
                "total": 2}

    def office_webhook_secret(self, reference) -> Optional[str]:
        self._record("office_webhook_secret", reference)
        item = self.items.get(reference)
        return SECRETS.get(item["sector"]) or None if item else None


async def become(client, sessions, *, staff=None, sectors=(), office=False,
                 client_number=None) -> str:
    """Make the test client's session someone's (as the login would); its CSRF token."""
    csrf = (await (await client.get("/api/session")).json())["csrf"]
    cookie = next(c for c in client.session.cookie_jar if c.key == "amper_session")
    session = sessions.get(cookie.value)
    session.staff, session.sectors = staff, list(sectors)
    session.client_number, session.office = client_number, office
    return csrf


async def as_office(client, sessions, login="bureau.nord", sectors=("Nord",)) -> str:
    return await become(client, sessions, staff=login, sectors=sectors, office=True)
