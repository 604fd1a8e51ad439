"""Synthetic directories at scale (``manage.py seed_directory``) for benchmarks and load tests.

Locations are spread like the US population (geo.population); each has an address, an intake
phone, one to three services with populations and languages, hours and accessibility. Rows are
written with bulk inserts in batches, one transaction per batch. Derived columns (search
placement) come from the same function the directory's services use.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from directory.bulk import insert_rows
from directory.models import (
    WEEKDAY_FIELDS,
    Accessibility,
    AccessibilityFeature,
    Address,
    Capacity,
    Category,
    Language,
    Location,
    LocationCard,
    Organization,
    Phone,
    Population,
    Schedule,
    Service,
    ServiceAtLocation,
    ServicePopulation,
)
from directory.services import (
    CardLocation,
    CountedBeds,
    card_url_template,
    index_values,
    location_card,
    search_placement,
)
from geo.population import PopulationSampler

SHELTERS = {Category.EMERGENCY_SHELTER, Category.TRANSITIONAL_HOUSING, Category.SAFE_HOME}
CATEGORY_WEIGHTS = {
    Category.EMERGENCY_SHELTER: 18, Category.TRANSITIONAL_HOUSING: 8, Category.SAFE_HOME: 5,
    Category.COUNSELLING: 16, Category.LEGAL_AID: 10, Category.IMMIGRATION_LEGAL: 5,
    Category.MEDICAL: 8, Category.SANE: 4, Category.HOTLINE: 6, Category.CASE_MANAGEMENT: 12,
    Category.INTERPRETATION: 3, Category.TRANSPORT: 5,
}  # fmt: skip
LANGUAGE_WEIGHTS = {"es": 40, "zh": 6, "vi": 6, "tl": 4, "ko": 3, "ar": 4, "ht": 3, "ru": 3,
                    "fr": 2, "pt": 2, "hi": 2, "ase": 5}  # fmt: skip
Hours = list[tuple[tuple[str, ...], time | None, time | None]]
HOURS: list[tuple[str, int, Hours]] = [
    ("always", 30, [(WEEKDAY_FIELDS, None, None)]),
    ("office", 40, [(WEEKDAY_FIELDS[:5], time(9), time(17))]),
    ("late", 20, [(WEEKDAY_FIELDS[:4], time(9), time(19)), (("sat",), time(10), time(14))]),
    ("overnight", 10, [(WEEKDAY_FIELDS[:5], time(8), time(18)),
                       (("fri", "sat"), time(20), time(2))]),
]  # fmt: skip
FIRST = [
    "Harbor",
    "Haven",
    "Bridge",
    "Beacon",
    "Cedar",
    "Willow",
    "Lighthouse",
    "Sunrise",
    "New Hope",
    "Open Door",
    "Safe Passage",
    "Riverbend",
    "Compass",
    "Kindred",
    "Northstar",
]
SECOND = ["House", "Place", "Centre", "Network", "Alliance", "Project", "Refuge", "Collective"]
STREETS = ["Main Street", "Oak Avenue", "Elm Street", "Cedar Road", "Park Avenue", "Lake Drive",
           "Hill Street", "Maple Avenue", "Washington Street", "Pine Street"]  # fmt: skip
BATCH = 2000
FEATURES = list(AccessibilityFeature.values)
POPULATIONS = list(Population.values)
CATEGORY_LABELS = {category: str(category.label) for category in Category}


def _uuid(rng: random.Random) -> uuid.UUID:
    # Identifiers stay random (a second run with the same seed adds new rows); everything
    # people see — places, names, offers — follows the seed.
    return uuid.uuid4()


def _weighted(rng: random.Random, weights: dict[Any, int], k: int) -> list[Any]:
    chosen: list[Any] = []
    keys, values = list(weights), list(weights.values())
    while len(chosen) < k:
        pick = rng.choices(keys, values)[0]
        if pick not in chosen:
            chosen.append(pick)
    return chosen


class _Rows:
    """Rows for one batch as plain tuples, with primary keys allocated here so children can
    point at parents without a round trip. Written with executemany (SQLite) or COPY
    (PostgreSQL): the ORM's per-object work would cost several times the inserts themselves."""

    MODELS: tuple[type[models.Model], ...] = (
        Organization, Location, Service, Address, Phone, Accessibility, Schedule,
        ServiceAtLocation, ServicePopulation, Language, LocationCard, Capacity,
    )  # fmt: skip

    def __init__(self, next_ids: dict[type[models.Model], int]) -> None:
        self.next_ids = next_ids
        self.rows: dict[type[models.Model], list[dict[str, Any]]] = {m: [] for m in self.MODELS}

    def add(self, model: type[models.Model], **values: Any) -> int:
        pk = self.next_ids[model]
        self.next_ids[model] = pk + 1
        self.rows[model].append({"id": pk, **values})
        return pk

    def add_card(self, location_id: int, body: dict[str, Any]) -> None:
        self.rows[LocationCard].append({"location_id": location_id, "body": body})

    def write(self) -> None:
        for model in self.MODELS:
            if self.rows[model]:
                insert_rows(model, self.rows[model])


