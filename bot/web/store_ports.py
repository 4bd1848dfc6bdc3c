"""What the gateway asks the booking store, each through the service layer with a fresh unit
of work (called off the event loop by the handlers).  ``create_app(..., name=callable)``
replaces any of them in tests."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from bot.faq.topics import FAQ_TOPICS, RETRIEVAL_INTENT

PLANNING_LIMIT = 20  # interventions listed in « Mon planning »
#: the topics a staff member may give an unanswered question ("nouveau": none fits)
LABEL_TOPICS = [f"{RETRIEVAL_INTENT}/{key}" for key in FAQ_TOPICS] + ["nouveau"]


def _uow():
    from bot.service_layer.unit_of_work import SqlAlchemyUnitOfWork

    return SqlAlchemyUnitOfWork()


def _services():
    from bot.service_layer import services

    return services


def authenticate(login: str, password: str):
    return _services().authenticate(_uow(), login, password)


def planning(client_number: str):
    from bot.service_layer.services import views

    interventions = views.upcoming_interventions(_uow(), client_number, limit=PLANNING_LIMIT)
    return interventions, views.client_request_statuses(_uow(), client_number)


def client_exists(client_number: str) -> bool:
    from bot.service_layer.services import views

    return views.client_exists(_uow(), client_number)


def store_ready() -> bool:
    """A cheap question to the store (``GET /ready``): raises when it does not answer."""
    client_exists("0")
    return True


def record_feedback(intent: str, value: str) -> None:
    _services().record_feedback(_uow(), intent=intent, value=value, channel="web")


def record_unanswered(text: str, kind: str) -> None:
    _services().record_unanswered(_uow(), text=text, kind=kind)


def staff_sectors(login: str) -> List[str]:
    return _services().staff_sectors(_uow(), login)


def search_clients(query: str, sectors: List[str]):
    return _services().search_clients(_uow(), query, sectors)


def caller_file(client_number: str, sectors: List[str]):
    return _services().caller_file(_uow(), client_number, sectors)


def create_callback(**fields: Any):
    return _services().create_callback(_uow(), **fields)


def unanswered_groups():
    return _services().unanswered_groups(_uow())


def label_unanswered(ids: List[int], topic: str, *, by: str) -> int:
    return _services().label_unanswered(_uow(), ids, topic, by=by, topics=LABEL_TOPICS)


def export_labelled_nlu() -> str:
    return _services().export_labelled_nlu(_uow())


# --- the sector office (issue 22, docs/office-contract.md) ------------------------------

def _office():
    from bot.service_layer.services import office, office_views

    return office, office_views


def office_inbox(sectors: List[str], **filters: Any) -> List[Dict[str, Any]]:
    office, views = _office()
    return [views.office_item(r) for r in office.office_inbox(_uow(), sectors, **filters)]


def office_open_count(sectors: List[str]) -> int:
    return _office()[0].office_open_count(_uow(), sectors)


def office_request(reference: str, sectors: List[str]) -> Dict[str, Any]:
    office, views = _office()
    return views.office_item(office.office_request(_uow(), reference, sectors),
                             with_history=True)


def office_decide(reference: str, decision: str, *, actor: str, sectors, version=None,
                  reason=None, note=None) -> Tuple[Dict[str, Any], bool, str]:
    from bot.domain.errors import DecisionConflict

    office, views = _office()
    try:
        result = office.decide(_uow(), reference, decision, actor=actor, sectors=sectors,
                               version=version, reason=reason, note=note)
    except DecisionConflict as conflict:
        if conflict.item is not None and not isinstance(conflict.item, dict):
            conflict.item = views.office_item(conflict.item, with_history=True)
        raise
    return views.office_item(result.request, with_history=True), result.applied, result.message


def office_changes(cursor):
    return _office()[0].office_changes(_uow(), cursor)


def month_summary(sectors: List[str], year: int, month: int) -> Dict[str, Any]:
    return _office()[0].month_summary(_uow(), sectors, year, month)


def office_webhook_secret(reference: str) -> Optional[str]:
    found = _office()[0].webhook_secret(_uow(), reference)
    return found[1] if found else None


def client_notices(client_number: str) -> List[str]:
    return _office()[0].client_notices(_uow(), client_number)


DEFAULTS: Dict[str, Callable[..., Any]] = {
    name: globals()[name] for name in (
        "authenticate", "planning", "client_exists", "record_feedback", "record_unanswered",
        "staff_sectors", "search_clients", "caller_file", "create_callback",
        "unanswered_groups", "label_unanswered", "export_labelled_nlu",
        "office_inbox", "office_open_count", "office_request", "office_decide",
        "office_changes", "month_summary", "office_webhook_secret", "client_notices",
        "store_ready")}
