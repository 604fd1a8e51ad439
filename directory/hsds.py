"""The directory as Open Referral HSDS 3.1 documents, and the reads that feed them.

One set of functions builds every HSDS document Haven publishes: the read API under
``/api/hsds/`` (directory.hsds_apis) and ``manage.py export_hsds`` (directory.hsds_export).
Each HSDS id is the object's ``code``. Only what the public directory lists is published:
active services offered at a listed location (``Location.search_listed``), those locations, and
the organisations behind them.

**Confidential locations.** Decided here and only here, in :func:`_location`: for anyone who
is not a member of the owning organisation a confidential location has
``location_type: "redacted"`` (the proposal in ``hsds_schema/proposed/location_redacted.json``)
and no address, coordinates or transport directions; its city and state stay, as on the
listing page.

**Beds.** HSDS ``service_capacity`` (unit "bed") appears only when the caller may see beds
(``directory.selectors.can_see_beds``), never for the public. A count too old to trust
(freshness "unknown") is left out, as the pages say "call to confirm" instead of a number.

**Haven's profile.** Fields HSDS lacks sit in one object named ``haven`` on the HSDS object
they describe (HSDS allows unknown properties); :data:`PROFILE` is their JSON Schema, served
at ``/api/hsds/profile``. Opening hours are local wall-clock times in the location's
``haven.time_zone`` (HSDS wants a UTC offset, which a time zone with daylight saving has not);
a schedule without times is open all day; ``closes_at`` before ``opens_at`` runs past midnight.
Holiday closures are ``haven.schedule_exceptions`` of the location.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Exists, Model, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from directory.beds import Freshness, active_holds, bed_freshness
from directory.languages import language_name
from directory.models import (
    WEEKDAY_FIELDS,
    Accessibility,
    AccessibilityFeature,
    Address,
    Attribute,
    Capacity,
    Category,
    Language,
    Location,
    Organization,
    Phone,
    Population,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServicePopulation,
    Taxonomy,
    TaxonomyTerm,
)

HSDS_VERSION = "3.1"
PROFILE_NAME = "Haven victim-services profile"
EXTENSION = "haven"
SCHEMA_DIR = Path(__file__).resolve().parent / "hsds_schema"

# HSDS wants an id for every unit; this one is derived, so it is the same in every network.
BED_UNIT_ID = uuid.uuid5(uuid.NAMESPACE_URL, "urn:haven:hsds:unit:bed")
BED_UNIT = {"id": str(BED_UNIT_ID), "name": "Bed", "identifier": "bed"}

_BYDAY = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}

Document = dict[str, Any]
M = TypeVar("M", bound=Model)


# --- Haven's profile ------------------------------------------------------------------------


def _enum(values: Iterable[str], description: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), "description": description}


def _flag(description: str) -> dict[str, Any]:
    return {"type": "boolean", "description": description}


def _optional(kind: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], "description": description, **extra}


_SCHEDULE_EXCEPTION = {
    "type": "object",
    "description": "Dates that override the weekly hours: a holiday closure or special hours.",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "start_date": {"type": "string", "format": "date"},
        "end_date": {"type": "string", "format": "date", "description": "Inclusive."},
        "closed": _flag("Closed all day (false: open, at opens_at–closes_at if given)."),
        "opens_at": _optional("string", "HH:MM, local time.", pattern="^[0-2][0-9]:[0-5][0-9]$"),
        "closes_at": _optional("string", "HH:MM, local time.", pattern="^[0-2][0-9]:[0-5][0-9]$"),
        "description": {"type": "string"},
    },
    "required": ["id", "start_date", "end_date", "closed", "opens_at", "closes_at"],
}

PROFILE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": PROFILE_NAME,
    "description": (
        "Fields HSDS 3.1 lacks, for services to survivors of domestic violence, sexual assault "
        "and human trafficking. Each sits in an object named `haven` on the HSDS object it "
        "describes; `$defs` gives one schema per HSDS object. Confidential locations are "
        'published with `location_type: "redacted"` (proposed for HSDS in '
        "openreferral/specification issue #166) and without address or coordinates; bed counts "
        "(`service_capacity`, unit `bed`) only to members of the network."
    ),
    "$defs": {
        "organization": {
            "type": "object",
            "properties": {
                "kind": _enum(
                    Organization.Kind.values, "A service provider or a referring agency."
                ),
                "intake_email": {
                    "type": "string",
                    "format": "email",
                    "description": "Where new referrals are announced. Members of the "
                    "organisation only.",
                },
                "on_call_email": {
                    "type": "string",
                    "format": "email",
                    "description": "Who is told when an urgent referral waits. Members only.",
                },
            },
            "required": ["kind"],
        },
        "service": {
            "type": "object",
            "properties": {
                "category": _enum(Category.values, "The kind of service."),
                "populations": {
                    "type": "array",
                    "items": _enum(Population.values, "A population served."),
                    "description": "Who the service is for: HUD household types, gender, "
                    "age, kinds of violence survived.",
                },
                "accepts_police_referrals": _flag("Officers may refer survivors here."),
                "intake_24_7": _flag("Intake at any hour, every day."),
                "pets_accepted": _flag("Pets are welcome (service animals always are)."),
                "sobriety_required": _flag("Sobriety is a condition of entry."),
                "id_required": _flag("Identity documents are needed."),
                "immigration_status_required": _flag("A particular immigration status is needed."),
                "max_stay_days": _optional("integer", "Longest stay; null: no limit."),
                "accompanying_boys_max_age": _optional(
                    "integer", "Oldest accompanying boy the service can take; null: no limit."
                ),
            },
            "required": [
                "category",
                "populations",
                "accepts_police_referrals",
                "intake_24_7",
                "pets_accepted",
                "sobriety_required",
                "id_required",
                "immigration_status_required",
                "max_stay_days",
                "accompanying_boys_max_age",
            ],
        },
        "location": {
            "type": "object",
            "properties": {
                "confidential": _flag(
                    "The street address and exact position are shown only to members of the "
                    "owning organisation; everyone else gets a redacted location."
                ),
                "city": {"type": "string"},
                "state_province": {"type": "string"},
                "country": {"type": "string"},
                "time_zone": {
                    "type": "string",
                    "description": "IANA time zone of the opening hours, e.g. America/Chicago.",
                },
                "schedule_exceptions": {"type": "array", "items": _SCHEDULE_EXCEPTION},
            },
            "required": ["confidential", "time_zone"],
        },
        "schedule_exception": _SCHEDULE_EXCEPTION,
        "phone": {
            "type": "object",
            "properties": {
                "intake": _flag("The number to call to ask for a place or an appointment."),
                "extension": {
                    "type": "string",
                    "description": "An extension that is not a plain number (HSDS wants one).",
                },
            },
            "required": ["intake"],
        },
        "accessibility": {
            "type": "object",
            "properties": {
                "feature": _enum(AccessibilityFeature.values, "The accessibility feature."),
            },
            "required": ["feature"],
        },
        "service_capacity": {
            "type": "object",
            "properties": {
                "location_id": {"type": "string", "format": "uuid"},
                "population": _enum(Population.values, "Who the beds are for."),
                "status": _enum(Capacity.Status.values, "Whether referrals are taken."),
                "freshness": _enum(
                    [f for f in Freshness.values if f != Freshness.UNKNOWN],
                    "fresh < 4 h, aging < 12 h, stale < 24 h (older counts are left out).",
                ),
                "occupied": {"type": "integer", "minimum": 0},
                "held": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Beds held for people on their way.",
                },
            },
            "required": ["location_id", "population", "status", "freshness", "occupied", "held"],
        },
    },
}


# --- Reads ----------------------------------------------------------------------------------


def services_listed() -> QuerySet[Service]:
    """Services the public directory shows: active, and offered at a listed location."""
    offered = ServiceAtLocation.objects.filter(service=OuterRef("pk"), location__search_listed=True)
    return Service.objects.filter(Exists(offered), status=Service.Status.ACTIVE)


def locations_listed() -> QuerySet[Location]:
    """Locations the public search lists (placed, with an active service)."""
    return Location.objects.filter(search_listed=True)


def service_at_locations_listed() -> QuerySet[ServiceAtLocation]:
    return ServiceAtLocation.objects.filter(
        service__status=Service.Status.ACTIVE, location__search_listed=True
    )


def organizations_listed() -> QuerySet[Organization]:
    """Organisations with a listed service or a listed location."""
    return Organization.objects.filter(
        Exists(services_listed().filter(organization=OuterRef("pk")))
        | Exists(locations_listed().filter(organization=OuterRef("pk")))
    )


def _text(search: str, *fields: str) -> Q:
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": search})
    return condition


def _tagged(*, term: uuid.UUID | None, taxonomy: uuid.UUID | None, link: str = "code") -> Q:
    """Objects an HSDS attribute links to a term (or to any term of a taxonomy)."""
    condition = Q()
    if term is not None:
        attributes = Attribute.objects.filter(link_id=OuterRef(link), taxonomy_term__code=term)
        condition &= Q(Exists(attributes))
    if taxonomy is not None:
        attributes = Attribute.objects.filter(
            link_id=OuterRef(link), taxonomy_term__taxonomy__code=taxonomy
        )
        condition &= Q(Exists(attributes))
    return condition


def services_find(
    *,
    search: str = "",
    organization_id: uuid.UUID | None = None,
    taxonomy_term_id: uuid.UUID | None = None,
    taxonomy_id: uuid.UUID | None = None,
    modified_after: datetime | None = None,
) -> QuerySet[Service]:
    """Listed services matching the HSDS API's filters, by name."""
    services = services_listed().filter(_tagged(term=taxonomy_term_id, taxonomy=taxonomy_id))
    if search:
        services = services.filter(_text(search, "name", "alternate_name", "description"))
    if organization_id is not None:
        services = services.filter(organization__code=organization_id)
    if modified_after is not None:
        services = services.filter(updated_at__gte=modified_after)
    return services.order_by("name", "pk")


