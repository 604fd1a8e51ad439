"""Reading beds: free-bed conditions for search, counts and their freshness for members.

Bed counts are shown to members of the network and integrations with ``directory:read``,
never to the public (directory.selectors.can_see_beds decides).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    TextChoices,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from directory.models import Capacity, Hold


class Freshness(TextChoices):
    FRESH = "fresh", _("Fresh")
    AGING = "aging", _("Aging")
    STALE = "stale", _("Stale")
    UNKNOWN = "unknown", _("Unknown: call to confirm")


def bed_freshness(counted_at: datetime | None, at: datetime) -> Freshness:
    """How far to trust a count, by its age (thresholds are settings)."""
    if counted_at is None:
        return Freshness.UNKNOWN
    hours = (at - counted_at).total_seconds() / 3600
    if hours < settings.HAVEN_BEDS_AGING_HOURS:
        return Freshness.FRESH
    if hours < settings.HAVEN_BEDS_STALE_HOURS:
        return Freshness.AGING
    if hours < settings.HAVEN_BEDS_UNKNOWN_HOURS:
        return Freshness.STALE
    return Freshness.UNKNOWN


def active_holds(at: datetime) -> Subquery:
    """Per capacity (OuterRef), the holds still keeping a bed at ``at``. Overdue holds stop
    counting the moment they expire, whether or not anything has marked them yet."""
    holds = (
        Hold.objects.filter(capacity=OuterRef("pk"), status=Hold.Status.ACTIVE, expires_at__gt=at)
        .order_by()
        .values("capacity")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(holds, output_field=IntegerField())


def free_bed_condition(*, at: datetime, population: str | None = None) -> Exists:
    """Locations (OuterRef) with a bed free now, in a count recent enough to trust."""
    trusted = at - timedelta(hours=settings.HAVEN_BEDS_TRUST_HOURS)
    capacities = Capacity.objects.filter(
        location=OuterRef("pk"), status=Capacity.Status.ACCEPTING, counted_at__gte=trusted
    )
    if population:
        capacities = capacities.filter(population=population)
    # ``held`` never undercounts, so a bed free by it is free; otherwise count by time.
    capacities = capacities.annotate(now_held=Coalesce(active_holds(at), 0)).filter(
        Q(total__gt=F("occupied") + F("held")) | Q(total__gt=F("occupied") + F("now_held"))
    )
    return Exists(capacities)


@dataclass(frozen=True)
class BedCount:
    """What a member sees of one capacity. At "unknown" freshness the numbers are withheld."""

    code: str
    population: str
    status: str
    freshness: str
    counted_at: datetime | None
    available: int | None
    total: int | None
    occupied: int | None
    held: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.code, "population": self.population, "status": self.status,
            "freshness": self.freshness, "counted_at": self.counted_at,
            "available": self.available, "total": self.total, "occupied": self.occupied,
            "held": self.held,
        }  # fmt: skip


def beds_for_locations(location_ids: Collection[int], *, at: datetime) -> dict[int, list[BedCount]]:
    rows = (
        Capacity.objects.filter(location_id__in=location_ids)
        .annotate(now_held=Coalesce(active_holds(at), 0))
        .order_by("location_id", "population")
        .values_list(
            "location_id",
            "code",
            "population",
            "status",
            "counted_at",
            "total",
            "occupied",
            "now_held",
        )
    )
    beds: dict[int, list[BedCount]] = {}
    for location_id, code, population, status, counted_at, total, occupied, held in rows:
        freshness = bed_freshness(counted_at, at)
        known = freshness != Freshness.UNKNOWN
        beds.setdefault(location_id, []).append(
            BedCount(
                code=str(code),
                population=population,
                status=status,
                freshness=freshness,
                counted_at=counted_at,
                available=max(0, total - occupied - held) if known else None,
                total=total if known else None,
                occupied=occupied if known else None,
                held=held if known else None,
            )
        )
    return beds
