"""Writes to the directory.

Every write that moves a location goes through ``location_place``; every write that changes
what a location offers ends with ``location_index_refresh`` for the locations it touched.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.bulk import insert_rows
from directory.models import (
    WEEKDAY_FIELDS,
    Accessibility,
    AccessibilityFeature,
    Address,
    Capacity,
    CapacitySnapshot,
    Category,
    Hold,
    Language,
    Location,
    LocationCard,
    Membership,
    Organization,
    Phone,
    Population,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServicePopulation,
    choice_bits,
)
from geo.distance import Point, coarsen, unit_vector
from geo.gazetteer import time_zone_at


@dataclass(frozen=True, slots=True)
class SearchPlacement:
    search_latitude: float | None
    search_longitude: float | None
    ux: float | None
    uy: float | None
    uz: float | None


def search_placement(*, point: Point | None, confidential: bool) -> SearchPlacement:
    """Where search puts a location: its point, or its coarse grid cell when confidential."""
    if point is None:
        return SearchPlacement(None, None, None, None, None)
    if confidential:
        point = coarsen(point, settings.HAVEN_CONFIDENTIAL_GRID_KM)
    ux, uy, uz = unit_vector(point.latitude, point.longitude)
    return SearchPlacement(point.latitude, point.longitude, ux, uy, uz)


def apply_placement(location: Location) -> None:
    """Fill the derived search columns and time zone of an unsaved or changed location."""
    point = (
        Point(location.latitude, location.longitude)
        if location.latitude is not None and location.longitude is not None
        else None
    )
    placement = search_placement(point=point, confidential=location.confidential)
    location.search_latitude = placement.search_latitude
    location.search_longitude = placement.search_longitude
    location.ux, location.uy, location.uz = placement.ux, placement.uy, placement.uz
    if point is not None:
        location.time_zone = time_zone_at(point)


@transaction.atomic
def location_place(
    *, location: Location, point: Point | None, confidential: bool | None = None
) -> Location:
    """Move a location (or mark it confidential) and re-derive where search places it."""
    location.latitude = point.latitude if point else None
    location.longitude = point.longitude if point else None
    if confidential is not None:
        location.confidential = confidential
    apply_placement(location)
    location.full_clean()
    location.save()
    location_index_refresh(location_ids=[location.pk])
    return location


# --- The search index ---------------------------------------------------------------------
#
# Each location carries a *card* — everything a search result or listing shows, as JSON — and
# coded columns derived from it for filtering. Both are rebuilt from the directory's rows by
# location_index_refresh, so a result page is one index scan plus one read of 20 cards. A card
# never holds a confidential location's street address or position: those are read from their
# own rows, and only for the owning organisation (directory.selectors).

INDEX_FIELDS = [
    "search_listed", "search_categories", "search_populations", "search_accessibility",
    "search_languages", "search_police", "search_always_open", "search_closures",
    "search_offers", "search_has_beds", "search_beds_open", "search_beds_counted_at",
]  # fmt: skip
MAX_LANGUAGE_LIST = Location._meta.get_field("search_languages").max_length or 255
CARD_VERSION = 1
REFRESH_CHUNK = 1000


def _hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True, slots=True)
class CardLocation:
    """The location's own fields a card shows."""

    code: uuid.UUID
    name: str
    description: str
    confidential: bool
    latitude: float | None
    longitude: float | None
    time_zone: str
    organization_code: uuid.UUID
    organization_name: str