def service_at_locations_find(
    *,
    search: str = "",
    organization_id: uuid.UUID | None = None,
    taxonomy_term_id: uuid.UUID | None = None,
    taxonomy_id: uuid.UUID | None = None,
    modified_after: datetime | None = None,
) -> QuerySet[ServiceAtLocation]:
    rows = service_at_locations_listed().filter(
        _tagged(term=taxonomy_term_id, taxonomy=taxonomy_id, link="service__code")
    )
    if search:
        rows = rows.filter(_text(search, "service__name", "service__description", "location__name"))
    if organization_id is not None:
        rows = rows.filter(service__organization__code=organization_id)
    if modified_after is not None:
        rows = rows.filter(
            Q(service__updated_at__gte=modified_after) | Q(location__updated_at__gte=modified_after)
        )
    return rows.order_by("service__name", "location__name", "pk")


def organizations_find(
    *,
    search: str = "",
    taxonomy_term_id: uuid.UUID | None = None,
    taxonomy_id: uuid.UUID | None = None,
) -> QuerySet[Organization]:
    organizations = organizations_listed().filter(
        _tagged(term=taxonomy_term_id, taxonomy=taxonomy_id)
    )
    if search:
        organizations = organizations.filter(_text(search, "name", "alternate_name", "description"))
    return organizations.order_by("name", "pk")


