"""Is a location open at a given moment? One rule, expressed as database conditions.

The same conditions serve the ``open_now`` search filter and the ``open_now`` flag shown on
results and listings, so the two can never disagree. Local date and time are computed per
time zone in Python (DST-correct through ``zoneinfo``); the database compares them with each
location's weekly hours and date exceptions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import BooleanField as BooleanOutput
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When

from directory.models import WEEKDAY_FIELDS, Schedule, ScheduleException


def _valid_on(day: object) -> Q:
    return (Q(valid_from__isnull=True) | Q(valid_from__lte=day)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )


def weekly_open_q(local: datetime) -> Q:
    """Schedule rows that make a place open at this local wall-clock time."""
    today, now = local.date(), local.time()
    yesterday = today - timedelta(days=1)
    same_day = (
        Q(**{WEEKDAY_FIELDS[today.weekday()]: True})
        & _valid_on(today)
        & (
            Q(opens_at__isnull=True)
            | Q(opens_at__lte=now, closes_at__gt=now)
            | Q(opens_at__lte=now, closes_at__lt=F("opens_at"))
        )
    )
    # A span past midnight that began yesterday is still open this morning.
    carried_over = (
        Q(**{WEEKDAY_FIELDS[yesterday.weekday()]: True})
        & _valid_on(yesterday)
        & Q(closes_at__lt=F("opens_at"), closes_at__gt=now)
    )
    return same_day | carried_over


def exception_today_q(local: datetime) -> Q:
    today = local.date()
    return Q(start_date__lte=today, end_date__gte=today)


def exception_open_q(local: datetime) -> Q:
    now = local.time()
    return (
        exception_today_q(local)
        & Q(closed=False)
        & (Q(opens_at__isnull=True) | Q(opens_at__lte=now, closes_at__gt=now))
    )


def open_at_condition(at: datetime, time_zones: Iterable[str]) -> Q:
    """A condition on Location rows: open at instant ``at``.

    A date exception (holiday closure or special hours) replaces the weekly hours for the
    whole of its days; otherwise the weekly hours decide. The location's search index says
    which rows never close and which have any exceptions at all, so most rows are decided
    without a look at their hours.
    """
    condition = Q(search_always_open=True)
    for name in sorted(set(time_zones)):
        local = at.astimezone(ZoneInfo(name))
        exceptions = ScheduleException.objects.filter(location=OuterRef("pk"))
        has_exception = Exists(exceptions.filter(exception_today_q(local)))
        open_by_exception = Exists(exceptions.filter(exception_open_q(local)))
        open_weekly = Exists(Schedule.objects.filter(weekly_open_q(local), location=OuterRef("pk")))
        condition |= Q(time_zone=name) & (
            (Q(search_closures=False) & open_weekly)
            | (Q(search_closures=True) & (open_by_exception | (~has_exception & open_weekly)))
        )
    return condition


def has_hours_condition() -> Exists:
    return Exists(Schedule.objects.filter(location=OuterRef("pk")))


def open_now_annotation(at: datetime, time_zones: Iterable[str]) -> Case:
    """True/False where hours are known; None for a location that has published none."""
    return Case(
        When(~Q(has_hours_condition()), then=Value(None)),
        When(open_at_condition(at, time_zones), then=Value(True)),
        default=Value(False),
        output_field=BooleanOutput(null=True),
    )


def _parse_time(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None


def _valid_on_day(hours: dict[str, Any], day: date) -> bool:
    valid_from, valid_to = hours["valid_from"], hours["valid_to"]
    return (valid_from is None or valid_from <= day.isoformat()) and (
        valid_to is None or day.isoformat() <= valid_to
    )


def card_open_at(card: dict[str, Any], at: datetime) -> bool | None:
    """The same rule as :func:`open_at_condition`, over a search card's hours, in Python.

    Search pages show open-now for their twenty results from the cards they already hold;
    a property test checks that this and the database condition always agree.
    """
    if not card["hours"]:
        return None
    local = at.astimezone(ZoneInfo(card["time_zone"]))
    today, now = local.date(), local.time()
    day = today.isoformat()
    todays = [e for e in card["exceptions"] if e["start_date"] <= day <= e["end_date"]]
    if todays:
        for exception in todays:
            if exception["closed"]:
                continue
            opens, closes = _parse_time(exception["opens_at"]), _parse_time(exception["closes_at"])
            if opens is None or closes is None or opens <= now < closes:
                return True
        return False
    yesterday = today - timedelta(days=1)
    for hours in card["hours"]:
        opens, closes = _parse_time(hours["opens_at"]), _parse_time(hours["closes_at"])
        if WEEKDAY_FIELDS[today.weekday()] in hours["days"] and _valid_on_day(hours, today):
            if opens is None or closes is None:
                return True
            if opens <= now and (now < closes or closes < opens):
                return True
        if (
            WEEKDAY_FIELDS[yesterday.weekday()] in hours["days"]
            and _valid_on_day(hours, yesterday)
            and opens is not None
            and closes is not None
            and closes < opens
            and now < closes
        ):
            return True
    return False
