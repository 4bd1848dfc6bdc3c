"""The dispatcher's bookkeeping (claim, delivered, retry with backoff, dead letter) on the
in-memory store and an injected clock: no database, no network, no waiting.  Delivery
itself (SMTP, webhook) is tested against real local servers in tests/integration."""
from datetime import timedelta

from bot.domain.model import RequestStatus
from bot.service_layer import services
from bot.service_layer.dispatch import Dispatcher, DispatchSettings
from tests.unit.test_services import NOW, cancel, planning, uow  # noqa: F401 (fixtures)

SETTINGS = DispatchSettings(max_attempts=3, backoff_base=30, backoff_max=600, jitter=0.0,
                            attempt_timeout=5, batch_size=10)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def dispatcher(uow, clock):
    return Dispatcher(settings=SETTINGS, smtp_env={}, clock=clock, name="test",
                      uow_factory=lambda: uow)


def test_all_messages_delivered_forward_the_request_once(uow):
    ref = cancel(uow, "S-24H", client="2001").reference
    clock = Clock(NOW)
    d = dispatcher(uow, clock)
    email, hook = d.claim()
    assert {email.channel, hook.channel} == {"email", "webhook"} and email.reference == ref
    assert d.claim() == []  # leased: a second pass takes nothing
    assert d.record_delivered(email) is False  # the webhook is still to go
    assert d.record_delivered(hook) is True
    request = services.get_request(uow, ref)
    assert request.status == RequestStatus.FORWARDED
    assert [h.to_status for h in request.history][-1] == RequestStatus.FORWARDED


def test_a_failure_waits_for_the_backoff_then_becomes_dead(uow):
    cancel(uow, "S-24H", client="2001")
    clock = Clock(NOW)
    d = dispatcher(uow, clock)
    first = [m for m in d.claim() if m.channel == "webhook"][0]
    assert d.record_failure(first, "connexion refusée") == "failed"
    clock.now = NOW + timedelta(seconds=29)
    assert [m.channel for m in d.claim()] == []  # the e-mail is leased, the webhook not due
    clock.now = NOW + timedelta(seconds=30)  # base 30 s, no jitter
    (second,) = [m for m in d.claim() if m.channel == "webhook"]
    assert second.attempts == 2 and d.record_failure(second, "boom") == "failed"
    clock.now += timedelta(seconds=59)
    assert [m for m in d.claim() if m.channel == "webhook"] == []
    clock.now += timedelta(seconds=1)  # doubled: 60 s
    (third,) = [m for m in d.claim() if m.channel == "webhook"]
    assert d.record_failure(third, "boom") == "dead"
    clock.now += timedelta(days=1)
    assert [m for m in d.claim() if m.channel == "webhook"] == []
    assert services.list_outbox(uow, status="dead")[0].last_error == "boom"


def test_a_missing_setting_waits_without_spending_an_attempt(uow):
    cancel(uow, "S-24H", client="2001")
    clock = Clock(NOW)
    d = dispatcher(uow, clock)
    email = [m for m in d.claim() if m.channel == "email"][0]
    assert d.record_failure(email, "serveur SMTP non configuré", waiting=True) == "waiting"
    clock.now = NOW + timedelta(seconds=SETTINGS.config_retry)
    (again,) = [m for m in d.claim() if m.channel == "email"]
    assert again.attempts == 1  # the wait did not count as a try