def taxonomies_find(*, search: str = "") -> QuerySet[Taxonomy]:
    taxonomies = Taxonomy.objects.all()
    if search:
        taxonomies = taxonomies.filter(_text(search, "name", "description"))
    return taxonomies.order_by("name", "pk")


def taxonomy_terms_find(
    *,
    search: str = "",
    taxonomy_id: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
    top_only: bool = False,
) -> QuerySet[TaxonomyTerm]:
    terms = TaxonomyTerm.objects.select_related("taxonomy", "parent")
    if search:
        terms = terms.filter(_text(search, "name", "term_code", "description"))
    if taxonomy_id is not None:
        terms = terms.filter(taxonomy__code=taxonomy_id)
    if parent_id is not None:
        terms = terms.filter(parent__code=parent_id)
    if top_only:
        terms = terms.filter(parent__isnull=True)
    return terms.order_by("name", "pk")


def _one(queryset: QuerySet[M], code: uuid.UUID | str) -> M:
    """The object with this HSDS id, or a 404 (unknown, unlisted and malformed alike)."""
    try:
        found = queryset.filter(code=code).first()
    except (ValueError, ValidationError):
        found = None
    if found is None:
        raise Http404
    return found


def service_get_listed(
    *, code: uuid.UUID | str, with_capacity: bool, at: datetime | None = None
) -> Service:
    """A listed service, ready for :func:`service_full`; anything else is a 404."""
    services = with_service_documents(
        services_listed(), full=True, with_capacity=with_capacity, at=at
    )
    return _one(services, code)


