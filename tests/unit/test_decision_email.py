"""The office's decision e-mailed to the client (issue 22): the outbox message goes to the
client's current address, never counts for « transmise », and reads as one plain French
sentence; the office's e-mail links to the request in the inbox.  On the in-memory store
with the dispatcher's own steps (no SMTP: tests/browser/test_office_inbox.py has the real
one)."""

import pytest

from bot.adapters.notifications import build_email, render_email
from bot.adapters.notifications.errors import DeliveryError
from bot.domain.model import RequestStatus
from bot.service_layer import services
from bot.service_layer.dispatch import Dispatcher
from bot.service_layer.services import office
from tests.unit.test_dispatch_fake import SETTINGS
from tests.unit.test_services import NOW, cancel, planning, uow  # noqa: F401 (fixtures)


def dispatcher(uow):
    return Dispatcher(settings=SETTINGS, smtp_env={}, clock=lambda: NOW, name="test",
                      uow_factory=lambda: uow, office_url="https://assistant.amper.example")


def with_email(uow, number="1001", email="dupont@example.org"):
    with uow:
        uow.staff.set_client_contact(number, None, email)
        uow.commit()


def test_the_decision_goes_to_the_client_and_does_not_forward_anything(uow):
    with_email(uow)
    ref = cancel(uow, "I-72H").reference
    d = dispatcher(uow)
    (office_mail,) = d.claim()
    office.decide(uow, ref, "accept", actor="bureau.nord", sectors=["Nord"],
                  now=NOW)
    (client_mail,) = d.claim()
    assert (client_mail.channel, client_mail.recipient()) == ("client_email",
                                                              "dupont@example.org")
    assert client_mail.idempotency_key == f"{ref}:decision:1"
    assert d.record_delivered(client_mail) is False
    assert services.get_request(uow, ref).status == RequestStatus.DONE
    assert office_mail.recipient() == "nord@amper.example"
    assert d.record_delivered(office_mail) is False  # decided already: stays done


def test_an_address_removed_since_is_not_guessed(uow):
    with_email(uow)
    ref = cancel(uow, "I-72H").reference
    office.decide(uow, ref, "refuse", actor="bureau.nord", reason="duplicate", sectors=None,
                  now=NOW)
    with_email(uow, email=None)
    (client_mail,) = [m for m in dispatcher(uow).claim() if m.channel == "client_email"]
    with pytest.raises(DeliveryError, match="plus d'adresse"):
        client_mail.recipient()


def test_the_client_email_is_one_plain_sentence_with_a_stable_message_id(uow):
    with_email(uow)
    ref = cancel(uow, "I-72H").reference
    result = office.decide(uow, ref, "refuse", actor="bureau.nord", sectors=["Nord"],
                           reason="slot_unavailable", note="Nous vous rappelons demain")
    payload = office.client_email_payload(result.request)
    subject, body = render_email(payload)
    assert subject == f"[{ref}] Votre demande à AMPER : décision du bureau de secteur"
    assert body.startswith("Bonjour Mme Dupont,\n\nVotre demande " + ref)
    assert "refusée par le bureau de secteur (motif : aucun intervenant disponible sur ce " \
           "créneau). Précision du bureau : Nous vous rappelons demain." in body
    first = build_email(payload, to="x@example.org", mail_from="amper@amper.example",
                        idempotency_key=f"{ref}:decision:1")
    again = build_email(payload, to="x@example.org", mail_from="amper@amper.example",
                        idempotency_key=f"{ref}:decision:1")
    assert first["Message-ID"] == again["Message-ID"]


def test_the_office_email_links_to_the_request_in_the_inbox(uow):
    ref = cancel(uow, "I-72H").reference
    (message,) = dispatcher(uow).claim()
    _, body = render_email(message.payload, "https://assistant.amper.example/")
    assert f"Ouvrir la demande : https://assistant.amper.example/bureau/demande/{ref}\n" in body
    _, without = render_email(message.payload)
    assert "Ouvrir la demande" not in without
