"""Use cases of the booking store.  Entry points for the chat actions, the web gateway,
the CLI and the dispatcher.

Every function takes a unit of work (``SqlAlchemyUnitOfWork()``, or any
:class:`~bot.service_layer.unit_of_work.AbstractUnitOfWork`) and runs one transaction per
write; the store is reached only through the repository port (``uow.repo``).  Errors are
:class:`bot.domain.errors.ServiceError` subclasses carrying a French ``message`` that can be
shown as is (see docs/rules.md).

One module per concern, every public name re-exported here (``services.create_...``):

* :mod:`.requests` -- recording requests and previewing them;
* :mod:`.request_status` -- status changes and their history;
* :mod:`.outbox` -- the dispatcher's document, forwarding status, outbox list and retry;
* :mod:`.administration` -- sectors, accounts, authentication, planning import;
* :mod:`.views` -- read views (interventions, requests, what a client is told);
* :mod:`.privacy` -- retention (purge), forgetting and exporting a client;
* :mod:`.feedback` -- the votes on the chat's answers and their report;
* :mod:`.staff` -- the phone-line staff's screen: account sectors, client search, caller's
  file; :mod:`.callbacks` -- callback requests; :mod:`.unanswered` -- the questions the
  assistant could not answer (masked, grouped, labelled, exported);
* :mod:`.common` -- the clock and input checks they share.
"""
from bot.service_layer.services.administration import (
    authenticate, configure_sector, import_planning, import_rows, list_sectors, set_account,
    set_sector,
)
from bot.service_layer.services.callbacks import create_callback, normalise_phone
from bot.service_layer.services.common import MAX_ACTOR_LENGTH
from bot.service_layer.services.feedback import (
    UNKNOWN_INTENT, FeedbackCount, clean_intent, feedback_report,
    record_feedback,
)
from bot.service_layer.services.outbox import (
    OUTBOX_STATUS_LABELS_FR, OutboxMessage, forwarding_status, list_outbox, outbox_payload,
    retry_outbox,
)
from bot.service_layer.services.privacy import (
    ANONYMISED, ForgetReport, PurgeReport, export_client, forget_client, purge, purge_store,
)
from bot.service_layer.services.request_status import change_request_status
from bot.service_layer.services.requests import (
    MAX_GROUP, RequestResult, create_cancellation_request, create_cancellation_requests,
    create_schedule_change_request, preview_cancellation, preview_schedule_change,
)
from bot.service_layer.services.staff import (
    CallerFile, ClientNotFound, caller_file, search_clients, set_account_sectors,
    staff_sectors,
)
from bot.service_layer.services.unanswered import (
    NEW_TOPIC_INTENT, check_topic, export_labelled_nlu, forget_names_cache, label_unanswered,
    record_unanswered, unanswered_groups,
)
from bot.service_layer.services.views import (
    CLIENT_STATUS_LIMIT, FORWARDED_LABEL_FR, FORWARDING_LABEL_FR, ClientRequestStatus,
    ForwardingStatus, client_label, client_request_statuses, get_intervention, get_request,
    list_requests, request_as_dict, store_is_empty, upcoming_interventions,
)

__all__ = [
    "CallerFile", "ClientNotFound", "caller_file", "search_clients", "set_account_sectors",
    "staff_sectors", "create_callback", "normalise_phone",
    "NEW_TOPIC_INTENT", "check_topic", "export_labelled_nlu", "forget_names_cache",
    "label_unanswered", "record_unanswered", "unanswered_groups",
    "ANONYMISED", "ForgetReport", "PurgeReport", "export_client", "forget_client", "purge",
    "purge_store",
    "UNKNOWN_INTENT", "FeedbackCount", "clean_intent", "feedback_report",
    "record_feedback",
    "CLIENT_STATUS_LIMIT", "ClientRequestStatus", "FORWARDED_LABEL_FR", "FORWARDING_LABEL_FR",
    "ForwardingStatus", "MAX_ACTOR_LENGTH", "MAX_GROUP", "OUTBOX_STATUS_LABELS_FR",
    "OutboxMessage", "RequestResult", "authenticate", "change_request_status", "client_label",
    "client_request_statuses", "configure_sector", "create_cancellation_request",
    "create_cancellation_requests", "create_schedule_change_request", "forwarding_status",
    "get_intervention", "get_request", "import_planning", "import_rows", "list_outbox",
    "list_requests", "list_sectors", "outbox_payload", "preview_cancellation",
    "preview_schedule_change", "request_as_dict", "retry_outbox", "set_account", "set_sector",
    "store_is_empty", "upcoming_interventions",
]