def service_at_location_get_listed(*, code: uuid.UUID | str, full: bool) -> ServiceAtLocation:
    return _one(with_service_at_location_documents(service_at_locations_listed(), full=full), code)


def organization_get_listed(
    *, code: uuid.UUID | str, full_service: bool, with_capacity: bool, at: datetime | None = None
) -> Organization:
    """A listed organisation, ready for :func:`organization_full`; anything else is a 404."""
    organizations = with_organization_documents(
        organizations_listed(),
        full=True,
        full_service=full_service,
        with_capacity=with_capacity,
        at=at,
    )
    return _one(organizations, code)


def taxonomy_get(*, code: uuid.UUID | str) -> Taxonomy:
    return _one(Taxonomy.objects.all(), code)


def taxonomy_term_get(*, code: uuid.UUID | str) -> TaxonomyTerm:
    return _one(TaxonomyTerm.objects.select_related("taxonomy", "parent"), code)


# What each document reads, fetched up front: a page costs the same few queries whatever
# its length (tests/directory/test_hsds_api.py counts them).


def _location_lookups(prefix: str) -> list[str | Prefetch[Any]]:
    return [
        Prefetch(f"{prefix}addresses", Address.objects.order_by("-pk")),
        Prefetch(f"{prefix}phones", Phone.objects.order_by("-intake", "number", "pk")),
        Prefetch(f"{prefix}languages", Language.objects.order_by("iso_code", "pk")),
        Prefetch(f"{prefix}accessibility", Accessibility.objects.order_by("feature", "pk")),
        Prefetch(f"{prefix}schedules", Schedule.objects.order_by("pk")),
        Prefetch(f"{prefix}schedule_exceptions", ScheduleException.objects.order_by("start_date")),
    ]


def _area_lookup(prefix: str) -> Prefetch[Any]:
    return Prefetch(f"{prefix}addresses", Address.objects.order_by("-pk"))


def _service_lookups(
    prefix: str, *, full: bool, with_capacity: bool, at: datetime | None
) -> list[str | Prefetch[Any]]:
    lookups: list[str | Prefetch[Any]] = [
        Prefetch(f"{prefix}populations", ServicePopulation.objects.order_by("population")),
    ]
    if not full:
        return lookups
    lookups += [
        Prefetch(f"{prefix}phones", Phone.objects.order_by("-intake", "number", "pk")),
        Prefetch(f"{prefix}schedules", Schedule.objects.order_by("pk")),
        Prefetch(f"{prefix}languages", Language.objects.order_by("iso_code", "pk")),
        Prefetch(
            f"{prefix}at_locations",
            ServiceAtLocation.objects.filter(location__search_listed=True)
            .select_related("location__organization")
            .order_by("location__name", "pk"),
        ),
        *_location_lookups(f"{prefix}at_locations__location__"),
    ]
    if with_capacity:
        lookups.append(
            Prefetch(
                f"{prefix}capacities",
                Capacity.objects.filter(location__search_listed=True)
                .select_related("location")
                .annotate(held_now=Coalesce(active_holds(at or timezone.now()), 0))
                .order_by("location__name", "population"),
            )
        )
    return lookups


def with_service_documents(
    services: QuerySet[Service], *, full: bool, with_capacity: bool, at: datetime | None = None
) -> QuerySet[Service]:
    """What :func:`services_full` (``full``) or :func:`services_basic` reads."""
    return services.select_related("organization__parent").prefetch_related(
        *_service_lookups("", full=full, with_capacity=with_capacity, at=at)
    )