def location_card(
    *,
    location: CardLocation,
    url: str,
    address: dict[str, Any] | None,
    phones: list[dict[str, Any]],
    services: list[dict[str, Any]],
    location_languages: Iterable[str],
    accessibility: Iterable[str],
    hours: list[dict[str, Any]],
    exceptions: list[dict[str, Any]],
) -> dict[str, Any]:
    """The public face of a location, as stored in its search index."""
    exact = not location.confidential
    languages = sorted(
        {code for service in services for code in service["languages"]} | set(location_languages)
    )
    verified = [s["assured_date"] for s in services if s["assured_date"]]
    return {
        "v": CARD_VERSION,
        "id": str(location.code),
        "name": location.name,
        "description": location.description,
        "url": url,
        "organization": {"id": str(location.organization_code), "name": location.organization_name},
        "confidential": location.confidential,
        "area": f"{address['city']}, {address['state_province']}" if address else "",
        "address": address if exact else None,
        "latitude": location.latitude if exact else None,
        "longitude": location.longitude if exact else None,
        "time_zone": location.time_zone,
        "phones": phones,
        "services": services,
        "languages": languages,
        "accessibility": sorted(set(accessibility)),
        "last_verified": min(verified) if verified else None,
        "hours": hours,
        "exceptions": exceptions,
    }


@dataclass(frozen=True, slots=True)
class CountedBeds:
    population: str
    status: str
    total: int
    occupied: int
    counted_at: datetime | None


def beds_summary(capacities: Iterable[CountedBeds]) -> dict[str, Any]:
    """The search index's view of a location's beds: whether it counts any, which
    populations have a bed not occupied where referrals are taken, and the newest count."""
    capacities = list(capacities)
    accepting = [c for c in capacities if c.status == Capacity.Status.ACCEPTING]
    counted = [c.counted_at for c in accepting if c.counted_at is not None]
    return {
        "search_has_beds": bool(capacities),
        "search_beds_open": choice_bits(
            Population, {c.population for c in accepting if c.total > c.occupied}
        ),
        "search_beds_counted_at": max(counted) if counted else None,
    }


def index_values(
    *, card: dict[str, Any], placed: bool, beds: Iterable[CountedBeds] = ()
) -> dict[str, Any]:
    """The coded search columns, derived from a card.

    A location is listed when it is placed on the map and has at least one active service;
    "always open" means weekly hours of all day, every day, with no date exceptions, which lets
    the open-now filter skip the hours look-up for most shelters and hotlines.
    """
    services = card["services"]
    always_open = not card["exceptions"] and any(
        set(h["days"]) >= set(WEEKDAY_FIELDS)
        and h["opens_at"] is None
        and h["valid_from"] is None
        and h["valid_to"] is None
        for h in card["hours"]
    )
    return {
        "search_listed": placed and bool(services),
        "search_categories": choice_bits(Category, {s["category"] for s in services}),
        "search_populations": choice_bits(
            Population, {p for s in services for p in s["populations"]}
        ),
        "search_accessibility": choice_bits(AccessibilityFeature, card["accessibility"]),
        "search_languages": _language_list(card["languages"]),
        "search_police": any(s["accepts_police_referrals"] for s in services),
        "search_always_open": always_open,
        "search_closures": bool(card["exceptions"]),
        "search_offers": _offers(services),
        **beds_summary(beds),
    }


def _offers(services: list[dict[str, Any]]) -> str:
    """ ",emergency_shelter:men,counselling:women," — each category with each population one
    service offers together, so "a shelter for men" is one look at the row."""
    pairs = sorted({f"{s['category']}:{p}" for s in services for p in s["populations"]})
    return "," + ",".join(pairs) + "," if pairs else ""


def _language_list(codes: list[str]) -> str:
    """ ",en,es," — commas on both ends so a filter can look for ",es,"."""
    if not codes:
        return ""
    text = ","
    for code in codes:
        if len(text) + len(code) + 1 > MAX_LANGUAGE_LIST:
            break
        text += f"{code},"
    return text


def location_index_refresh(*, location_ids: Iterable[int]) -> int:
    """Rebuild the search index (card and coded columns) of these locations from their rows.

    Every write that changes a location, its services, phones, hours or features ends with
    this (admin saves, imports, the demo and scale seeders); ``manage.py refresh_search_index``
    rebuilds the whole directory. Returns how many rows changed.
    """
    ids = sorted(set(location_ids))
    changed = 0
    for start in range(0, len(ids), REFRESH_CHUNK):
        with transaction.atomic():
            changed += _refresh_chunk(ids[start : start + REFRESH_CHUNK])
    return changed


