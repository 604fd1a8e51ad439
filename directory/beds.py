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
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, Count, IntegerField, OuterRef, Subquery, TextChoices
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from directory.models import Capacity, Hold, Location


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


def beds_trust_window() -> timedelta:
    return timedelta(hours=settings.HAVEN_BEDS_TRUST_HOURS)


def free_bed_condition(
    *, at: datetime, population: str | None = None, using: str = DEFAULT_DB_ALIAS
) -> RawSQL:
    """Locations with a bed free now, in a count recent enough to trust.

    ``held`` never undercounts, so a bed free by it is free and the holds are only counted
    (by time, to the second) where it says otherwise. Plain SQL: search builds this per
    request, and the ORM's nested subqueries cost more to compile than the database takes
    to run them. Every value is a parameter; the names come from the models.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    moment = connection.ops.adapt_datetimefield_value
    capacity, hold = Capacity._meta.db_table, Hold._meta.db_table
    for_population = "AND c.population = %s " if population else ""
    sql = (
        f"EXISTS (SELECT 1 FROM {quote(capacity)} c "  # noqa: S608 (model names only)
        f"WHERE c.location_id = {quote(Location._meta.db_table)}.id AND c.status = %s "
        f"AND c.counted_at >= %s {for_population}"
        "AND (c.total > c.occupied + c.held OR c.total > c.occupied + ("
        f"SELECT COUNT(*) FROM {quote(hold)} h WHERE h.capacity_id = c.id "
        "AND h.status = %s AND h.expires_at > %s)))"
    )
    params = [
        str(Capacity.Status.ACCEPTING),
        moment(at - beds_trust_window()),
        *([population] if population else []),
        str(Hold.Status.ACTIVE),
        moment(at),
    ]
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611


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
    """Each location's bed counts at ``at``, holds counted until the moment they expire."""
    rows = list(
        Capacity.objects.filter(location_id__in=location_ids)
        .order_by("location_id", "population")
        .values_list(
            "pk",
            "location_id",
            "code",
            "population",
            "status",
            "counted_at",
            "total",
            "occupied",
            "held",
        )
    )
    # ``held`` never undercounts: only where it is above zero can a hold still be running.
    maybe_held = [row[0] for row in rows if row[-1]]
    held_now: dict[int, int] = {}
    if maybe_held:
        held_now = dict(
            Hold.objects.filter(
                capacity_id__in=maybe_held, status=Hold.Status.ACTIVE, expires_at__gt=at
            )
            .order_by()
            .values("capacity_id")
            .annotate(n=Count("pk"))
            .values_list("capacity_id", "n")
        )
    beds: dict[int, list[BedCount]] = {}
    for pk, location_id, code, population, status, counted_at, total, occupied, _held in rows:
        held = held_now.get(pk, 0)
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