def with_service_at_location_documents(
    rows: QuerySet[ServiceAtLocation], *, full: bool
) -> QuerySet[ServiceAtLocation]:
    rows = rows.select_related("service__organization__parent", "location__organization")
    lookups = _service_lookups("service__", full=False, with_capacity=False, at=None)
    lookups += _location_lookups("location__") if full else [_area_lookup("location__")]
    return rows.prefetch_related(*lookups)


def with_organization_documents(
    organizations: QuerySet[Organization],
    *,
    full: bool,
    full_service: bool,
    with_capacity: bool,
    at: datetime | None = None,
) -> QuerySet[Organization]:
    """What :func:`organizations_full` (``full``) or :func:`organizations_basic` reads."""
    organizations = organizations.select_related("parent")
    if not full:
        return organizations
    return organizations.prefetch_related(
        Prefetch("phones", Phone.objects.order_by("-intake", "number", "pk")),
        Prefetch("locations", locations_listed().order_by("name", "pk")),
        *_location_lookups("locations__"),
        Prefetch("services", services_listed().order_by("name", "pk")),
        *_service_lookups("services__", full=full_service, with_capacity=with_capacity, at=at),
    )


def _attributes_for(codes: Collection[str]) -> dict[str, list[Attribute]]:
    found: dict[str, list[Attribute]] = defaultdict(list)
    if not codes:
        return found
    for attribute in (
        Attribute.objects.filter(link_id__in=codes)
        .select_related("taxonomy_term__taxonomy", "taxonomy_term__parent")
        .order_by("pk")
    ):
        found[str(attribute.link_id)].append(attribute)
    return found


# --- Documents ------------------------------------------------------------------------------


def _compact(required: Document, optional: Document) -> Document:
    """HSDS types every optional field; an empty one is left out rather than sent as ""."""
    return required | {key: value for key, value in optional.items() if value not in (None, "")}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _hhmm(value: Any) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def taxonomy(item: Taxonomy) -> Document:
    """An HSDS ``taxonomy``."""
    return _compact(
        {"id": str(item.code), "name": item.name, "description": item.description},
        {"uri": item.uri, "version": item.version},
    )


def taxonomy_term(term: TaxonomyTerm) -> Document:
    """An HSDS ``taxonomy_term``; ``taxonomy`` and ``parent`` should be selected with it."""
    vocabulary = term.taxonomy
    return _compact(
        {"id": str(term.code), "name": term.name, "description": term.description},
        {
            "code": term.term_code,
            "parent_id": str(term.parent.code) if term.parent is not None else None,
            "taxonomy": vocabulary.name if vocabulary is not None else None,
            "taxonomy_id": str(vocabulary.code) if vocabulary is not None else None,
            "taxonomy_detail": taxonomy(vocabulary) if vocabulary is not None else None,
            "term_uri": term.term_uri,
        },
    )


def _attribute(attribute: Attribute) -> Document:
    return _compact(
        {
            "id": str(attribute.code),
            "link_id": str(attribute.link_id),
            "link_entity": attribute.link_entity,
            "taxonomy_term_id": str(attribute.taxonomy_term.code),
            "taxonomy_term": taxonomy_term(attribute.taxonomy_term),
        },
        {"link_type": attribute.link_type, "value": attribute.value, "label": attribute.label},
    )