SERVICE_CARD_FIELDS = [
    "name", "description", "category", "accepts_police_referrals", "intake_24_7",
    "pets_accepted", "sobriety_required", "id_required", "immigration_status_required",
    "minimum_age", "maximum_age", "accompanying_boys_max_age", "max_stay_days", "assured_date",
]  # fmt: skip
ADDRESS_CARD_FIELDS = ["address_1", "address_2", "city", "state_province", "postal_code", "country"]
PHONE_CARD_FIELDS = ["number", "extension", "type", "description", "intake"]


def card_url_template() -> str:
    """The listing URL with a ``{}`` for the code: reverse() per row costs more than a card."""
    blank = uuid.UUID(int=0)
    return reverse("directory:location", kwargs={"code": blank}).replace(str(blank), "{}")


def _refresh_chunk(ids: list[int]) -> int:
    addresses: dict[int, dict[str, Any]] = {}
    for row in (
        Address.objects.filter(location_id__in=ids)
        .order_by("-pk")
        .values("location_id", *ADDRESS_CARD_FIELDS)
    ):
        addresses[row.pop("location_id")] = row  # the first address wins
    phones: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        Phone.objects.filter(location_id__in=ids)
        .order_by("-intake", "pk")
        .values("location_id", *PHONE_CARD_FIELDS)
    ):
        phones[row.pop("location_id")].append(row)
    offers: dict[int, list[int]] = defaultdict(list)
    services: dict[int, dict[str, Any]] = {}
    for row in (
        ServiceAtLocation.objects.filter(location_id__in=ids, service__status=Service.Status.ACTIVE)
        .order_by("service__name", "service_id")
        .values("location_id", "service_id", "service__code",
                *(f"service__{name}" for name in SERVICE_CARD_FIELDS))
    ):  # fmt: skip
        offers[row["location_id"]].append(row["service_id"])
        service: dict[str, Any] = {"id": str(row["service__code"])}
        service.update({name: row[f"service__{name}"] for name in SERVICE_CARD_FIELDS})
        service["assured_date"] = _iso(service["assured_date"])
        service["populations"], service["languages"] = [], []
        services[row["service_id"]] = service
    for service_id, population in (
        ServicePopulation.objects.filter(service_id__in=services)
        .order_by("population")
        .values_list("service_id", "population")
    ):
        services[service_id]["populations"].append(population)
    location_languages: dict[int, list[str]] = defaultdict(list)
    for service_id, location_id, code in (
        Language.objects.filter(Q(service_id__in=services) | Q(location_id__in=ids))
        .order_by("iso_code")
        .values_list("service_id", "location_id", "iso_code")
    ):
        if service_id in services and code not in services[service_id]["languages"]:
            services[service_id]["languages"].append(code)
        if location_id is not None:
            location_languages[location_id].append(code)
    features: dict[int, list[str]] = defaultdict(list)
    for location_id, feature in Accessibility.objects.filter(location_id__in=ids).values_list(
        "location_id", "feature"
    ):
        features[location_id].append(feature)
    hours: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        Schedule.objects.filter(location_id__in=ids)
        .order_by("pk")
        .values("location_id", "opens_at", "closes_at", "valid_from", "valid_to", *WEEKDAY_FIELDS)
    ):
        hours[row["location_id"]].append(
            {
                "days": [day for day in WEEKDAY_FIELDS if row[day]],
                "opens_at": _hhmm(row["opens_at"]),
                "closes_at": _hhmm(row["closes_at"]),
                "valid_from": _iso(row["valid_from"]),
                "valid_to": _iso(row["valid_to"]),
            }
        )
    exceptions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        ScheduleException.objects.filter(location_id__in=ids)
        .order_by("start_date", "pk")
        .values("location_id", "start_date", "end_date", "closed", "opens_at", "closes_at")
    ):
        exceptions[row["location_id"]].append(
            {
                "start_date": _iso(row["start_date"]),
                "end_date": _iso(row["end_date"]),
                "closed": row["closed"],
                "opens_at": _hhmm(row["opens_at"]),
                "closes_at": _hhmm(row["closes_at"]),
            }
        )
    locations = list(
        Location.objects.filter(pk__in=ids)
        .select_related("organization")
        .only(
            "code", "name", "description", "confidential", "latitude", "longitude", "time_zone",
            "ux", "organization__code", "organization__name", *INDEX_FIELDS,
        )
    )  # fmt: skip
    beds: dict[int, list[CountedBeds]] = defaultdict(list)
    for location_id, population, status, total, occupied, counted_at in Capacity.objects.filter(
        location_id__in=ids
    ).values_list("location_id", "population", "status", "total", "occupied", "counted_at"):
        beds[location_id].append(CountedBeds(population, status, total, occupied, counted_at))
    url = card_url_template()
    stored = dict(
        LocationCard.objects.filter(location_id__in=ids).values_list("location_id", "body")
    )
    dirty, cards, changed = [], [], 0
    first: list[dict[str, Any]] = []  # cards of locations that had none: plain inserts
    for location in locations:
        card = location_card(
            location=CardLocation(
                code=location.code,
                name=location.name,
                description=location.description,
                confidential=location.confidential,
                latitude=location.latitude,
                longitude=location.longitude,
                time_zone=location.time_zone,
                organization_code=location.organization.code,
                organization_name=location.organization.name,
            ),
            url=url.format(location.code),
            address=addresses.get(location.pk),
            phones=phones[location.pk],
            services=[services[sid] for sid in offers[location.pk]],
            location_languages=location_languages[location.pk],
            accessibility=features[location.pk],
            hours=hours[location.pk],
            exceptions=exceptions[location.pk],
        )
        values = index_values(card=card, placed=location.ux is not None, beds=beds[location.pk])
        card_changed = stored.get(location.pk) != card
        index_changed = any(getattr(location, name) != value for name, value in values.items())
        if card_changed and location.pk not in stored:
            first.append({"location_id": location.pk, "body": card})
        elif card_changed:
            cards.append(LocationCard(location_id=location.pk, body=card))
        if index_changed:
            for name, value in values.items():
                setattr(location, name, value)
            dirty.append(location)
        changed += card_changed or index_changed
    _write_index(dirty)
    insert_rows(LocationCard, first)
    LocationCard.objects.bulk_create(
        cards, update_conflicts=True, unique_fields=["location"], update_fields=["body"]
    )
    return changed


