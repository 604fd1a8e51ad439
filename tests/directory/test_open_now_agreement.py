"""Open-now exists twice — as a database condition (the search filter) and over a card's hours
in Python (the flag on each result). Hypothesis drives both with random hours and instants."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.hours import card_open_at, open_now_annotation
from directory.models import WEEKDAY_FIELDS, Location
from tests.factories import ScheduleExceptionFactory, ScheduleFactory, listed_location, reindex

pytestmark = pytest.mark.django_db

quarter_hours = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
days = st.sets(st.sampled_from(WEEKDAY_FIELDS), min_size=1)
base = date(2026, 3, 1)
dates = st.integers(0, 40).map(lambda n: base + timedelta(days=n))


@st.composite
def weekly_hours(draw):
    chosen = draw(days)
    if draw(st.booleans()):
        opens = closes = None
    else:
        opens, closes = draw(quarter_hours), draw(quarter_hours)
        if opens == closes:
            closes = None
            opens = None
    valid_from = draw(st.none() | dates)
    valid_to = draw(st.none() | dates)
    if valid_from and valid_to and valid_to < valid_from:
        valid_from, valid_to = valid_to, valid_from
    return {d: d in chosen for d in WEEKDAY_FIELDS} | {
        "opens_at": opens, "closes_at": closes, "valid_from": valid_from, "valid_to": valid_to,
    }  # fmt: skip


@st.composite
def exceptions(draw):
    start = draw(dates)
    end = start + timedelta(days=draw(st.integers(0, 3)))
    if draw(st.booleans()):
        return {"start_date": start, "end_date": end, "closed": True}
    opens, closes = sorted(draw(st.lists(quarter_hours, min_size=2, max_size=2, unique=True)))
    special = draw(st.booleans())
    return {
        "start_date": start, "end_date": end, "closed": False,
        "opens_at": opens if special else None, "closes_at": closes if special else None,
    }  # fmt: skip


places = st.sampled_from(
    [(34.0522, -118.2437), (32.7904, -96.8044), (40.7128, -74.0060), (21.31, -157.86)]
)
instants = st.integers(0, 44 * 24 * 4).map(
    lambda q: datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=15 * q + 7)
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    place=places,
    hours=st.lists(weekly_hours(), max_size=3),
    closures=st.lists(exceptions(), max_size=2),
    at=st.lists(instants, min_size=1, max_size=6),
)
def test_the_database_and_the_card_agree_on_open_now(place, hours, closures, at):
    with transaction.atomic():
        location = listed_location(latitude=place[0], longitude=place[1])
        for row in hours:
            ScheduleFactory(location=location, **row)
        for row in closures:
            ScheduleExceptionFactory(location=location, **row)
        location = reindex(location)
        for instant in at:
            in_database = (
                Location.objects.filter(pk=location.pk)
                .annotate(open_now=open_now_annotation(instant, [location.time_zone]))
                .values_list("open_now", flat=True)
                .get()
            )
            assert card_open_at(location.card.body, instant) is in_database, instant
        transaction.set_rollback(True)