@dataclass
class _Writer:
    """Builds the documents of one answer for one audience.

    Collects every document HSDS attributes may link to (organisations, services, locations,
    services at locations) and reads their attributes at the end, in one query.
    """

    viewer_organization_ids: Collection[int]
    with_capacity: bool
    at: datetime
    linked: list[Document] = field(default_factory=list)

    def link(self, document: Document) -> Document:
        self.linked.append(document)
        return document

    def finish(self, documents: list[Document]) -> list[Document]:
        attributes = _attributes_for({document["id"] for document in self.linked})
        for document in self.linked:
            found = attributes.get(document["id"])
            if found:
                document["attributes"] = [_attribute(attribute) for attribute in found]
        return documents

    def owns(self, organization_id: int) -> bool:
        """May the reader see this organisation's confidential details (addresses and
        positions of confidential locations, intake e-mail)? Its members and integrations
        may; so may a ``--members`` export, which passes every organisation."""
        return organization_id in self.viewer_organization_ids

    # Organisations

    def organization(self, org: Organization) -> Document:
        profile: Document = {"kind": org.kind}
        if self.owns(org.pk):
            contacts = {"intake_email": org.intake_email, "on_call_email": org.on_call_email}
            profile |= _compact({}, contacts)
        return self.link(
            _compact(
                {"id": str(org.code), "name": org.name, "description": org.description},
                {
                    "alternate_name": org.alternate_name,
                    "email": org.email,
                    "website": org.website,
                    "year_incorporated": org.year_incorporated,
                    "legal_status": org.legal_status,
                    "parent_organization_id": str(org.parent.code) if org.parent else None,
                },
            )
            | {EXTENSION: profile}
        )

    def organization_full(self, org: Organization, *, full_service: bool) -> Document:
        document = self.organization(org)
        services = org.services.all()
        document.update(
            phones=[self.phone(phone) for phone in org.phones.all()],
            locations=[self.location(place, full=True) for place in org.locations.all()],
            services=[
                self.service_full(s, with_organization=False)
                if full_service
                else self.service(s, with_organization=False)
                for s in services
            ],
        )
        return document

    # Services

    def service(self, service: Service, *, with_organization: bool = True) -> Document:
        owner = service.organization
        document = _compact(
            {"id": str(service.code), "name": service.name, "status": service.status},
            {
                "organization_id": str(owner.code),
                "alternate_name": service.alternate_name,
                "description": service.description,
                "url": service.url,
                "email": service.email,
                "interpretation_services": service.interpretation_services,
                "application_process": service.application_process,
                "fees_description": service.fees_description,
                "eligibility_description": service.eligibility_description,
                "minimum_age": service.minimum_age,
                "maximum_age": service.maximum_age,
                "assured_date": _iso(service.assured_date),
                # Who checked the listing is the steward's business, not the public's.
                "assurer_email": service.assurer_email if self.owns(owner.pk) else None,
                "alert": service.alert,
                "last_modified": _iso(service.updated_at),
            },
        )
        if with_organization:
            document["organization"] = self.organization(owner)
        document[EXTENSION] = {
            "category": service.category,
            "populations": [row.population for row in service.populations.all()],
            "accepts_police_referrals": service.accepts_police_referrals,
            "intake_24_7": service.intake_24_7,
            "pets_accepted": service.pets_accepted,
            "sobriety_required": service.sobriety_required,
            "id_required": service.id_required,
            "immigration_status_required": service.immigration_status_required,
            "max_stay_days": service.max_stay_days,
            "accompanying_boys_max_age": service.accompanying_boys_max_age,
        }
        return self.link(document)

    def service_full(self, service: Service, *, with_organization: bool = True) -> Document:
        document = self.service(service, with_organization=with_organization)
        document.update(
            phones=[self.phone(phone) for phone in service.phones.all()],
            schedules=[self.schedule(row) for row in service.schedules.all()],
            service_at_locations=[
                self.service_at_location(row, full=True, with_service=False)
                for row in service.at_locations.all()
            ],
            languages=[self.language(row) for row in service.languages.all()],
        )
        if self.with_capacity:
            document["capacities"] = [
                capacity
                for row in service.capacities.all()
                if (capacity := self.capacity(service, row)) is not None
            ]
        return document

    def capacity(self, service: Service, row: Capacity) -> Document | None:
        freshness = bed_freshness(row.counted_at, self.at)
        if freshness == Freshness.UNKNOWN or row.counted_at is None:
            return None  # too old to trust: "call to confirm"
        held = int(getattr(row, "held_now", row.held))
        return {
            "id": str(row.code),
            "service_id": str(service.code),
            "unit_id": BED_UNIT["id"],
            "unit": dict(BED_UNIT),
            "available": max(0, row.total - row.occupied - held),
            "maximum": row.total,
            "description": f"Beds for {row.get_population_display()} at {row.location.name}",
            "updated": row.counted_at.isoformat(),
            EXTENSION: {
                "location_id": str(row.location.code),
                "population": row.population,
                "status": row.status,
                "freshness": str(freshness),
                "occupied": row.occupied,
                "held": held,
            },
        }

    def service_at_location(
        self, row: ServiceAtLocation, *, full: bool, with_service: bool = True
    ) -> Document:
        document = _compact(
            {
                "id": str(row.code),
                "service_id": str(row.service.code),
                "location_id": str(row.location.code),
            },
            {"description": row.description},
        )
        document["location"] = self.location(row.location, full=full)
        if with_service:
            document["service"] = self.service(row.service)
        return self.link(document)

    # Locations

    def location(self, place: Location, *, full: bool) -> Document:
        """A location; a confidential one is redacted unless the reader :meth:`owns` it:
        no address, coordinates or directions, ``location_type: "redacted"``."""
        exact = not place.confidential or self.owns(place.organization_id)
        addresses = list(place.addresses.all())
        area = addresses[0] if addresses else None
        document = _compact(
            {
                "id": str(place.code),
                "location_type": place.location_type if exact else "redacted",
                "organization_id": str(place.organization.code),
                "name": place.name,
            },
            {
                "url": place.url,
                "alternate_name": place.alternate_name,
                "description": place.description,
                "transportation": place.transportation if exact else None,
                "latitude": place.latitude if exact else None,
                "longitude": place.longitude if exact else None,
            },
        )
        profile: Document = {"confidential": place.confidential, "time_zone": place.time_zone}
        if area is not None:
            profile |= {
                "city": area.city,
                "state_province": area.state_province,
                "country": area.country,
            }
        if full:
            document.update(
                languages=[self.language(row) for row in place.languages.all()],
                addresses=[self.address(row) for row in addresses] if exact else [],
                phones=[self.phone(row) for row in place.phones.all()],
                accessibility=[self.accessibility(row) for row in place.accessibility.all()],
                schedules=[self.schedule(row) for row in place.schedules.all()],
            )
            profile["schedule_exceptions"] = [
                self.schedule_exception(row) for row in place.schedule_exceptions.all()
            ]
        document[EXTENSION] = profile
        return self.link(document)

    def address(self, row: Address) -> Document:
        return _compact(
            {
                "id": str(row.code),
                "address_1": row.address_1,
                "city": row.city,
                "state_province": row.state_province,
                "postal_code": row.postal_code,
                "country": row.country,
                "address_type": row.address_type,
            },
            {"attention": row.attention, "address_2": row.address_2, "region": row.region},
        )

    # Details

    def phone(self, row: Phone) -> Document:
        numeric = row.extension.isdigit()
        profile: Document = {"intake": row.intake}
        if row.extension and not numeric:
            profile["extension"] = row.extension
        return _compact(
            {"id": str(row.code), "number": row.number},
            {
                "extension": int(row.extension) if numeric else None,
                "type": row.type,
                "description": row.description,
            },
        ) | {EXTENSION: profile}

    def language(self, row: Language) -> Document:
        return _compact(
            {"id": str(row.code), "name": row.name or language_name(row.iso_code)},
            {"code": row.iso_code, "note": row.note},
        )

    def accessibility(self, row: Accessibility) -> Document:
        return _compact(
            {"id": str(row.code), "description": row.description or row.get_feature_display()},
            {"details": row.details, "url": row.url},
        ) | {EXTENSION: {"feature": row.feature}}

    def schedule(self, row: Schedule) -> Document:
        return _compact(
            {
                "id": str(row.code),
                "freq": "WEEKLY",
                "byday": ",".join(_BYDAY[day] for day in WEEKDAY_FIELDS if getattr(row, day)),
                "description": row.description or str(row),
            },
            {
                "opens_at": _hhmm(row.opens_at),
                "closes_at": _hhmm(row.closes_at),
                "valid_from": _iso(row.valid_from),
                "valid_to": _iso(row.valid_to),
            },
        )

    def schedule_exception(self, row: ScheduleException) -> Document:
        return {
            "id": str(row.code),
            "start_date": row.start_date.isoformat(),
            "end_date": row.end_date.isoformat(),
            "closed": row.closed,
            "opens_at": _hhmm(row.opens_at),
            "closes_at": _hhmm(row.closes_at),
            "description": row.description,
        }


