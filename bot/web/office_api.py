"""The sector office's API (/api/bureau/…, docs/office-contract.md): the requests of the
office's sectors (list with filters, one request with its history), a decision on one, the
list and the month's summary as CSV for French Excel, the live list (Server-Sent Events,
:mod:`.office_events`), and the decision sent by the office's own system
(``POST /webhooks/bureau/decision``, signed with the sector's webhook secret).

Every ``/api/bureau/…`` route is for an office session only; a request of another sector
is answered exactly like an unknown reference.  The items are the service's
(``office_item``), passed through as they are."""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any, Dict, Optional, Union

from aiohttp import web

from bot.domain import clock, csv_export
from bot.domain.errors import DecisionConflict, RequestNotFound, ServiceError, StoreUnavailable
from bot.domain.fr_format import REFUSAL_LABELS_FR
from bot.domain.model import OfficeDecision
from bot.domain.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from bot.web import office_events, wording
from bot.web.http import call_port, error, guarded, parse_json, read_body, read_json
from bot.web.sessions import Session

DECISIONS = tuple(d.value for d in OfficeDecision)
REFERENCE = re.compile(r"^[A-Z]{2,5}-[0-9]{4}-[0-9]{3,8}$")
NOTE_MAX = 200          # the contract's limit (the service checks it too, and the words)
FILTER_MAX = 100
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


def office_session(request: web.Request) -> Union[Session, web.Response]:
    """The office's session, or the French 401/403 to answer."""
    session: Session = request["session"]
    if session.staff and session.office:
        return session
    if session.client_number is not None or session.staff:
        return error(403, wording.OFFICE_ONLY)
    return error(401, wording.OFFICE_LOGIN)


def service_error(problem: ServiceError, not_found: str = wording.OFFICE_NOT_FOUND
                  ) -> web.Response:
    """A French ServiceError as its answer: 409 with the request as it is now for a
    decision taken meanwhile, 404 for an unknown (or another sector's) request, 503 when
    the store is down, 400 otherwise."""
    if isinstance(problem, StoreUnavailable):
        return error(503, problem.message)
    if isinstance(problem, DecisionConflict):
        return web.json_response({"error": problem.message, "request": problem.item},
                                 status=409)
    if isinstance(problem, RequestNotFound):
        return error(404, not_found)
    return error(400, problem.message)


#: Office only; a French ServiceError becomes its answer.
office_route = guarded(office_session, service_error)


# --- reading the query -----------------------------------------------------------------------

def _day(value: Optional[str]) -> Union[None, date, web.Response]:
    value = (value or "").strip()
    if not value:
        return None
    try:
        if not _DAY.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        return error(400, wording.OFFICE_BAD_DATE)


def _filters(request: web.Request) -> Union[Dict[str, Any], web.Response]:
    """The port's keyword arguments from ``statut``, ``type``, ``du``, ``au``, ``client``."""
    query = request.query
    status = query.get("statut", "").strip() or "open"
    kind = query.get("type", "").strip() or None
    client = query.get("client", "").strip() or None
    if len(status) > 30 or len(kind or "") > 30 or len(client or "") > FILTER_MAX:
        return error(400, wording.OFFICE_FILTERS)
    found: Dict[str, Any] = {"status": status, "kind": kind, "client": client}
    for key, name in (("date_from", "du"), ("date_to", "au")):
        day = _day(query.get(name))
        if isinstance(day, web.Response):
            return day
        found[key] = day
    return found


def _reference(request: web.Request) -> Optional[str]:
    reference = request.match_info["reference"].strip().upper()
    return reference if REFERENCE.match(reference) else None


REFUSAL_REASONS = [{"code": code.value, "label": label}
                   for code, label in REFUSAL_LABELS_FR.items()]


# --- the routes ------------------------------------------------------------------------------

@office_route
async def list_requests(request: web.Request, session: Session) -> web.Response:
    filters = _filters(request)
    if isinstance(filters, web.Response):
        return filters
    items = await call_port(request, "office_inbox", session.sectors, **filters)
    count = await call_port(request, "office_open_count", session.sectors)
    return web.json_response({"requests": items, "open": count,
                              "refusal_reasons": REFUSAL_REASONS})


@office_route
async def one_request(request: web.Request, session: Session) -> web.Response:
    reference = _reference(request)
    if reference is None:
        return error(404, wording.OFFICE_NOT_FOUND)
    item = await call_port(request, "office_request", reference, session.sectors)
    return web.json_response({"request": item})


def decision_fields(data: Dict[str, Any]) -> Union[Dict[str, Any], web.Response]:
    """``decision``, ``version``, ``reason``, ``note`` of a body, checked for their type
    (what each means for this request is the service's to say)."""
    decision = data.get("decision")
    if decision not in DECISIONS:
        return error(400, wording.OFFICE_BAD_DECISION)
    version = data.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)
                                or version < 0):
        return error(400, wording.OFFICE_BAD_VERSION)
    reason = data.get("reason")
    if reason == "":
        reason = None
    if reason is not None and (not isinstance(reason, str) or len(reason) > 40):
        return error(400, wording.OFFICE_BAD_REASON)
    note = data.get("note")
    if note is not None and (not isinstance(note, str) or len(note.strip()) > NOTE_MAX):
        return error(400, wording.OFFICE_BAD_NOTE)
    return {"decision": decision, "version": version, "reason": reason,
            "note": (note.strip() or None) if isinstance(note, str) else None}


