"""Open now, in the location's own time zone, with frozen time."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from directory.hours import card_open_at, open_now_annotation
from directory.models import Location
from tests.factories import ScheduleExceptionFactory, ScheduleFactory, listed_location, reindex

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def is_open(location, at):
    """Open-now by both implementations — the database's and the card's — which must agree."""
    location = reindex(location)
    in_database = (
        Location.objects.filter(pk=location.pk)
        .annotate(open_now=open_now_annotation(at, [location.time_zone]))
        .values_list("open_now", flat=True)
        .get()
    )
    assert card_open_at(location.card.body, at) is in_database
    return in_database


def search_open(api_client, near):
    body = api_client.get("/api/v1/search", {"near": near, "open_now": "true"}).json()
    return [r["location"]["name"] for r in body["results"]]


@pytest.fixture
def los_angeles_office():
    location = listed_location(name="LA Office", latitude=34.0522, longitude=-118.2437)
    assert location.time_zone == "America/Los_Angeles"
    ScheduleFactory(location=location, opens_at=time(9), closes_at=time(17))  # Mon–Fri
    return location


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # Wednesday 2026-07-15; Los Angeles is UTC-7 in summer.
        (datetime(2026, 7, 15, 15, 59, tzinfo=UTC), False),  # 08:59 local
        (datetime(2026, 7, 15, 16, 0, tzinfo=UTC), True),  # 09:00 local
        (datetime(2026, 7, 15, 23, 59, tzinfo=UTC), True),  # 16:59 local
        (datetime(2026, 7, 16, 0, 0, tzinfo=UTC), False),  # 17:00 local, already Thursday in UTC
        (datetime(2026, 7, 18, 18, 0, tzinfo=UTC), False),  # Saturday 11:00 local
        # Monday 2026-01-12, UTC-8 in winter: 17:30 UTC is 09:30 local.
        (datetime(2026, 1, 12, 17, 30, tzinfo=UTC), True),
        (datetime(2026, 1, 12, 16, 30, tzinfo=UTC), False),
    ],
)
def test_a_los_angeles_location_is_judged_on_its_own_clock(los_angeles_office, utc, expected):
    assert is_open(los_angeles_office, utc) is expected


def test_the_search_filter_uses_the_same_rule(api_client, los_angeles_office):
    with time_machine.travel(datetime(2026, 7, 15, 16, 30, tzinfo=UTC), tick=False):
        assert search_open(api_client, "90012") == ["LA Office"]
    with time_machine.travel(datetime(2026, 7, 15, 15, 30, tzinfo=UTC), tick=False):
        assert search_open(api_client, "90012") == []


@pytest.fixture
def night_shelter():
    location = listed_location(name="Night Shelter", latitude=32.7904, longitude=-96.8044)
    ScheduleFactory(
        location=location, mon=False, tue=False, wed=False, thu=False, fri=True, sat=True,
        opens_at=time(20), closes_at=time(2),
    )  # fmt: skip
    return location


CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 7, 17, 19, 59), False),  # Friday before opening
        (datetime(2026, 7, 17, 20, 0), True),  # Friday opening
        (datetime(2026, 7, 17, 23, 59), True),
        (datetime(2026, 7, 18, 1, 59), True),  # Saturday morning, Friday's span
        (datetime(2026, 7, 18, 2, 0), False),
        (datetime(2026, 7, 19, 1, 0), True),  # Sunday morning, Saturday's span
        (datetime(2026, 7, 20, 1, 0), False),  # Monday morning: no Sunday span
    ],
)
def test_an_overnight_span_stays_open_past_midnight(night_shelter, local, expected):
    assert is_open(night_shelter, local.replace(tzinfo=CHICAGO)) is expected


def test_open_now_follows_a_daylight_saving_change():
    location = listed_location(name="NY Office", latitude=40.7128, longitude=-74.0060)
    ScheduleFactory(location=location, sat=True, sun=True, opens_at=time(9), closes_at=time(17))
    # Sunday 2026-03-08: New York springs forward at 02:00 (UTC-5 → UTC-4).
    assert is_open(location, datetime(2026, 3, 8, 13, 30, tzinfo=UTC)) is True  # 09:30 EDT
    assert is_open(location, datetime(2026, 3, 8, 12, 30, tzinfo=UTC)) is False  # 08:30 EDT
    # The day before, 13:30 UTC was 08:30 EST.
    assert is_open(location, datetime(2026, 3, 7, 13, 30, tzinfo=UTC)) is False
    # Sunday 2026-11-01: falls back (UTC-4 → UTC-5). 13:30 UTC is 08:30 EST.
    assert is_open(location, datetime(2026, 11, 1, 13, 30, tzinfo=UTC)) is False
    assert is_open(location, datetime(2026, 11, 1, 14, 0, tzinfo=UTC)) is True


def test_an_overnight_span_across_the_dst_change():
    location = listed_location(name="Overnight NY", latitude=40.7128, longitude=-74.0060)
    ScheduleFactory(location=location, sat=True, opens_at=time(22), closes_at=time(6))
    # Saturday 2026-03-07 22:00 EST → Sunday 06:00 EDT. 05:30 EDT Sunday is 09:30 UTC.
    assert is_open(location, datetime(2026, 3, 8, 9, 30, tzinfo=UTC)) is True
    assert is_open(location, datetime(2026, 3, 8, 10, 0, tzinfo=UTC)) is False


def test_a_holiday_closure_overrides_weekly_hours(los_angeles_office):
    ScheduleExceptionFactory(
        location=los_angeles_office, start_date=date(2026, 11, 26), end_date=date(2026, 11, 27)
    )
    thanksgiving_10am = datetime(2026, 11, 26, 10, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert is_open(los_angeles_office, thanksgiving_10am) is False
    assert is_open(los_angeles_office, thanksgiving_10am.replace(day=25)) is True


def test_special_hours_open_a_normally_closed_day(los_angeles_office):
    saturday = date(2026, 12, 19)
    ScheduleExceptionFactory(
        location=los_angeles_office, start_date=saturday, end_date=saturday, closed=False,
        opens_at=time(10), closes_at=time(14),
    )  # fmt: skip
    la = ZoneInfo("America/Los_Angeles")
    assert is_open(los_angeles_office, datetime(2026, 12, 19, 11, tzinfo=la)) is True
    assert is_open(los_angeles_office, datetime(2026, 12, 19, 15, tzinfo=la)) is False
    assert is_open(los_angeles_office, datetime(2026, 12, 12, 11, tzinfo=la)) is False


def test_always_open_is_open_at_any_hour():
    location = listed_location()
    ScheduleFactory(location=location, sat=True, sun=True, opens_at=None, closes_at=None)
    for hour in (0, 3, 12, 23):
        assert is_open(location, datetime(2026, 7, 15, hour, tzinfo=UTC)) is True


def test_hours_limited_to_a_season_apply_only_then(los_angeles_office):
    los_angeles_office.schedules.update(valid_from=date(2026, 6, 1), valid_to=date(2026, 8, 31))
    assert is_open(los_angeles_office, datetime(2026, 7, 15, 17, tzinfo=UTC)) is True
    assert is_open(los_angeles_office, datetime(2026, 9, 16, 17, tzinfo=UTC)) is False


def test_a_location_without_hours_is_unknown_not_closed():
    assert is_open(listed_location(), datetime(2026, 7, 15, 17, tzinfo=UTC)) is None
