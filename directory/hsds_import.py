"""Import an Open Referral HSDS 3.1 directory: validate everything, then write all or nothing.

Input is JSON — an ``organization_full`` or ``service_full`` object, a list of them, or an
HSDS API page (``{"contents": [...]}``) — or a tabular data package (directory.hsds_tabular).
Every record is checked against the official compiled schemas (jsonschema, Draft 2020-12)
before anything is written; any problem anywhere refuses the whole import with a report of
every problem (directory.hsds_problems). Records are matched by their HSDS id (Haven's
``code``), so importing the same file twice changes nothing; a field that changes is
recorded in HSDS ``metadata`` with its source, time and previous value.

Haven's categories and populations come from taxonomy terms (attributes): Open Eligibility
names are recognised out of the box (:data:`TERM_CATEGORIES`, :data:`TERM_POPULATIONS`); a
term that maps to nothing is kept (as a taxonomy term and attribute) and reported. A location
without coordinates is placed by :func:`place_location` (the offline gazetteer's ZIP code or
city centre, then a network geocoder if one is configured); one that cannot be placed is
imported, unlisted in search, and reported. HSDS 3.0 input is read as 3.1 first
(directory.hsds_compat).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DecimalField, FloatField, IntegerField, Model
from django.utils import timezone
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

from audit.services import audit_record
from directory import hsds_compat
from directory.hsds import SCHEMA_DIR
from directory.hsds_problems import ORIGIN, ImportRefused, Problem
from directory.models import (
    Address,
    Attribute,
    Category,
    Location,
    Metadata,
    Organization,
    Phone,
    Population,
    Schedule,
    Service,
    ServiceAtLocation,
    ServicePopulation,
    Taxonomy,
    TaxonomyTerm,
)
from directory.services import apply_placement, location_index_refresh
from geo import geocoding
from geo.distance import Point
from geo.gazetteer import gazetteer, state_code

Document = dict[str, Any]

# Open Eligibility (and plain) term names → Haven's categories and populations.
TERM_CATEGORIES = {
    "emergency shelter": Category.EMERGENCY_SHELTER,
    "safe housing": Category.SAFE_HOME,
    "transitional housing": Category.TRANSITIONAL_HOUSING,
    "counseling": Category.COUNSELLING,
    "counselling": Category.COUNSELLING,
    "individual counseling": Category.COUNSELLING,
    "advocacy & legal aid": Category.LEGAL_AID,
    "legal aid": Category.LEGAL_AID,
    "legal": Category.LEGAL_AID,
    "immigration": Category.IMMIGRATION_LEGAL,
    "medical care": Category.MEDICAL,
    "health": Category.MEDICAL,
    "hotlines": Category.HOTLINE,
    "hotline": Category.HOTLINE,
    "case management": Category.CASE_MANAGEMENT,
    "help escape violence": Category.CASE_MANAGEMENT,
    "translation & interpretation": Category.INTERPRETATION,
    "interpretation": Category.INTERPRETATION,
    "transportation": Category.TRANSPORT,
    "transit": Category.TRANSPORT,
}
TERM_POPULATIONS = {
    "domestic violence survivors": Population.DOMESTIC_VIOLENCE,
    "human trafficking survivors": Population.SEX_TRAFFICKING,
    "sexual assault survivors": Population.SEXUAL_ASSAULT,
    "women": Population.WOMEN,
    "men": Population.MEN,
    "lgbtq": Population.LGBTQ_AFFIRMING,
    "transgender and gender non-conforming": Population.TRANS_INCLUSIVE,
    "children": Population.CHILDREN_ONLY,
    "youth": Population.MINORS,
    "families": Population.ADULTS_WITH_CHILDREN,
    "adults": Population.ADULTS_ONLY,
}
SERVICE_STATUS = {
    "active": Service.Status.ACTIVE,
    "inactive": Service.Status.INACTIVE,
    "defunct": Service.Status.DEFUNCT,
    "temporarily closed": Service.Status.TEMPORARILY_CLOSED,
}
DAYS = {"MO": "mon", "TU": "tue", "WE": "wed", "TH": "thu", "FR": "fri", "SA": "sat", "SU": "sun"}


@dataclass
class ImportSummary:
    """What an import did (or, with dry_run, would do)."""

    organizations: int = 0
    services: int = 0
    locations: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)
    hsds_version: str = ""  # the HSDS version the input was read as ("3.0", "3.1")


# --- Reading --------------------------------------------------------------------------------


def _allow_redacted(node: Any) -> None:
    """Haven's profile (and the HSDS proposal it follows) adds location_type "redacted"."""
    if isinstance(node, dict):
        location_type = node.get("properties", {}).get("location_type")
        if isinstance(location_type, dict) and "redacted" not in location_type.get("enum", []):
            location_type["enum"] = [*location_type.get("enum", []), "redacted"]
        for value in node.values():
            _allow_redacted(value)
    elif isinstance(node, list):
        for value in node:
            _allow_redacted(value)


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / "3.1" / "schema" / "compiled" / f"{name}.json").read_text())
    _allow_redacted(schema)
    return Draft202012Validator(schema)