def decided_json(found: Any) -> Dict[str, Any]:
    item, applied, message = found
    return {"request": item, "applied": bool(applied), "message": message}


@office_route
async def post_decision(request: web.Request, session: Session) -> web.Response:
    reference = _reference(request)
    if reference is None:
        return error(404, wording.OFFICE_NOT_FOUND)
    data = await read_json(request)
    if isinstance(data, web.Response):
        return data
    fields = decision_fields(data)
    if isinstance(fields, web.Response):
        return fields
    decision = fields.pop("decision")
    found = await call_port(request, "office_decide", reference, decision, actor=session.staff,
                        sectors=session.sectors, **fields)
    return web.json_response(decided_json(found))


def _slug(sectors) -> str:
    words = []
    for sector in sectors:
        ascii_name = unicodedata.normalize("NFKD", sector).encode("ascii", "ignore").decode()
        words.append(re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-"))
    return "-".join(w for w in words if w) or "secteur"


def _csv(data: bytes, filename: str) -> web.Response:
    return web.Response(body=data, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


@office_route
async def export_csv(request: web.Request, session: Session) -> web.Response:
    filters = _filters(request)
    if isinstance(filters, web.Response):
        return filters
    items = await call_port(request, "office_inbox", session.sectors, **filters)
    today = clock.now().date().isoformat()
    return _csv(csv_export.requests_csv(items), f"demandes-{_slug(session.sectors)}-{today}.csv")


def _month(request: web.Request) -> Union[tuple, web.Response]:
    value = request.query.get("mois", "").strip()
    if not value:
        today = clock.now()
        return today.year, today.month
    found = _MONTH.match(value)
    if not found or not 2000 <= int(found.group(1)) <= 2100 \
            or not 1 <= int(found.group(2)) <= 12:
        return error(400, wording.OFFICE_BAD_MONTH)
    return int(found.group(1)), int(found.group(2))


@office_route
async def summary(request: web.Request, session: Session) -> web.Response:
    month = _month(request)
    if isinstance(month, web.Response):
        return month
    return web.json_response(await call_port(request, "month_summary", session.sectors, *month))


@office_route
async def summary_csv(request: web.Request, session: Session) -> web.Response:
    month = _month(request)
    if isinstance(month, web.Response):
        return month
    found = await call_port(request, "month_summary", session.sectors, *month)
    year, number = month
    return _csv(csv_export.summary_csv(found),
                f"synthese-{_slug(session.sectors)}-{year:04d}-{number:02d}.csv")


@office_route
async def events(request: web.Request, session: Session) -> web.StreamResponse:
    response = await office_events.stream(request, session)
    return error(429, wording.OFFICE_TOO_MANY_STREAMS) if response is None else response


# --- the office's own system ------------------------------------------------------------------

WEBHOOK_PATH = "/webhooks/bureau/decision"
ACTOR_MAX = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _actor(value: Any) -> Optional[str]:
    """The person named by the office's system: None when absent, "" when unusable."""
    if value is None:
        return None
    if not isinstance(value, str) or _CONTROL.search(value):
        return ""
    value = " ".join(value.split())
    return value if 0 < len(value) <= ACTOR_MAX else ""


async def webhook_decision(request: web.Request) -> web.Response:
    """``POST /webhooks/bureau/decision`` from the office's own system (docs/forwarding.md):
    no session and no CSRF token (app.py lets /webhooks/ through), a signature instead.
    The request's sector gives the secret; the decision is the page's, for any sector,
    by « système du bureau <secteur> »."""
    body = await read_body(request)
    if isinstance(body, web.Response):
        return body
    data = parse_json(body)
    if isinstance(data, web.Response):
        return data
    reference = data.get("reference")
    if not isinstance(reference, str) or not REFERENCE.match(reference):
        return error(400, wording.WEBHOOK_FIELDS)
    try:
        secret = await call_port(request, "office_webhook_secret", reference)
        if not secret or not verify_signature(secret, request.headers.get(TIMESTAMP_HEADER),
                                              body, request.headers.get(SIGNATURE_HEADER)):
            return error(401, wording.WEBHOOK_SIGNATURE)
        fields = decision_fields(data)
        actor = _actor(data.get("actor"))
        if isinstance(fields, web.Response) or actor == "":
            return fields if isinstance(fields, web.Response) else error(
                400, wording.WEBHOOK_FIELDS)
        item = await call_port(request, "office_request", reference, None)
        decision = fields.pop("decision")
        found = await call_port(request, "office_decide", reference, decision, sectors=None,
                            actor=wording.office_system(item.get("sector") or "", actor or ""),
                            **fields)
    except ServiceError as problem:
        return service_error(problem, wording.WEBHOOK_NOT_FOUND)
    return web.json_response(decided_json(found))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/bureau/demandes", list_requests)
    app.router.add_get("/api/bureau/demandes/{reference}", one_request)
    app.router.add_post("/api/bureau/demandes/{reference}/decision", post_decision)
    app.router.add_get("/api/bureau/export.csv", export_csv)
    app.router.add_get("/api/bureau/synthese", summary)
    app.router.add_get("/api/bureau/synthese.csv", summary_csv)
    app.router.add_get("/api/bureau/evenements", events, allow_head=False)
    app.router.add_post(WEBHOOK_PATH, webhook_decision)
    office_events.setup(app)