def _next_ids() -> dict[type[models.Model], int]:
    ids = {}
    for model in _Rows.MODELS:
        if model is LocationCard:  # keyed by its location
            continue
        top = model._default_manager.aggregate(top=Max("pk"))["top"] or 0
        ids[model] = top + 1
    return ids


def _reset_sequences() -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), list(_Rows.MODELS))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _location(rng: random.Random, sampler: PopulationSampler, org: tuple[int, uuid.UUID, str],
              rows: _Rows, today: date, url: str, now: datetime) -> None:  # fmt: skip
    org_id, org_code, org_name = org
    place = sampler.place()
    categories = _weighted(rng, CATEGORY_WEIGHTS, rng.choice((1, 1, 2, 2, 3)))
    shelter = any(c in SHELTERS for c in categories)
    confidential = shelter and rng.random() < 0.6
    placement = search_placement(point=place.point, confidential=confidential)
    code = _uuid(rng)
    name = f"{org_name} — {place.city}"
    location = rows.add(
        Location, code=code, organization_id=org_id, name=name,
        latitude=place.point.latitude, longitude=place.point.longitude,
        confidential=confidential, time_zone=place.time_zone,
        search_latitude=placement.search_latitude, search_longitude=placement.search_longitude,
        ux=placement.ux, uy=placement.uy, uz=placement.uz,
    )  # fmt: skip
    location_row = rows.rows[Location][-1]
    address = {"address_1": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", "address_2": "",
               "city": place.city, "state_province": place.state,
               "postal_code": place.zip_code, "country": "US"}  # fmt: skip
    rows.add(Address, code=_uuid(rng), location_id=location, **address)
    phone = {"number": f"(555) 555-{rng.randint(100, 199):04d}", "extension": "", "type": "voice",
             "description": "Intake", "intake": True}  # fmt: skip
    rows.add(Phone, code=_uuid(rng), location_id=location, **phone)
    features = rng.sample(FEATURES, rng.choice((0, 1, 1, 2, 3)))
    for feature in features:
        rows.add(Accessibility, code=_uuid(rng), location_id=location, feature=feature)
    _name, _weight, hours = rng.choices(HOURS, [h[1] for h in HOURS])[0]
    if shelter:
        hours = HOURS[0][2]
    for days, opens, closes in hours:
        rows.add(Schedule, code=_uuid(rng), location_id=location, opens_at=opens, closes_at=closes,
                 **{d: d in days for d in WEEKDAY_FIELDS})  # fmt: skip
    services = []
    for category in categories:
        assured = today - timedelta(days=rng.randint(0, 400))
        service_values: dict[str, Any] = {
            "name": f"{CATEGORY_LABELS[category]} at {place.city}", "description": "",
            "category": str(category), "accepts_police_referrals": rng.random() < 0.6,
            "intake_24_7": category in SHELTERS or category == Category.HOTLINE,
            "pets_accepted": rng.random() < 0.15, "sobriety_required": False,
            "id_required": False, "immigration_status_required": False, "minimum_age": None,
            "maximum_age": None, "accompanying_boys_max_age": None, "max_stay_days": None,
            "assured_date": assured,
        }  # fmt: skip
        service_code = _uuid(rng)
        service = rows.add(Service, code=service_code, organization_id=org_id, **service_values)
        rows.add(ServiceAtLocation, code=_uuid(rng), location_id=location, service_id=service)
        languages = sorted({"en", *_weighted(rng, LANGUAGE_WEIGHTS, rng.choice((0, 1, 1, 2)))})
        for iso in languages:
            rows.add(Language, code=_uuid(rng), service_id=service, iso_code=iso)
        populations = sorted(rng.sample(POPULATIONS, rng.randint(2, 5)))
        for population in populations:
            rows.add(ServicePopulation, service_id=service, population=population)
        card_service = {"id": str(service_code), **service_values}
        card_service["assured_date"] = assured.isoformat()
        card_service.update(populations=populations, languages=languages)
        services.append((card_service["name"], service, card_service))
    # The card and index a refresh would build from these rows (a test holds the two equal);
    # building them here spares reading a whole batch back.
    card = location_card(
        location=CardLocation(code, name, "", confidential, place.point.latitude,
                              place.point.longitude, place.time_zone, org_code, org_name),
        url=url.format(code),
        address=address,
        phones=[phone],
        services=[entry for _name, _pk, entry in sorted(services, key=lambda s: (s[0], s[1]))],
        location_languages=[],
        accessibility=features,
        hours=[
            {"days": [d for d in WEEKDAY_FIELDS if d in days],
             "opens_at": opens.strftime("%H:%M") if opens else None,
             "closes_at": closes.strftime("%H:%M") if closes else None,
             "valid_from": None, "valid_to": None}
            for days, opens, closes in hours
        ],
        exceptions=[],
    )  # fmt: skip
    # Shelters count beds for one or two of the groups they serve, updated some time today.
    shelter_service = next(
        ((pk, entry) for _name, pk, entry in services if entry["category"] in SHELTERS), None
    )
    counted: list[CountedBeds] = []
    if shelter_service is not None:
        service_pk, entry = shelter_service
        for population in rng.sample(entry["populations"], min(2, len(entry["populations"]))):
            total = rng.randint(2, 30)
            beds = CountedBeds(population, Capacity.Status.ACCEPTING, total,
                               rng.randint(total // 2, total),
                               now - timedelta(minutes=rng.randint(0, 30 * 60)))  # fmt: skip
            counted.append(beds)
            rows.add(
                Capacity, code=_uuid(rng), location_id=location, service_id=service_pk,
                population=population, total=beds.total, occupied=beds.occupied,
                counted_at=beds.counted_at,
            )  # fmt: skip
    location_row.update(index_values(card=card, placed=True, beds=counted))
    rows.add_card(location, card)


def directory_seed(*, locations: int, seed: int, progress: Callable[[int], None] | None = None,
                   today: date | None = None) -> int:  # fmt: skip
    """Add ``locations`` synthetic locations (about two per organisation); returns the count."""
    rng = random.Random(seed)
    sampler = PopulationSampler(rng)
    today = today or date(2026, 11, 1)
    made = 0
    with transaction.atomic():
        next_ids = _next_ids()
    url = card_url_template()
    now = timezone.now()
    while made < locations:
        size = min(BATCH, locations - made)
        rows = _Rows(next_ids)
        in_batch = 0
        while in_batch < size:
            name = f"{rng.choice(FIRST)} {rng.choice(SECOND)}"
            org_code = _uuid(rng)
            org = rows.add(Organization, code=org_code, name=name,
                           kind=Organization.Kind.PROVIDER)  # fmt: skip
            for _ in range(min(rng.choice((1, 1, 2, 3)), size - in_batch)):
                _location(rng, sampler, (org, org_code, name), rows, today, url, now)
                in_batch += 1
        with transaction.atomic():
            rows.write()
        made += in_batch
        if progress:
            progress(in_batch)
    _reset_sequences()
    return made
