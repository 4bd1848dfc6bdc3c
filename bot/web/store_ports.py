"""What the gateway asks the booking store, each through the service layer with a fresh unit
of work (called off the event loop by the handlers).  ``create_app(..., name=callable)``
replaces any of them in tests."""
from __future__ import annotations

from typing import Any, Callable, Dict, List

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


DEFAULTS: Dict[str, Callable[..., Any]] = {
    name: globals()[name] for name in (
        "authenticate", "planning", "client_exists", "record_feedback", "record_unanswered",
        "staff_sectors", "search_clients", "caller_file", "create_callback",
        "unanswered_groups", "label_unanswered", "export_labelled_nlu")}
