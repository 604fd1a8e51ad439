"""Beds and holds: the invariants of DESIGN.md §5, each a test."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from directory.beds import Freshness, bed_freshness, beds_for_locations
from directory.models import Capacity, CapacitySnapshot, Hold
from directory.services import (
    BedConflict,
    capacity_update,
    hold_cancel,
    hold_confirm,
    hold_place,
    holds_sweep,
)
from tests.factories import shelter_with_beds

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


@pytest.fixture
def beds(cast):
    with time_machine.travel(T0, tick=False):
        return shelter_with_beds(cast.shelter_x, total=3, occupied=1)


def place(capacity, cast):
    return hold_place(capacity=capacity, agency=cast.agency_a, placed_by=cast.officer_a)


def state(capacity):
    capacity.refresh_from_db()
    active = Hold.objects.filter(capacity=capacity, status="active").count()
    return {"total": capacity.total, "occupied": capacity.occupied, "held": capacity.held,
            "active": active, "available": capacity.available}  # fmt: skip


def test_a_hold_takes_exactly_one_bed(beds, cast):
    with time_machine.travel(T0, tick=False):
        hold = place(beds, cast)
    assert state(beds) == {"total": 3, "occupied": 1, "held": 1, "active": 1, "available": 1}
    assert hold.expires_at == T0 + timedelta(minutes=90)


def test_a_full_shelter_refuses_a_hold(beds, cast):
    with time_machine.travel(T0, tick=False):
        place(beds, cast)
        place(beds, cast)
        with pytest.raises(BedConflict) as refused:
            place(beds, cast)
    assert refused.value.code == "no_bed"
    assert "No bed is free" in refused.value.message
    assert state(beds)["available"] == 0
    assert Hold.objects.count() == 2


def test_a_shelter_not_taking_referrals_refuses_holds(beds, cast):
    capacity_update(capacity=beds, status=Capacity.Status.WAITLIST, by=None, source="web")
    with pytest.raises(BedConflict) as refused:
        place(beds, cast)
    assert refused.value.code == "not_accepting"
    beds.refresh_from_db()
    assert (beds.total, beds.occupied) == (3, 1)  # marking waitlist zeroes nothing


def test_cancelling_gives_exactly_one_back(beds, cast):
    hold = place(beds, cast)
    hold_cancel(hold=hold)
    assert state(beds) == {"total": 3, "occupied": 1, "held": 0, "active": 0, "available": 2}
    with pytest.raises(BedConflict, match="already ended"):
        hold_cancel(hold=hold)
    assert state(beds)["available"] == 2


def test_an_expired_hold_gives_its_bed_back_without_the_sweep(beds, cast):
    with time_machine.travel(T0, tick=False):
        place(beds, cast)
        place(beds, cast)
    later = T0 + timedelta(minutes=90)
    (count,) = beds_for_locations([beds.location_id], at=later)[beds.location_id]
    assert count.available == 2  # the reads count by time
    with time_machine.travel(later, tick=False):
        hold = place(beds, cast)  # and writes expire the overdue holds first
    assert hold.status == "active"
    assert state(beds) == {"total": 3, "occupied": 1, "held": 1, "active": 1, "available": 1}
    assert Hold.objects.filter(status="expired").count() == 2


def test_the_sweep_marks_overdue_holds_and_gives_beds_back(beds, cast):
    with time_machine.travel(T0, tick=False):
        hold = place(beds, cast)
    with time_machine.travel(T0 + timedelta(minutes=89), tick=False):
        assert holds_sweep() == 0
    with time_machine.travel(T0 + timedelta(minutes=91), tick=False):
        assert holds_sweep() == 1
    hold.refresh_from_db()
    assert hold.status == "expired"
    assert state(beds)["available"] == 2


def test_confirming_moves_the_bed_to_occupied_and_leaves_available_unchanged(beds, cast):
    hold = place(beds, cast)
    before = state(beds)["available"]
    hold_confirm(hold=hold)
    after = state(beds)
    assert after["available"] == before
    assert (after["occupied"], after["held"]) == (2, 0)


def test_a_shelter_update_never_wipes_active_holds(beds, cast):
    place(beds, cast)
    capacity_update(capacity=beds, occupied=2, by=cast.caseworker_x, source="web")
    assert state(beds) == {"total": 3, "occupied": 2, "held": 1, "active": 1, "available": 0}


def test_lowering_the_total_below_beds_in_use_is_refused(beds, cast):
    place(beds, cast)
    with pytest.raises(BedConflict) as refused:
        capacity_update(capacity=beds, total=1, by=cast.caseworker_x, source="web")
    assert refused.value.code == "total_below_in_use"
    assert "1 occupied and 1 held" in refused.value.message
    assert state(beds)["total"] == 3


def test_occupied_above_the_free_room_is_refused(beds, cast):
    place(beds, cast)
    with pytest.raises(BedConflict) as refused:
        capacity_update(capacity=beds, occupied=3, by=cast.caseworker_x, source="web")
    assert refused.value.code == "occupied_above_total"
    assert state(beds)["occupied"] == 1


def test_the_database_refuses_a_negative_availability(beds):
    with pytest.raises(IntegrityError), transaction.atomic():
        Capacity.objects.filter(pk=beds.pk).update(held=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Capacity.objects.filter(pk=beds.pk).update(occupied=4)


def test_every_update_appends_a_snapshot(beds, cast):
    capacity_update(capacity=beds, occupied=2, by=cast.caseworker_x, source="web")
    capacity_update(capacity=beds, total=5, by=None, source="api")
    snapshots = list(CapacitySnapshot.objects.filter(capacity=beds).order_by("pk"))
    assert [(s.total, s.occupied, s.source) for s in snapshots] == [
        (3, 1, "web"), (3, 2, "web"), (5, 2, "api"),
    ]  # fmt: skip
    assert snapshots[1].recorded_by == cast.caseworker_x


@pytest.mark.parametrize(
    ("age", "bucket"),
    [
        (timedelta(0), Freshness.FRESH),
        (timedelta(hours=4) - timedelta(seconds=1), Freshness.FRESH),
        (timedelta(hours=4), Freshness.AGING),
        (timedelta(hours=12) - timedelta(seconds=1), Freshness.AGING),
        (timedelta(hours=12), Freshness.STALE),
        (timedelta(hours=24) - timedelta(seconds=1), Freshness.STALE),
        (timedelta(hours=24), Freshness.UNKNOWN),
    ],
)
def test_freshness_buckets_at_their_boundaries(age, bucket):
    assert bed_freshness(T0, T0 + age) == bucket
    assert bed_freshness(None, T0) == Freshness.UNKNOWN


def test_numbers_are_withheld_once_a_count_is_unknown(beds):
    (fresh,) = beds_for_locations([beds.location_id], at=T0 + timedelta(hours=23))[beds.location_id]
    assert (fresh.freshness, fresh.available, fresh.total) == ("stale", 2, 3)
    (old,) = beds_for_locations([beds.location_id], at=T0 + timedelta(hours=24))[beds.location_id]
    assert old.freshness == "unknown"
    assert (old.available, old.total, old.occupied, old.held) == (None, None, None, None)