def _write_index(locations: list[Location]) -> None:
    """One UPDATE statement, executed for many rows.

    ``bulk_update`` builds a CASE expression per row and field, which costs more than the
    rest of the refresh together when a seed or import touches tens of thousands of rows.
    """
    if not locations:
        return
    concrete = {field.name: field for field in Location._meta.concrete_fields}
    fields = [concrete[name] for name in INDEX_FIELDS]
    ops = connection.ops
    assignments = ", ".join(f"{ops.quote_name(f.column or f.attname)} = %s" for f in fields)
    sql = f"UPDATE {ops.quote_name(Location._meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(getattr(loc, f.attname), connection) for f in fields] + [loc.pk]
        for loc in locations
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- Beds and holds -------------------------------------------------------------------------
#
# Every write locks the capacity row first (SELECT … FOR UPDATE on PostgreSQL; SQLite takes
# its write lock at BEGIN), marks its overdue holds expired, and only then looks at the
# numbers — except a hold that finds a bed free by the counters alone, which takes it with one
# conditional UPDATE (see hold_place). Two officers racing for the last bed queue on the row
# lock: one gets it, the other is told no bed is free. The database's CHECK
# (total ≥ occupied + held) stands behind it all.

ERROR_NO_BED = _(
    "No bed is free for this group right now. Call the intake line: beds open up as people move on."
)
ERROR_NOT_ACCEPTING = _("This shelter is not taking referrals for this group right now.")
ERROR_TOTAL_BELOW_IN_USE = _(
    "The total can't be lower than the beds in use: %(occupied)d occupied and %(held)d held "
    "for people on their way. Confirm or cancel those holds first."
)
ERROR_OCCUPIED_ABOVE_TOTAL = _(
    "Occupied can't be more than the beds free for it: %(room)d (the total, less %(held)d held)."
)
ERROR_HOLD_ENDED = _("This hold has already ended: %(status)s.")