def read_json(path: Path) -> list[tuple[str, Document]]:
    """The records of a JSON file, each with where it is (``file /0``). Unreadable input is
    refused with the reason."""
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused([
            Problem(name, "", f"is not UTF-8 text (byte {error.object[error.start]:#04x} at "
                    f"offset {error.start}); save it as UTF-8 and try again")
        ]) from None  # fmt: skip
    except OSError as error:
        raise ImportRefused([Problem(name, "", f"cannot be read ({error.strerror})")]) from None
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        where = f"{name} line {error.lineno} column {error.colno}"
        raise ImportRefused([Problem(where, "", f"is not valid JSON: {error.msg}")]) from None
    except RecursionError:
        raise ImportRefused([Problem(name, "", "is nested too deeply to be HSDS")]) from None
    except ValueError as error:  # a key twice, NaN, a number too long to read
        raise ImportRefused([Problem(name, "", f"is not valid JSON: {error}")]) from None
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        return [(f"{name} /contents/{i}", item) for i, item in enumerate(data["contents"])]
    if isinstance(data, list):
        return [(f"{name} /{i}", item) for i, item in enumerate(data)]
    return [(name, data)]


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A key given twice in one object is refused: which of the two was meant?"""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key[:40]!r} appears twice in one object")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


# Whole numbers the database's integer columns can hold at all (each column checks its own
# range again before it is written).
LARGEST_INTEGER = 2**63 - 1


def _unsafe_values(record: Any) -> Iterable[tuple[str, str]]:
    """(JSON pointer, what is wrong) for every value no column can hold: text with a NUL
    character or half of a surrogate pair, numbers that are not finite or too large."""
    pending: list[tuple[str, Any]] = [("", record)]
    while pending:
        pointer, value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                yield pointer, "holds a NUL character (\\u0000), which is not text"
            elif not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    yield pointer, "holds half of a UTF-16 surrogate pair, which is not text"
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int) and abs(value) > LARGEST_INTEGER:
            yield pointer, "is too large a number"
        elif isinstance(value, float) and not math.isfinite(value):
            yield pointer, "is not a finite number"
        elif isinstance(value, dict):
            for key, item in value.items():
                pending.append((f"{pointer}/{key}", item))
                if isinstance(key, str) and "\x00" in key:
                    yield pointer, "has a key with a NUL character in it"
        elif isinstance(value, list):
            pending += [(f"{pointer}/{index}", item) for index, item in enumerate(value)]


def _kind(record: Any) -> str:
    """organization or service: a service has a status and no list of services."""
    if isinstance(record, dict) and "status" in record and "services" not in record:
        return "service"
    return "organization"


def _strip_origins(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_origins(v) for k, v in value.items() if k != ORIGIN}
    if isinstance(value, list):
        return [_strip_origins(v) for v in value]
    return value


def _where(where: str, record: Any, path: Iterable[Any]) -> str:
    """The nearest origin a tabular reader left on the way down, else a JSON pointer."""
    pointer, node, origin = "", record, None
    for step in path:
        if isinstance(node, dict) and ORIGIN in node:
            origin = node[ORIGIN]
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        pointer += f"/{step}"
    if isinstance(node, dict) and ORIGIN in node:
        origin = node[ORIGIN]
    if origin:
        return str(origin)
    if not pointer:
        return where
    return f"{where}{pointer}" if " /" in where else f"{where} {pointer}"


def check(where: str, record: Any) -> list[Problem]:
    """Every problem with one record, against its official schema."""
    if not isinstance(record, dict):
        return [Problem(where, "", "is not an HSDS object")]
    problems = []
    for pointer, message in _unsafe_values(_strip_origins(record)):
        name = pointer.rsplit("/", 1)[-1]
        problems.append(Problem(f"{where} {pointer}" if pointer else where, name, message))
    if problems:
        return problems  # the schema's checks would choke on these values too
    for found in _validator(_kind(record)).iter_errors(_strip_origins(record)):
        error = best_match([found])  # the most specific reason inside anyOf / oneOf
        path = list(error.absolute_path)
        name = str(path[-1]) if path and isinstance(path[-1], str) else ""
        if error.validator == "required":
            name = error.message.split("'")[1] if "'" in error.message else name
        problems.append(Problem(_where(where, record, path), name, _plain(error.message)))
    return problems


def validate(records: Iterable[tuple[str, Document]]) -> tuple[list[Document], list[Problem]]:
    """Check every record; the organisation documents to write (services gathered under
    their organisation), and every problem found."""
    documents: list[Document] = []
    problems: list[Problem] = []
    by_org: dict[str, Document] = {}
    for where, record in records:
        found = check(where, record)
        problems += found
        if not isinstance(record, dict):
            continue
        if _kind(record) == "organization":
            documents.append(record)
            continue
        organization = record.get("organization") or {}
        if not isinstance(organization, dict) or not organization.get("id"):
            problems.append(Problem(where, "organization", "a service needs its organization"))
            continue
        holder = by_org.setdefault(str(organization["id"]), {**organization, "services": []})
        holder["services"].append(record)
    documents.extend(by_org.values())
    return documents, problems


def _plain(message: str) -> str:
    return message if len(message) <= 200 else message[:197] + "…"


# --- Placing --------------------------------------------------------------------------------

# Where the offline gazetteer (US ZIP codes and cities) has places.
GAZETTEER_COUNTRIES = frozenset({"US", "PR", "GU", "VI", "AS", "MP"})


class Placement(NamedTuple):
    """Where a location was put, and from what."""

    latitude: float
    longitude: float
    method: str  # one of the PLACED_* constants below
    detail: str = ""  # the ZIP code or "City, ST"; empty for the other methods


# How a location was placed (Placement.method).
PLACED_AS_PUBLISHED = "published"
PLACED_AT_ZIP = "zip"
PLACED_AT_CITY = "city"
PLACED_BY_GEOCODER = "geocoder"
PLACED_AS_BEFORE = "kept"  # by the import: the position the location already had


def _on_earth(latitude: Any, longitude: Any) -> bool:
    numbers = all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in (latitude, longitude)
    )
    return numbers and -90 <= latitude <= 90 and -180 <= longitude <= 180


def place_location(
    doc: Document, *, geocode: Callable[[str], Point | None] | None = None
) -> Placement | None:
    """Where an HSDS location document goes: its own coordinates if it has them (and they are
    on Earth); else, for each of its addresses (physical ones first), the offline gazetteer's
    centre of its ZIP code, then of its city and state; else, only if ``geocode`` is given (a
    network geocoder: geo.geocoding.geocode, cached and rate-limited), the address looked up
    there; else None. ``geocode`` may raise geo.geocoding.GeocoderUnavailable."""
    latitude: Any = doc.get("latitude")
    longitude: Any = doc.get("longitude")
    if _on_earth(latitude, longitude):
        return Placement(float(latitude), float(longitude), PLACED_AS_PUBLISHED)
    addresses = [a for a in doc.get("addresses") or [] if isinstance(a, dict)]
    addresses.sort(key=lambda a: a.get("address_type") != "physical")
    local = [a for a in addresses if str(a.get("country") or "").upper() in GAZETTEER_COUNTRIES]
    for address in local:
        record = gazetteer().zip_code(str(address.get("postal_code") or "").strip())
        if record is not None:
            point = record.point
            return Placement(point.latitude, point.longitude, PLACED_AT_ZIP, record.zip_code)
    for address in local:
        state = state_code(str(address.get("state_province") or ""))
        city = gazetteer().city(str(address.get("city") or ""), state) if state else None
        if city is not None:
            point = city.point
            where = f"{city.city}, {city.state}"
            return Placement(point.latitude, point.longitude, PLACED_AT_CITY, where)
    if geocode is None or doc.get("location_type") == "virtual":
        return None
    for address in addresses:
        parts = ("address_1", "address_2", "city", "state_province", "postal_code", "country")
        query = ", ".join(str(address.get(p)).strip() for p in parts if address.get(p))
        found = geocode(query) if query else None
        if found is not None and _on_earth(found.latitude, found.longitude):
            return Placement(found.latitude, found.longitude, PLACED_BY_GEOCODER)
    return None


# --- Writing --------------------------------------------------------------------------------


class _Writer:
    """Upserts by HSDS id, recording every change in metadata."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.now = timezone.now()
        self.summary = ImportSummary()
        self.location_ids: set[int] = set()
        self.unmapped: set[str] = set()
        self.geocode = geocoding.geocode if geocoding.geocoder_configured() else None

    def upsert(self, model: type[Model], code: str, values: dict[str, Any]) -> Any:
        item = model._default_manager.filter(code=code).first()
        resource = model._meta.model_name or ""
        if item is None:
            item = model(code=code, **values)
            if isinstance(item, Location):
                apply_placement(item)
            _check_numbers(item, code)
            item.save()
            self.summary.created += 1
            Metadata.objects.create(
                resource_id=code, resource_type=resource, last_action_date=self.now,
                last_action_type="create", updated_by=self.source[:255],
            )  # fmt: skip
            return item
        changed = []
        for name, value in values.items():
            previous = getattr(item, name)
            if _same(previous, value):
                continue
            changed.append(name)
            Metadata.objects.create(
                resource_id=code, resource_type=resource, last_action_date=self.now,
                last_action_type="update", field_name=name, previous_value=_text(previous),
                replacement_value=_text(value), updated_by=self.source[:255],
            )  # fmt: skip
            setattr(item, name, value)
        if changed:
            if isinstance(item, Location):
                apply_placement(item)
            _check_numbers(item, code)
            item.save()
            self.summary.updated += 1
        else:
            self.summary.unchanged += 1
        return item

    def organization(self, doc: Document) -> None:
        organization = self.upsert(Organization, doc["id"], {
            "name": doc["name"][:255], "alternate_name": (doc.get("alternate_name") or "")[:255],
            "description": doc.get("description") or "", "email": doc.get("email") or "",
            "website": doc.get("website") or "",
            "year_incorporated": doc.get("year_incorporated"),
            "legal_status": (doc.get("legal_status") or "")[:255],
        })  # fmt: skip
        self.summary.organizations += 1
        self.phones(doc.get("phones") or [], organization=organization)
        locations: dict[str, Location] = {}
        for place in doc.get("locations") or []:
            locations[place["id"]] = self.location(place, organization)
        for service_doc in doc.get("services") or []:
            service = self.service(service_doc, organization)
            for link in service_doc.get("service_at_locations") or []:
                place = link.get("location")
                location: Location | None
                if isinstance(place, dict) and place.get("id"):
                    if place["id"] not in locations:
                        locations[place["id"]] = self.location(place, organization)
                    location = locations[place["id"]]
                else:
                    location = Location.objects.filter(
                        code=link.get("location_id"), organization=organization
                    ).first()
                if location is None:
                    continue
                self.upsert(ServiceAtLocation, link["id"], {
                    "service": service, "location": location,
                    "description": link.get("description") or "",
                })  # fmt: skip
                self.location_ids.add(location.pk)

    def location(self, doc: Document, organization: Organization) -> Location:
        location_type = doc.get("location_type")
        redacted = location_type == "redacted"  # a confidential place, published without address
        known = Location.objects.filter(code=doc["id"]).exists()
        position: dict[str, float | None] = {}
        if not (redacted and known):  # a redacted copy never erases the position the owner keeps
            placement = self.place(doc)
            position["latitude"] = placement.latitude if placement else None
            position["longitude"] = placement.longitude if placement else None
        location = self.upsert(Location, doc["id"], {
            "organization": organization, "name": (doc.get("name") or organization.name)[:255],
            "alternate_name": (doc.get("alternate_name") or "")[:255],
            "description": doc.get("description") or "",
            "transportation": doc.get("transportation") or "", "url": doc.get("url") or "",
            **position,
            "location_type": location_type if location_type in Location.Type.values
            else Location.Type.PHYSICAL,
            **({"confidential": True} if redacted else {}),
        })  # fmt: skip
        self.summary.locations += 1
        self.location_ids.add(location.pk)
        for address in doc.get("addresses") or []:
            self.upsert(Address, address["id"], {
                "location": location, "attention": (address.get("attention") or "")[:255],
                "address_1": address["address_1"][:255],
                "address_2": (address.get("address_2") or "")[:255],
                "city": address["city"][:128], "region": (address.get("region") or "")[:128],
                "state_province": address["state_province"][:64],
                "postal_code": address["postal_code"][:16], "country": address["country"][:2],
                "address_type": address["address_type"]
                if address["address_type"] in Address.Type.values else Address.Type.PHYSICAL,
            })  # fmt: skip
        self.phones(doc.get("phones") or [], location=location)
        self.schedules(doc.get("schedules") or [], location=location)
        return location

    def place(self, doc: Document) -> Placement | None:
        """Where a location goes (:func:`place_location`), noting what a steward should know.
        A confidential location's address never goes to a network geocoder; after the first
        geocoder failure the rest of the import places locations offline. A location already
        in Haven that the file gives nothing to place by keeps the position it has."""
        current = (
            Location.objects.filter(code=doc["id"])
            .values_list("confidential", "latitude", "longitude")
            .first()
        )
        network = None if current and current[0] else self.geocode
        try:
            placement = place_location(doc, geocode=network)
        except geocoding.GeocoderUnavailable:
            self.geocode = None
            self.summary.notes.append(
                "the geocoder did not answer; the other locations were placed offline only"
            )
            placement = place_location(doc)
        name = f"location {doc['id']} ({doc.get('name') or 'no name'})"
        if placement is None and current and current[1] is not None and current[2] is not None:
            self.summary.notes.append(
                f"{name} could not be placed from this file: it keeps the position it has"
            )  # a steward may have placed it by hand after an earlier import
            return Placement(current[1], current[2], PLACED_AS_BEFORE)
        if placement is None:
            self.summary.notes.append(
                f"{name} could not be placed: imported, but not shown in search until it has "
                "coordinates (listed under “Not placed” in the locations admin)"
            )
        elif placement.method == PLACED_AT_CITY:
            self.summary.notes.append(
                f"{name} has no coordinates and no known ZIP code: placed at the centre of "
                f"{placement.detail}; check its position"
            )
        return placement

    def service(self, doc: Document, organization: Organization) -> Service:
        terms = self.terms(doc)
        categories = [TERM_CATEGORIES[t] for t in terms if t in TERM_CATEGORIES]
        populations = sorted({TERM_POPULATIONS[t] for t in terms if t in TERM_POPULATIONS})
        self.unmapped.update(t for t in terms if t not in TERM_CATEGORIES | TERM_POPULATIONS)
        service = self.upsert(Service, doc["id"], {
            "organization": organization, "name": doc["name"][:255],
            "alternate_name": (doc.get("alternate_name") or "")[:255],
            "description": doc.get("description") or "", "url": doc.get("url") or "",
            "email": doc.get("email") or "",
            "status": SERVICE_STATUS.get(doc.get("status", ""), Service.Status.ACTIVE),
            "interpretation_services": (doc.get("interpretation_services") or "")[:500],
            "application_process": doc.get("application_process") or "",
            "fees_description": doc.get("fees_description") or "",
            "eligibility_description": doc.get("eligibility_description") or "",
            "minimum_age": _age(doc.get("minimum_age")),
            "maximum_age": _age(doc.get("maximum_age")),
            "alert": (doc.get("alert") or "")[:500],
            "assured_date": _date(doc.get("assured_date")),
            "assurer_email": doc.get("assurer_email") or "",
            "category": categories[0] if categories else Category.OTHER,
        })  # fmt: skip
        self.summary.services += 1
        existing = set(service.populations.values_list("population", flat=True))
        for population in set(populations) - existing:
            ServicePopulation.objects.create(service=service, population=population)
        self.phones(doc.get("phones") or [], service=service)
        self.schedules(doc.get("schedules") or [], service=service)
        self.attributes(doc, "service")
        return service

    def terms(self, doc: Document) -> list[str]:
        names = []
        for attribute in doc.get("attributes") or []:
            term = attribute.get("taxonomy_term") or {}
            names.append(str(term.get("name") or attribute.get("label") or "").strip().lower())
        return [n for n in names if n]

    def attributes(self, doc: Document, entity: str) -> None:
        for attribute in doc.get("attributes") or []:
            term_doc = attribute.get("taxonomy_term")
            if not isinstance(term_doc, dict) or not term_doc.get("id"):
                continue
            taxonomy = None
            taxonomy_doc = term_doc.get("taxonomy_detail")
            if isinstance(taxonomy_doc, dict) and taxonomy_doc.get("id"):
                taxonomy = self.upsert(Taxonomy, taxonomy_doc["id"], {
                    "name": (taxonomy_doc.get("name") or "")[:255],
                    "description": taxonomy_doc.get("description") or "",
                    "uri": taxonomy_doc.get("uri") or "",
                    "version": (taxonomy_doc.get("version") or "")[:32],
                })  # fmt: skip
            term = self.upsert(TaxonomyTerm, term_doc["id"], {
                "taxonomy": taxonomy, "term_code": (term_doc.get("code") or "")[:64],
                "name": (term_doc.get("name") or "")[:255],
                "description": term_doc.get("description") or "",
                "term_uri": term_doc.get("term_uri") or "",
            })  # fmt: skip
            self.upsert(Attribute, attribute["id"], {
                "link_id": doc["id"], "link_entity": entity,
                "link_type": (attribute.get("link_type") or "")[:64], "taxonomy_term": term,
                "value": str(attribute.get("value") or "")[:255],
                "label": (attribute.get("label") or "")[:255],
            })  # fmt: skip

    def phones(self, docs: list[Document], **owner: Any) -> None:
        for doc in docs:
            extension = doc.get("extension")
            self.upsert(Phone, doc["id"], {
                **owner, "number": str(doc["number"]).strip('"')[:32],
                "extension": "" if extension is None else str(extension)[:16],
                "type": doc.get("type") if doc.get("type") in Phone.Type.values
                else Phone.Type.VOICE,
                "description": (doc.get("description") or "")[:255],
            })  # fmt: skip

    def schedules(self, docs: list[Document], **owner: Any) -> None:
        """Weekly opening hours (freq WEEKLY, byday, opens_at/closes_at); other rules are
        kept out and reported."""
        for doc in docs:
            days = [d.strip().upper() for d in str(doc.get("byday") or "").split(",") if d]
            if (doc.get("freq") or "WEEKLY").upper() != "WEEKLY" or not set(days) <= set(DAYS):
                self.summary.notes.append(
                    f"schedule {doc['id']}: only weekly hours are imported; this rule was left out"
                )
                continue
            self.upsert(Schedule, doc["id"], {
                **owner, **{DAYS[d]: d in days for d in DAYS},
                "opens_at": _time(doc.get("opens_at")), "closes_at": _time(doc.get("closes_at")),
                "valid_from": _date(doc.get("valid_from")), "valid_to": _date(doc.get("valid_to")),
                "description": (doc.get("description") or "")[:255],
            })  # fmt: skip


