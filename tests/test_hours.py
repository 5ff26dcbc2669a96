"""The queues' hours (bot/domain/hours.py, config/queues.yml): boundaries, the
administrative lunch break, national holidays, the 24x7 cloud queue, and
moments given in other offsets."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.domain.hours import HoursError, load_calendar, parse_calendar
from common.vocabulary import vocabulary

BRT = timezone(timedelta(hours=-3))  # Brasília: no daylight-saving time since 2019
CALENDAR = load_calendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BRT)


@pytest.mark.parametrize(
    "moment,open_",
    [
        ("2026-11-23T06:59:59", False),  # Monday, before opening
        ("2026-11-23T07:00:00", True),
        ("2026-11-23T18:59:59", True),
        ("2026-11-23T19:00:00", False),  # closing time is closed
        ("2026-11-28T10:00:00", False),  # Saturday
        ("2026-11-20T10:00:00", False),  # Black Awareness Day, a national holiday since 2024
        ("2026-12-25T10:00:00", False),
    ],
)
def test_technical_support_hours(moment, open_):
    assert CALENDAR.is_open("technical_support", at(moment)) is open_


@pytest.mark.parametrize(
    "moment,open_",
    [("2026-11-23T11:59", True), ("2026-11-23T12:00", False), ("2026-11-23T13:29", False), ("2026-11-23T13:30", True)],
)
def test_the_administrative_queue_stops_for_lunch(moment, open_):
    assert CALENDAR.is_open("administrative", at(moment)) is open_


def test_communication_channel_closes_earlier():
    assert CALENDAR.is_open("communication", at("2026-11-23T17:29"))
    assert not CALENDAR.is_open("communication", at("2026-11-23T17:30"))


def test_cloud_is_always_open():
    for moment in ("2026-11-29T03:00", "2026-12-25T23:59", "2026-11-23T00:00"):
        assert CALENDAR.is_open("cloud", at(moment))


def test_moments_in_other_offsets_are_read_in_brasilia_time():
    # 10:30 UTC is 07:30 in Brasília; 09:59 UTC is 06:59.
    assert CALENDAR.is_open("technical_support", datetime(2026, 11, 23, 10, 30, tzinfo=timezone.utc))
    assert not CALENDAR.is_open("technical_support", datetime(2026, 11, 23, 9, 59, tzinfo=timezone.utc))
    with pytest.raises(ValueError):
        CALENDAR.is_open("technical_support", datetime(2026, 11, 23, 10, 30))


def test_next_opening_skips_nights_weekends_and_holidays():
    friday_night = at("2026-11-27T20:00")
    assert CALENDAR.next_opening("technical_support", friday_night) == at("2026-11-30T07:00")
    # Thursday 19 Nov after hours: Friday 20 Nov is a holiday, so Monday.
    assert CALENDAR.next_opening("technical_support", at("2026-11-19T19:30")) == at("2026-11-23T07:00")
    assert CALENDAR.next_opening("administrative", at("2026-11-23T12:15")) == at("2026-11-23T13:30")


def test_a_bad_schedule_is_refused_with_the_reason():
    with pytest.raises(HoursError, match="ends before it starts"):
        parse_calendar({"queues": {"q": {"hours": {"mon": ["18:00-08:00"]}}}})
    with pytest.raises(HoursError, match="day range"):
        parse_calendar({"queues": {"q": {"hours": {"monday-friday": ["08:00-18:00"]}}}})


def test_business_days_skip_weekends_and_national_holidays():
    calendar = load_calendar()
    zone = calendar.zone
    thursday = datetime(2026, 12, 17, 10, 0, tzinfo=zone)
    # Fri 18, Mon 21, Tue 22, Wed 23, Thu 24, (Christmas), Mon 28, Tue 29.
    assert calendar.add_business_days(thursday, 7) == datetime(2026, 12, 29, 10, 0, tzinfo=zone)
    assert calendar.add_business_days(datetime(2026, 12, 29, 10, 0, tzinfo=zone), -1) == datetime(
        2026, 12, 28, 10, 0, tzinfo=zone
    )
    # A Saturday counts from Monday.
    assert calendar.add_business_days(datetime(2026, 12, 19, 9, 0, tzinfo=zone), 1).day == 22


def test_deadlines_come_from_the_vocabulary():
    deadlines = vocabulary().deadlines
    assert deadlines["awaiting_customer"].then == "customer_validation"
    assert deadlines["customer_validation"].days_for(None) == 7
    assert deadlines["customer_validation"].days_for("Linha Consinco") == 5
    assert "closed" not in deadlines