def _writer(
    viewer_organization_ids: Collection[int], with_capacity: bool, at: datetime | None
) -> _Writer:
    return _Writer(frozenset(viewer_organization_ids), with_capacity, at or timezone.now())


def organizations_full(
    organizations: Iterable[Organization],
    *,
    viewer_organization_ids: Collection[int],
    with_capacity: bool,
    full_service: bool = True,
    at: datetime | None = None,
) -> list[Document]:
    """HSDS organisations with their listed locations and services, from
    :func:`with_organization_documents` (``full=True``). ``viewer_organization_ids`` are the
    organisations whose confidential locations the reader may see in full; ``with_capacity``
    adds bed counts (and needs ``full_service``)."""
    writer = _writer(viewer_organization_ids, with_capacity, at)
    return writer.finish(
        [writer.organization_full(org, full_service=full_service) for org in organizations]
    )


def organization_full(
    org: Organization,
    *,
    viewer_organization_ids: Collection[int],
    with_capacity: bool,
    full_service: bool = True,
    at: datetime | None = None,
) -> Document:
    return organizations_full(
        [org],
        viewer_organization_ids=viewer_organization_ids,
        with_capacity=with_capacity,
        full_service=full_service,
        at=at,
    )[0]


def organizations_basic(organizations: Iterable[Organization]) -> list[Document]:
    """One-to-one fields only (``organization_list``); nothing confidential is in them."""
    writer = _writer((), False, None)
    return writer.finish([writer.organization(org) for org in organizations])