class BedConflict(Exception):
    """The request is sound but the beds are not there (or no longer there)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def _locked_capacity(capacity: Capacity, now: datetime) -> tuple[Capacity, int]:
    """The capacity row, locked, with its overdue holds marked expired and their beds given
    back; and how many expired. Whether any is overdue comes with the lock, so the usual case
    (none) costs one statement."""
    overdue = Hold.objects.filter(
        capacity=OuterRef("pk"), status=Hold.Status.ACTIVE, expires_at__lte=now
    )
    locked = (
        Capacity.objects.select_for_update().annotate(overdue=Exists(overdue)).get(pk=capacity.pk)
    )
    expired = _expire_due(locked, now) if locked.overdue else 0
    return locked, expired


def _location_beds_refresh(location_id: int) -> None:
    """Bring the location's beds sieve in the search index up to date after a count changes
    (holds never move it: it looks at beds not occupied, holds aside)."""
    counted = [
        CountedBeds(*row)
        for row in Capacity.objects.filter(location_id=location_id).values_list(
            "population", "status", "total", "occupied", "counted_at"
        )
    ]
    Location.objects.filter(pk=location_id).update(**beds_summary(counted))


def _expire_due(capacity: Capacity, now: datetime) -> int:
    """Mark the locked capacity's overdue holds expired and give their beds back."""
    due = Hold.objects.filter(capacity=capacity, status=Hold.Status.ACTIVE, expires_at__lte=now)
    count = due.update(status=Hold.Status.EXPIRED, ended_at=now)
    if count:
        capacity.held -= count
        capacity.save(update_fields=["held", "updated_at"])
    return count


@transaction.atomic
def capacity_update(
    *,
    capacity: Capacity,
    total: int | None = None,
    occupied: int | None = None,
    status: str | None = None,
    by: Membership | None,
    source: str,
) -> Capacity:
    """The shelter's own numbers. Holds are never wiped: beds held for people on their way
    stay held, and a total below what is in use is refused with the reason."""
    now = timezone.now()
    capacity, _expired = _locked_capacity(capacity, now)
    new_total = capacity.total if total is None else total
    new_occupied = capacity.occupied if occupied is None else occupied
    if new_occupied + capacity.held > new_total and total is not None:
        raise BedConflict(
            ERROR_TOTAL_BELOW_IN_USE % {"occupied": new_occupied, "held": capacity.held},
            "total_below_in_use",
        )
    if new_occupied + capacity.held > new_total:
        raise BedConflict(
            ERROR_OCCUPIED_ABOVE_TOTAL % {"room": new_total - capacity.held, "held": capacity.held},
            "occupied_above_total",
        )
    capacity.total, capacity.occupied = new_total, new_occupied
    if status is not None:
        capacity.status = status
    capacity.counted_at = now
    capacity.full_clean()
    capacity.save()
    CapacitySnapshot.objects.create(
        capacity=capacity,
        total=capacity.total,
        occupied=capacity.occupied,
        held=capacity.held,
        status=capacity.status,
        recorded_at=now,
        recorded_by=by,
        source=source,
    )
    _location_beds_refresh(capacity.location_id)
    return capacity


