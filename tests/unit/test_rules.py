"""Notice rules at their boundaries, including the Europe/Paris daylight-saving changes."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from bot.domain.model import Intervention, InterventionStatus, ReasonCategory
from bot.domain.rules import (
    CANCELLATION_NOTICE, Code, SCHEDULE_CHANGE_NOTICE, check_slot, decide_cancellation,
    decide_schedule_change, elapsed,
)

PARIS = ZoneInfo("Europe/Paris")
UTC = timezone.utc
CLIENT = "1001"

nows = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2032, 12, 31),
    timezones=st.just(PARIS), allow_imaginary=False,
)
reasons = st.sampled_from(list(ReasonCategory))


def paris(*args):
    return datetime(*args, tzinfo=PARIS)


def make(start, duration=timedelta(hours=1), client=CLIENT, status=InterventionStatus.SCHEDULED):
    start = start.astimezone(PARIS)
    end = (start.astimezone(UTC) + duration).astimezone(PARIS)
    return Intervention(external_id="I1", client_number=client, start=start, end=end,
                        service="Ménage", caregiver="Marie", status=status)


def at(now, delta):
    """now + delta of real time, expressed in Paris time."""
    return (now.astimezone(UTC) + delta).astimezone(PARIS)


# --- cancellation: 48 hours -------------------------------------------------------------

@given(now=nows, reason=reasons,
       delta=st.timedeltas(min_value=timedelta(seconds=1),
                          max_value=CANCELLATION_NOTICE - timedelta(seconds=1)))
def test_cancellation_under_48h_is_out_of_notice(now, reason, delta):
    d = decide_cancellation(make(at(now, delta)), CLIENT, reason, now)
    assert d.allowed and d.out_of_notice
    if reason in (ReasonCategory.HOSPITALISATION, ReasonCategory.MALADIE):
        assert d.code == Code.CANCELLATION_EXEMPTION_PENDING
        assert d.billable is None and d.exemption_pending
        assert "justificatif médical" in d.message and "jamais dans cette conversation" in d.message
    else:
        assert d.code == Code.CANCELLATION_BILLABLE and d.billable is True
        assert not d.exemption_pending and "facturée" in d.message
    assert d.notice == delta


@given(now=nows, reason=reasons,
       delta=st.timedeltas(min_value=CANCELLATION_NOTICE, max_value=timedelta(days=60)))
def test_cancellation_from_48h_is_free(now, reason, delta):
    d = decide_cancellation(make(at(now, delta)), CLIENT, reason, now)
    assert d.allowed and d.code == Code.CANCELLATION_FREE
    assert d.billable is False and not d.out_of_notice and not d.exemption_pending
    assert "gratuite" in d.message


@given(now=nows)
def test_cancellation_47h59_vs_48h00(now):
    late = decide_cancellation(make(at(now, timedelta(hours=47, minutes=59))), CLIENT, "personnel", now)
    ok = decide_cancellation(make(at(now, timedelta(hours=48))), CLIENT, "personnel", now)
    assert late.code == Code.CANCELLATION_BILLABLE
    assert ok.code == Code.CANCELLATION_FREE


def test_message_example():
    d = decide_cancellation(make(paris(2026, 3, 5, 9)), CLIENT, "personnel", paris(2026, 3, 1, 9))
    assert d.message == ("Votre intervention du jeudi 5 mars à 9 h a lieu dans au moins "
                         "48 heures : l'annulation est gratuite.")


def test_office_contact_in_exemption_message():
    d = decide_cancellation(make(paris(2026, 3, 5, 9)), CLIENT, ReasonCategory.HOSPITALISATION,
                            paris(2026, 3, 4, 9), office_contact="nord@amper.example")
    assert "nord@amper.example" in d.message and "bureau décidera" in d.message


# --- daylight saving time -----------------------------------------------------------------
# 2026: summer time starts Sunday 29 March (02:00 -> 03:00), ends Sunday 25 October (03:00 -> 02:00).

def test_march_dst_48_real_hours_not_wall_clock():
    start = paris(2026, 3, 30, 9)  # Monday after the change
    # Saturday 09:00 is 48 h of wall clock before, but only 47 h of real time.
    sat9 = paris(2026, 3, 28, 9)
    assert elapsed(sat9, start) == timedelta(hours=47)
    assert start - sat9 == timedelta(hours=48)  # the naive trap this module avoids
    assert decide_cancellation(make(start), CLIENT, "personnel", sat9).code == Code.CANCELLATION_BILLABLE
    sat8 = paris(2026, 3, 28, 8)
    assert decide_cancellation(make(start), CLIENT, "personnel", sat8).code == Code.CANCELLATION_FREE


def test_october_dst_48_real_hours_not_wall_clock():
    start = paris(2026, 10, 26, 9)  # Monday after the change
    # Saturday 10:00 is 47 h of wall clock before, but 48 h of real time: free.
    assert decide_cancellation(make(start), CLIENT, "personnel", paris(2026, 10, 24, 10)).code \
        == Code.CANCELLATION_FREE
    assert decide_cancellation(make(start), CLIENT, "personnel", paris(2026, 10, 24, 10, 1)).code \
        == Code.CANCELLATION_BILLABLE


def test_dst_ten_days_are_240_real_hours():
    start = paris(2026, 4, 6, 9)  # ten calendar days after 27 March, across the March change
    new_start, new_end = paris(2026, 4, 20, 9), paris(2026, 4, 20, 10)
    same_wall = paris(2026, 3, 27, 9)  # 239 real hours before
    d = decide_schedule_change(make(start), CLIENT, new_start, new_end, same_wall)
    assert d.code == Code.SCHEDULE_CHANGE_OUT_OF_NOTICE
    d = decide_schedule_change(make(start), CLIENT, new_start, new_end, paris(2026, 3, 27, 8))
    assert d.code == Code.SCHEDULE_CHANGE_OK


@given(now=nows, hours=st.sampled_from([47, 48, 49]))
def test_rules_agree_whatever_the_timezone_of_inputs(now, hours):
    start = at(now, timedelta(hours=hours))
    a = decide_cancellation(make(start), CLIENT, "autre", now)
    b = decide_cancellation(make(start), CLIENT, "autre", now.astimezone(UTC))
    assert a.code == b.code and a.notice == b.notice


# --- schedule change: 10 days ------------------------------------------------------------

@given(now=nows, delta=st.timedeltas(min_value=timedelta(minutes=1),
                                    max_value=timedelta(days=40)))
def test_schedule_change_notice(now, delta):
    start = at(now, delta)
    new_start = at(now, delta + timedelta(days=2))
    d = decide_schedule_change(make(start), CLIENT, new_start, at(new_start, timedelta(hours=1)), now)
    assert d.allowed
    if delta >= SCHEDULE_CHANGE_NOTICE:
        assert d.code == Code.SCHEDULE_CHANGE_OK and not d.out_of_notice
        assert "sous réserve de confirmation" in d.message
    else:
        assert d.code == Code.SCHEDULE_CHANGE_OUT_OF_NOTICE and d.out_of_notice
        assert "pourra la refuser" in d.message
    assert d.billable is None


@given(now=nows)
def test_schedule_change_9d23h_vs_10d(now):
    def code(delta):
        start = at(now, delta)
        ns = at(now, timedelta(days=20))
        return decide_schedule_change(make(start), CLIENT, ns, at(ns, timedelta(hours=1)), now).code
    assert code(timedelta(days=9, hours=23)) == Code.SCHEDULE_CHANGE_OUT_OF_NOTICE
    assert code(timedelta(days=9, hours=23, minutes=59, seconds=59)) == Code.SCHEDULE_CHANGE_OUT_OF_NOTICE
    assert code(timedelta(days=10)) == Code.SCHEDULE_CHANGE_OK


# --- slots --------------------------------------------------------------------------------

@given(now=nows, minutes=st.integers(min_value=1, max_value=600))
def test_slot_minimum_45_minutes(now, minutes):
    ns = at(now, timedelta(days=3))
    d = check_slot(ns, at(ns, timedelta(minutes=minutes)), now)
    if minutes < 45:
        assert d.code == Code.SLOT_TOO_SHORT and not d.allowed
        assert "45 minutes" in d.message
    else:
        assert d.allowed and d.code == Code.SLOT_OK


@given(now=nows)
def test_slot_44_vs_45_minutes(now):
    ns = at(now, timedelta(days=12))
    start = at(now, timedelta(days=11))
    assert decide_schedule_change(make(start), CLIENT, ns, at(ns, timedelta(minutes=44)), now).code \
        == Code.SLOT_TOO_SHORT
    assert decide_schedule_change(make(start), CLIENT, ns, at(ns, timedelta(minutes=45)), now).code \
        == Code.SCHEDULE_CHANGE_OK


def test_slot_duration_is_real_time_across_dst():
    # 01:30 -> 03:15 on the March change lasts 45 real minutes (02:00-03:00 does not exist).
    now = paris(2026, 3, 1, 9)
    d = check_slot(paris(2026, 3, 29, 1, 30), paris(2026, 3, 29, 3, 15), now)
    assert d.allowed
    d = check_slot(paris(2026, 3, 29, 1, 30), paris(2026, 3, 29, 3, 14), now)
    assert d.code == Code.SLOT_TOO_SHORT


@given(now=nows, back=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)))
def test_slot_in_the_past_refused(now, back):
    ns = at(now, -back)
    d = check_slot(ns, at(ns, timedelta(hours=1)), now)
    assert not d.allowed and d.code == Code.SLOT_IN_PAST


@given(now=nows, length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=5)))
def test_slot_end_not_after_start(now, length):
    ns = at(now, timedelta(days=20))
    d = check_slot(ns, at(ns, -length), now)
    assert not d.allowed and d.code == Code.SLOT_END_NOT_AFTER_START


def test_unchanged_slot_refused():
    now = paris(2026, 3, 1, 9)
    iv = make(paris(2026, 3, 20, 9))
    d = decide_schedule_change(iv, CLIENT, iv.start, iv.end, now)
    assert d.code == Code.SLOT_UNCHANGED and not d.allowed


# --- interventions that cannot be touched -------------------------------------------------

@given(now=nows, back=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)), reason=reasons)
def test_past_or_started_intervention_refused(now, back, reason):
    iv = make(at(now, -back))
    d = decide_cancellation(iv, CLIENT, reason, now)
    assert not d.allowed and d.code == Code.INTERVENTION_PAST
    ns = at(now, timedelta(days=20))
    d = decide_schedule_change(iv, CLIENT, ns, at(ns, timedelta(hours=1)), now)
    assert not d.allowed and d.code == Code.INTERVENTION_PAST


@given(now=nows, reason=reasons)
def test_cancelled_intervention_refused(now, reason):
    iv = make(at(now, timedelta(days=5)), status=InterventionStatus.CANCELLED)
    d = decide_cancellation(iv, CLIENT, reason, now)
    assert not d.allowed and d.code == Code.INTERVENTION_CANCELLED and "déjà annulée" in d.message
    ns = at(now, timedelta(days=20))
    assert decide_schedule_change(iv, CLIENT, ns, at(ns, timedelta(hours=1)), now).code \
        == Code.INTERVENTION_CANCELLED


@given(now=nows, reason=reasons, other=st.sampled_from(["1002", "9999", "", "1001 "]))
def test_other_clients_intervention_refused(now, reason, other):
    iv = make(at(now, timedelta(days=5)), client="1001")
    d = decide_cancellation(iv, other, reason, now)
    assert not d.allowed and d.code == Code.INTERVENTION_NOT_OWNED
    assert d.message == "Cette intervention ne figure pas dans votre planning."
    # the message reveals nothing about the intervention
    assert "mars" not in d.message and "Marie" not in d.message


def test_naive_datetimes_rejected():
    iv = make(paris(2026, 3, 20, 9))
    with pytest.raises(ValueError):
        decide_cancellation(iv, CLIENT, "autre", datetime(2026, 3, 1, 9))
    with pytest.raises(ValueError):
        check_slot(datetime(2026, 3, 25, 9), datetime(2026, 3, 25, 10), paris(2026, 3, 1))


def test_unknown_reason_rejected():
    with pytest.raises(ValueError):
        decide_cancellation(make(paris(2026, 3, 20, 9)), CLIENT, "grippe", paris(2026, 3, 1, 9))