def services_full(
    services: Iterable[Service],
    *,
    viewer_organization_ids: Collection[int],
    with_capacity: bool,
    at: datetime | None = None,
) -> list[Document]:
    """Fully nested HSDS services, from :func:`with_service_documents` (``full=True``)."""
    writer = _writer(viewer_organization_ids, with_capacity, at)
    return writer.finish([writer.service_full(service) for service in services])


def service_full(
    service: Service,
    *,
    viewer_organization_ids: Collection[int],
    with_capacity: bool,
    at: datetime | None = None,
) -> Document:
    return services_full(
        [service],
        viewer_organization_ids=viewer_organization_ids,
        with_capacity=with_capacity,
        at=at,
    )[0]


def services_basic(
    services: Iterable[Service], *, viewer_organization_ids: Collection[int]
) -> list[Document]:
    """One-to-one fields with the organisation (``service_list``)."""
    writer = _writer(viewer_organization_ids, False, None)
    return writer.finish([writer.service(service) for service in services])


def service_at_locations(
    rows: Iterable[ServiceAtLocation], *, viewer_organization_ids: Collection[int], full: bool
) -> list[Document]:
    """Services at locations with their location and service, from
    :func:`with_service_at_location_documents`; ``full`` adds the location's details."""
    writer = _writer(viewer_organization_ids, False, None)
    return writer.finish([writer.service_at_location(row, full=full) for row in rows])


def service_at_location(
    row: ServiceAtLocation, *, viewer_organization_ids: Collection[int], full: bool = True
) -> Document:
    return service_at_locations([row], viewer_organization_ids=viewer_organization_ids, full=full)[
        0
    ]


def location(
    place: Location, *, viewer_organization_ids: Collection[int], full: bool = True
) -> Document:
    """One HSDS location (``organization`` selected, details prefetched when ``full``)."""
    writer = _writer(viewer_organization_ids, False, None)
    return writer.finish([writer.location(place, full=full)])[0]


def taxonomies(items: Sequence[Taxonomy]) -> list[Document]:
    return [taxonomy(item) for item in items]


def taxonomy_terms(items: Sequence[TaxonomyTerm]) -> list[Document]:
    return [taxonomy_term(item) for item in items]