@transaction.atomic
def hold_place(*, capacity: Capacity, agency: Organization, placed_by: Membership | None) -> Hold:
    """Keep one free bed for someone an officer is helping, for the network's hold time.

    The usual case is one conditional UPDATE: it takes a bed only if the counters show one
    free, and locks the row until commit. ``held`` still counts holds that are overdue but
    not yet marked expired, so it can only under-report free beds, never invent one; when it
    finds none, the row is locked, overdue holds are expired, and the numbers decide. The
    returned hold's ``capacity`` is the object passed in, its counters as they were read."""
    now = timezone.now()
    taken = Capacity.objects.filter(
        pk=capacity.pk, status=Capacity.Status.ACCEPTING, total__gt=F("occupied") + F("held")
    ).update(held=F("held") + 1, updated_at=now)
    if not taken:
        capacity, _expired = _locked_capacity(capacity, now)
        if capacity.status != Capacity.Status.ACCEPTING:
            raise BedConflict(str(ERROR_NOT_ACCEPTING), "not_accepting")
        if capacity.available < 1:
            raise BedConflict(str(ERROR_NO_BED), "no_bed")
        capacity.held += 1
        capacity.save(update_fields=["held", "updated_at"])
    return Hold.objects.create(
        capacity=capacity,
        agency=agency,
        placed_by=placed_by,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.HAVEN_HOLD_MINUTES),
    )


def _end_hold(hold: Hold, status: str, *, occupy: bool) -> Hold:
    """Cancel or confirm an active hold: its bed is given back, or becomes occupied. The
    capacity row is locked first (the order every bed write takes), so the hold's state
    cannot change underneath; the hold is then ended only if it is still active."""
    now = timezone.now()
    capacity, _expired = _locked_capacity(hold.capacity, now)
    ended = Hold.objects.filter(pk=hold.pk, status=Hold.Status.ACTIVE).update(
        status=status, ended_at=now
    )
    if not ended:
        hold = Hold.objects.get(pk=hold.pk)
        raise BedConflict(
            ERROR_HOLD_ENDED % {"status": hold.get_status_display().lower()}, "hold_ended"
        )
    capacity.held -= 1
    if occupy:
        capacity.occupied += 1
    capacity.save(update_fields=["held", "occupied", "updated_at"])
    hold.status, hold.ended_at, hold.capacity = status, now, capacity
    return hold


@transaction.atomic
def hold_cancel(*, hold: Hold) -> Hold:
    """The bed is not needed after all: it is free again at once."""
    return _end_hold(hold, Hold.Status.CANCELLED, occupy=False)


@transaction.atomic
def hold_confirm(*, hold: Hold) -> Hold:
    """The person arrived: the held bed becomes an occupied one (free beds unchanged)."""
    return _end_hold(hold, Hold.Status.CONFIRMED, occupy=True)


def holds_sweep() -> int:
    """Mark every overdue hold expired (they stopped counting when they expired; this keeps
    the records and counters tidy). Run by ``manage.py sweep_holds`` or the task worker."""
    now = timezone.now()
    swept = 0
    capacity_ids = set(
        Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lte=now).values_list(
            "capacity_id", flat=True
        )
    )
    for capacity in Capacity.objects.filter(pk__in=capacity_ids):
        with transaction.atomic():
            swept += _locked_capacity(capacity, now)[1]
    return swept


@transaction.atomic
def capacity_create(
    *,
    location: Location,
    population: str,
    total: int,
    occupied: int = 0,
    service: Service | None = None,
    by: Membership | None = None,
    source: str = Capacity.Source.WEB,
) -> Capacity:
    """Start counting beds for one population at a location."""
    now = timezone.now()
    capacity = Capacity(
        location=location,
        service=service,
        population=population,
        total=total,
        occupied=occupied,
        counted_at=now,
    )
    capacity.full_clean()
    capacity.save()
    CapacitySnapshot.objects.create(
        capacity=capacity, total=total, occupied=occupied, held=0, status=capacity.status,
        recorded_at=now, recorded_by=by, source=source,
    )  # fmt: skip
    location_index_refresh(location_ids=[location.pk])
    return capacity