def _check_numbers(item: Model, code: str) -> None:
    """A number its column cannot hold (a negative or five-digit year), or numbers that break
    a rule of the table (a minimum age above the maximum), refuse the import: the schema sets
    no ranges, and the database would otherwise fail mid-write."""
    numeric = (IntegerField, FloatField, DecimalField)
    exclude = [f.name for f in item._meta.fields if not isinstance(f, numeric)]
    try:
        item.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as error:
        resource = item._meta.model_name or ""
        raise ImportRefused([
            Problem(f"{resource} {code}", field, message)
            for field, messages in error.message_dict.items() for message in messages
        ]) from None  # fmt: skip


def _same(previous: Any, value: Any) -> bool:
    if isinstance(previous, Model) or isinstance(value, Model):
        return getattr(previous, "pk", None) == getattr(value, "pk", None)
    if isinstance(previous, uuid.UUID) or isinstance(value, uuid.UUID):
        return str(previous) == str(value)
    return bool(previous == value)


def _text(value: Any) -> str:
    if isinstance(value, Model):
        return str(getattr(value, "code", value.pk))
    return "" if value is None else str(value)


def _age(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and 0 <= value < 200 else None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _time(value: Any) -> time | None:
    try:
        return time.fromisoformat(str(value)[:8]) if value else None
    except ValueError:
        return None


def import_records(
    records: Iterable[tuple[str, Document]],
    *,
    source: str,
    dry_run: bool = False,
    actor: str = "command",
) -> ImportSummary:
    """Validate every record, then write them all in one transaction — or nothing."""
    documents, problems = validate(records)
    if problems:
        raise ImportRefused(problems)
    return write(documents, source=source, dry_run=dry_run, actor=actor)


def write(
    documents: Iterable[Document], *, source: str, dry_run: bool = False, actor: str = "command"
) -> ImportSummary:
    """Write checked organisation documents in one transaction (rolled back on a dry run)."""
    with transaction.atomic():
        writer = _Writer(source)
        for document in documents:
            writer.organization(_strip_origins(document))
        location_index_refresh(location_ids=sorted(writer.location_ids))
        if writer.unmapped:
            writer.summary.notes.append(
                "taxonomy terms kept but not mapped to a Haven category or population: "
                + ", ".join(sorted(writer.unmapped))
            )
        if dry_run:
            transaction.set_rollback(True)
        else:
            summary = writer.summary
            audit_record(
                action="directory.hsds_imported", actor=actor, target=source[:100],
                data={"created": summary.created, "updated": summary.updated,
                      "unchanged": summary.unchanged, "organizations": summary.organizations},
            )  # fmt: skip
    return writer.summary


def import_path(
    path: Path,
    *,
    dry_run: bool = False,
    allow_dangling: bool = False,
    actor: str = "command",
    hsds_version: str = hsds_compat.AUTO,
) -> ImportSummary:
    """Import a JSON file, or a tabular package (a directory or a .zip with
    datapackage.json). ``allow_dangling`` imports a package whose foreign keys point at rows
    it does not contain (the links are left out and noted) instead of refusing it.
    ``hsds_version`` ("3.0", "3.1" or "auto") says which HSDS the input is; 3.0 is upgraded
    to 3.1 before it is checked (directory.hsds_compat), and the summary says which was used.

    A package is read twice, one organisation at a time — first to check every record, then
    to write — so a large package never has to fit in memory."""
    source = f"import:{path.name}"
    if path.is_dir() or path.suffix.lower() == ".zip":
        from directory.hsds_tabular import read_package

        with read_package(path, allow_dangling=allow_dangling) as package:
            columns = package.columns
            detected = hsds_compat.detect(
                hsds_version,
                fields=[f"attribute.{c}" for c in columns.get("attribute", ()) if c == "label"],
                tables=[t for t in hsds_compat.TABLES_ADDED_IN_3_1 if t in columns],
                declared=hsds_compat.declared_version(package.root) if package.root else None,
            )
            upgrade = hsds_compat.Upgrade(detected.version)
            problems = [
                problem
                for document in upgrade.documents(package.organizations())
                for problem in check(str(document.get(ORIGIN, path.name)), document)
            ]
            if problems:
                raise ImportRefused(problems)
            again = hsds_compat.Upgrade(detected.version)  # its notes are the first pass's
            summary = write(
                again.documents(package.organizations()),
                source=source, dry_run=dry_run, actor=actor,
            )  # fmt: skip
            summary.notes[:0] = [detected.note(), *package.notes, *upgrade.notes()]
            summary.hsds_version = detected.version
            return summary
    records = read_json(path)
    detected = hsds_compat.detect(
        hsds_version, fields=hsds_compat.added_in_3_1(record for _where, record in records)
    )
    upgrade = hsds_compat.Upgrade(detected.version)
    summary = import_records(upgrade.records(records), source=source, dry_run=dry_run, actor=actor)
    summary.notes[:0] = [detected.note(), *upgrade.notes()]
    summary.hsds_version = detected.version
    return summary
