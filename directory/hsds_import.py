"""Import an Open Referral HSDS 3.1 directory: validate everything, then write all or nothing.

Input is JSON — an ``organization_full`` or ``service_full`` object, a list of them, or an
HSDS API page (``{"contents": [...]}``) — or a tabular data package (directory.hsds_tabular).
Every record is checked against the official compiled schemas (Draft 2020-12: jsonschema-rs
says whether a record is valid, jsonschema says why not) before anything is written; any
problem anywhere refuses the whole import with a report of every problem
(directory.hsds_problems). Records are matched by their HSDS id (Haven's ``code``), so
importing the same file twice changes nothing; a field that changes is recorded in HSDS
``metadata`` with its source, time and previous value.

Writing goes a batch of organisations at a time (about BATCH_RECORDS records), all in one
transaction: a batch looks up the rows it names with one query per table, inserts new rows as
plain tuples (directory.bulk: COPY on PostgreSQL), updates only changed rows, inserts its
provenance rows, and refreshes the search index of the locations it touched. 100,000
locations (about 800,000 records) take about two minutes: docs/BENCHMARKS.md.

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
import marshal
import math
import re
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, time
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Protocol

import jsonschema_rs
from django.core.exceptions import NON_FIELD_ERRORS, FieldError, ValidationError
from django.db import connection, transaction
from django.db.models import CheckConstraint, DecimalField, F, FloatField, IntegerField, Model, Q
from django.utils import timezone
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

from audit.services import audit_record
from directory import hsds_compat
from directory.bulk import insert_rows, insert_values
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
# A batch writes about this many records: the rows it names are looked up with one query per
# table, and a few thousand rows at a time keep memory flat and queries short.
BATCH_RECORDS = 5000
LOOKUP_CHUNK = 500  # ids per look-up query (SQLite allows 999 parameters in older builds)
WRITE_CHUNK = 500
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


def _schema(name: str) -> dict[str, Any]:
    schema = json.loads((SCHEMA_DIR / "3.1" / "schema" / "compiled" / f"{name}.json").read_text())
    _allow_redacted(schema)
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(_schema(name))


@cache
def _fast_validator(name: str) -> jsonschema_rs.Draft202012Validator:
    # Formats are annotations in Draft 2020-12, as for jsonschema above.
    return jsonschema_rs.Draft202012Validator(_schema(name), validate_formats=False)


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


def _all_safe(record: Any) -> bool:
    """Whether every value is one a column can hold (the quick walk; _unsafe_values says
    where and why when not)."""
    pending = [record]
    while pending:
        value = pending.pop()
        kind = type(value)
        if kind is str:
            if "\x00" in value:
                return False
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif kind is dict:
            for key in value:
                if isinstance(key, str) and "\x00" in key:
                    return False
            pending.extend(value.values())
        elif kind is list:
            pending.extend(value)
        elif kind is int:
            if abs(value) > LARGEST_INTEGER:
                return False
        elif kind is float:
            if not math.isfinite(value):
                return False
        elif kind is not bool and value is not None:
            return False  # not JSON: let the full walk (and the schema) judge it
    return True


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
    return _check(where, record)[0]


def _check(where: str, record: Any) -> tuple[list[Problem], Document]:
    """Every problem with one record, and the record without origins.

    jsonschema-rs answers whether a record is valid, fast; only an invalid one is walked
    again with jsonschema for the report (its most specific reason inside anyOf / oneOf)."""
    if not isinstance(record, dict):
        return [Problem(where, "", "is not an HSDS object")], {}
    clean = _strip_origins(record)
    problems = []
    for pointer, message in () if _all_safe(clean) else _unsafe_values(clean):
        name = pointer.rsplit("/", 1)[-1]
        problems.append(Problem(f"{where} {pointer}" if pointer else where, name, message))
    if problems:
        return problems, clean  # the schema's checks would choke on these values too
    kind = _kind(record)
    if _fast_validator(kind).is_valid(clean):
        return [], clean
    for found in _validator(kind).iter_errors(clean):
        error = best_match([found])  # the most specific reason inside anyOf / oneOf
        path = list(error.absolute_path)
        name = str(path[-1]) if path and isinstance(path[-1], str) else ""
        if error.validator == "required":
            name = error.message.split("'")[1] if "'" in error.message else name
        problems.append(Problem(_where(where, record, path), name, _plain(error.message)))
    return problems, clean


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
    """Upserts by HSDS id, recording every change in metadata, a batch of organisations at a
    time: each batch looks up the rows it names with one query per table, then inserts the
    new rows and updates the changed ones in bulk. Within a batch, a record met twice sees
    what its first appearance did, exactly as if every record had been written at once."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.now = timezone.now()
        self.summary = ImportSummary()
        self.unmapped: set[str] = set()
        self.geocode = geocoding.geocode if geocoding.geocoder_configured() else None
        self._reset()

    def _reset(self) -> None:
        # The rows this batch names, by HSDS id: read from the database, or new in this batch.
        self.items: dict[type[Model], dict[str, Any]] = defaultdict(dict)
        self.new: dict[type[Model], list[Any]] = defaultdict(list)
        self.dirty: dict[type[Model], dict[int, tuple[Any, set[str]]]] = defaultdict(dict)
        self.populations: dict[str, set[str]] = defaultdict(set)
        self.new_populations: list[ServicePopulation] = []
        self.changes: list[tuple[str, str, str, str, str, str]] = []
        self.touched: list[Location] = []

    # --- one batch ---------------------------------------------------------------------------

    def batch(self, documents: list[Document], codes: dict[type[Model], set[str]]) -> None:
        """Write a batch of organisation documents (without origins), given the HSDS ids of
        the rows they write (_collect_organization)."""
        self._prefetch(codes)
        for document in documents:
            self.organization(document)
        self._flush()

    def _prefetch(self, codes: dict[type[Model], set[str]]) -> None:
        for model, wanted in codes.items():
            found = self.items[model]
            ordered = sorted(wanted)
            for start in range(0, len(ordered), LOOKUP_CHUNK):
                chunk = ordered[start : start + LOOKUP_CHUNK]
                for item in model._default_manager.filter(code__in=chunk).order_by():
                    found[str(item.code)] = item  # type: ignore[attr-defined]
        services = sorted(self.items[Service])
        for start in range(0, len(services), LOOKUP_CHUNK):
            chunk = services[start : start + LOOKUP_CHUNK]
            for code, population in (
                ServicePopulation.objects.filter(service__code__in=chunk)
                .order_by()
                .values_list("service__code", "population")
            ):
                self.populations[str(code)].add(population)

    def _flush(self) -> None:
        for model in WRITE_ORDER:
            if self.new[model]:
                _create(model, self.new[model])
            if self.dirty[model]:
                items, fields = [], set()
                for item, changed in self.dirty[model].values():
                    items.append(item)
                    fields |= changed
                fields |= _derived_fields(model)
                for name in _touched_fields(model):
                    setattr_all(items, name, self.now)
                model._default_manager.bulk_update(items, sorted(fields), batch_size=WRITE_CHUNK)
            if model is Service and self.new_populations:
                insert_rows(ServicePopulation, (
                    {"service_id": row.service.pk, "population": row.population}
                    for row in self.new_populations
                ), primary_key=False)  # fmt: skip
        _insert_metadata(self.changes, when=self.now, by=self.source[:255])
        location_index_refresh(location_ids={location.pk for location in self.touched})
        self._reset()

    # --- records -----------------------------------------------------------------------------

    def upsert(self, model: type[Model], code: str, values: dict[str, Any]) -> Any:
        key = _own_key(model, code)
        item = self.items[model].get(key)
        resource = model._meta.model_name or ""
        if item is None:
            item = model(code=code, **values)
            if isinstance(item, Location):
                apply_placement(item)
            _check_numbers(item, code)
            self.items[model][key] = item
            self.new[model].append(item)
            self.summary.created += 1
            self.changes.append((key, resource, "create", "", "", ""))
            return item
        changed = []
        for name, value in values.items():
            if _same(item, name, value):
                continue
            changed.append(name)
            self.changes.append(
                (key, resource, "update", name, _text(getattr(item, name)), _text(value))
            )
            setattr(item, name, value)
        if changed:
            if isinstance(item, Location):
                apply_placement(item)
            _check_numbers(item, code)
            if item.pk is not None:  # else it is new in this batch and not written yet
                self.dirty[model].setdefault(item.pk, (item, set()))[1].update(changed)
            self.summary.updated += 1
        else:
            self.summary.unchanged += 1
        return item

    def known(self, model: type[Model], code: Any) -> Any:
        """The row with this HSDS id, stored or written earlier in this import, if any."""
        key = _key(code)
        return None if key is None else self.items[model].get(key)

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
                    location = self.known(Location, link.get("location_id"))
                    if location is not None and not _same(location, "organization", organization):
                        location = None
                if location is None:
                    continue
                self.upsert(ServiceAtLocation, link["id"], {
                    "service": service, "location": location,
                    "description": link.get("description") or "",
                })  # fmt: skip
                self.touched.append(location)

    def location(self, doc: Document, organization: Organization) -> Location:
        location_type = doc.get("location_type")
        redacted = location_type == "redacted"  # a confidential place, published without address
        known = self.known(Location, doc["id"])
        position: dict[str, float | None] = {}
        if not (redacted and known is not None):  # a redacted copy never erases the owner's
            placement = self.place(doc, known)
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
        self.touched.append(location)
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

    def place(self, doc: Document, known: Location | None) -> Placement | None:
        """Where a location goes (:func:`place_location`), noting what a steward should know.
        A confidential location's address never goes to a network geocoder; after the first
        geocoder failure the rest of the import places locations offline. A location already
        in Haven that the file gives nothing to place by keeps the position it has."""
        current = (known.confidential, known.latitude, known.longitude) if known else None
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
        existing = self.populations[_own_key(Service, doc["id"])]
        for population in sorted(set(populations) - existing):
            existing.add(population)
            self.new_populations.append(ServicePopulation(service=service, population=population))
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


CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _key(code: Any) -> str | None:
    """An HSDS id as the database compares it (case and hyphens do not matter), in its
    canonical text form: most ids are written that way already, and text is cheap to hash
    and sort."""
    if isinstance(code, str) and CANONICAL_UUID.fullmatch(code):
        return code
    try:
        return str(code if isinstance(code, uuid.UUID) else uuid.UUID(str(code)))
    except ValueError:
        return None


def _own_key(model: type[Model], code: Any) -> str:
    key = _key(code)
    if key is None:
        raise ImportRefused([
            Problem(f"{model._meta.model_name} {code}", "id", "is not a UUID, which Haven needs")
        ])  # fmt: skip
    return key


def _collect(codes: dict[type[Model], set[str]], model: type[Model], doc: Any) -> None:
    if isinstance(doc, dict) and (key := _key(doc.get("id"))) is not None:
        codes[model].add(key)


def _collect_owned(codes: dict[type[Model], set[str]], doc: Document) -> None:
    for phone in doc.get("phones") or []:
        _collect(codes, Phone, phone)
    for schedule in doc.get("schedules") or []:
        _collect(codes, Schedule, schedule)


def _collect_location(codes: dict[type[Model], set[str]], doc: Document) -> None:
    _collect(codes, Location, doc)
    for address in doc.get("addresses") or []:
        _collect(codes, Address, address)
    _collect_owned(codes, doc)


def _collect_organization(doc: Document, codes: dict[type[Model], set[str]]) -> int:
    """Add the HSDS id of every row an organisation document writes, by table (the rows
    _Writer.organization upserts, and the locations its services name by id); how many."""
    before = sum(len(found) for found in codes.values())
    _collect(codes, Organization, doc)
    _collect_owned(codes, doc)
    for place in doc.get("locations") or []:
        _collect_location(codes, place)
    for service in doc.get("services") or []:
        _collect(codes, Service, service)
        _collect_owned(codes, service)
        for attribute in service.get("attributes") or []:
            _collect(codes, Attribute, attribute)
            term = attribute.get("taxonomy_term")
            if isinstance(term, dict):
                _collect(codes, TaxonomyTerm, term)
                _collect(codes, Taxonomy, term.get("taxonomy_detail"))
        for link in service.get("service_at_locations") or []:
            _collect(codes, ServiceAtLocation, link)
            place = link.get("location")
            if isinstance(place, dict) and place.get("id"):
                _collect_location(codes, place)
            elif (key := _key(link.get("location_id"))) is not None:
                codes[Location].add(key)
    return sum(len(found) for found in codes.values()) - before


# Parents before the rows that point at them.
WRITE_ORDER: tuple[type[Model], ...] = (
    Organization, Taxonomy, Location, Service, TaxonomyTerm,
    Address, Phone, Schedule, ServiceAtLocation, Attribute,
)  # fmt: skip
# Fields apply_placement derives from a location's position.
PLACEMENT_FIELDS = frozenset({"search_latitude", "search_longitude", "ux", "uy", "uz", "time_zone"})


@cache
def _copied_fields(model: type[Model]) -> tuple[tuple[str, Any], ...]:
    """(attname, relation or None) of what a new row takes from its object: all but the key
    and the timestamps the database default (now) fills."""
    return tuple(
        (f.attname, f if f.is_relation else None)
        for f in model._meta.concrete_fields
        if not f.primary_key
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    )


def _create(model: type[Model], items: list[Any]) -> None:
    """Insert new rows, then read back the keys the database gave them (by HSDS id), so the
    rows that point at them can be written next."""
    copied = _copied_fields(model)
    rows = []
    for item in items:
        row = {}
        for attname, relation in copied:
            value = getattr(item, attname)
            if value is None and relation is not None and relation.is_cached(item):
                parent = relation.get_cached_value(item)
                value = parent.pk if parent is not None else None
                setattr(item, attname, value)
            row[attname] = value
        rows.append(row)
    insert_rows(model, rows, primary_key=False)
    native = connection.features.has_native_uuid_field
    by_code = {}
    for item in items:
        key = _own_key(model, item.code)
        by_code[key if native else key.replace("-", "")] = item
    codes = list(by_code)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(codes), LOOKUP_CHUNK):
            chunk = codes[start : start + LOOKUP_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            # The table name comes from the model; the codes are parameters.
            cursor.execute(f"SELECT code, id FROM {table} WHERE code IN ({marks})", chunk)  # noqa: S608
            for code, pk in cursor.fetchall():
                item = by_code[str(code) if native else code]
                item.pk = pk
                item._state.adding = False
                item._state.db = connection.alias


def _derived_fields(model: type[Model]) -> set[str]:
    return set(PLACEMENT_FIELDS) if model is Location else set()


@cache
def _touched_fields(model: type[Model]) -> tuple[str, ...]:
    """Fields save() would set to now (auto_now), which bulk_update does not."""
    return tuple(f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False))


def setattr_all(items: Iterable[Any], name: str, value: Any) -> None:
    for item in items:
        setattr(item, name, value)


METADATA_COLUMNS = (
    "resource_id", "resource_type", "last_action_type", "field_name", "previous_value",
    "replacement_value", "last_action_date", "updated_by",
)  # fmt: skip


def _insert_metadata(
    changes: list[tuple[str, str, str, str, str, str]], *, when: Any, by: str
) -> None:
    """Insert provenance rows as plain tuples: the ORM's per-object work would cost more
    than the inserts themselves (COPY on PostgreSQL)."""
    if not changes:
        return
    when = Metadata._meta.get_field("last_action_date").get_db_prep_save(when, connection)
    native = connection.features.has_native_uuid_field
    rows = [
        (key if native else key.replace("-", ""), *change, when, by) for key, *change in changes
    ]
    insert_values(Metadata, METADATA_COLUMNS, rows)


NUMERIC_FIELDS = (IntegerField, FloatField, DecimalField)


@cache
def _number_rules(model: type[Model]) -> frozenset[str]:
    """The fields _check_numbers leaves out: all but the numeric ones."""
    return frozenset(f.name for f in model._meta.fields if not isinstance(f, NUMERIC_FIELDS))


@cache
def _nothing_to_check(model: type[Model]) -> bool:
    """No numeric field but the key and no clean() of its own: every check full_clean would
    run names a field left out, so none runs."""
    numeric = [f for f in model._meta.fields if isinstance(f, NUMERIC_FIELDS) and not f.primary_key]
    return not numeric and model.clean is Model.clean


def _check_numbers(item: Model, code: str) -> None:
    """A number its column cannot hold (a negative or five-digit year), or numbers that break
    a rule of the table (a minimum age above the maximum), refuse the import: the schema sets
    no ranges, and the database would otherwise fail mid-write.

    The same checks as ``full_clean`` of the numeric fields, except that a check constraint
    is worked out here rather than by a query per row (see _holds)."""
    if _nothing_to_check(type(item)):
        return
    exclude = set(_number_rules(type(item)))
    errors: dict[str, Any] = {}
    for step in (lambda: item.clean_fields(exclude=exclude), item.clean):
        try:
            step()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    exclude |= {name for name in errors if name != NON_FIELD_ERRORS}
    available = {f.name for f in item._meta.concrete_fields if f.name not in exclude} | {"pk"}
    for constraint in item._meta.constraints:
        if isinstance(constraint, CheckConstraint):
            try:
                holds = _holds(constraint.condition, item, available)
            except FieldError:
                continue  # it names a field left out: full_clean skips it too
            except _Unsure:
                pass
            else:
                if holds is False:
                    errors = ValidationError(
                        constraint.get_violation_error_message(),
                        code=constraint.violation_error_code,
                    ).update_error_dict(errors)
                continue
        try:
            constraint.validate(type(item), item, exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        resource = item._meta.model_name or ""
        raise ImportRefused([
            Problem(f"{resource} {code}", field, message)
            for field, messages in ValidationError(errors).message_dict.items()
            for message in messages
        ]) from None  # fmt: skip


class _Unsure(Exception):
    """A condition _holds cannot work out; the database is asked instead."""


COMPARISONS = {
    "exact": lambda a, b: a == b, "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b,
}  # fmt: skip


def _holds(node: Any, item: Model, available: set[str]) -> bool | None:
    """A check constraint's condition on an unsaved row, as SQL would judge it: True, False,
    or None (unknown: a comparison with NULL, which a CHECK lets pass). Raises FieldError for
    a field that is not ``available`` and _Unsure for anything but plain comparisons."""
    if isinstance(node, Q):
        results = [_holds(child, item, available) for child in node.children]
        decisive = node.connector == Q.OR
        if decisive in results:
            result: bool | None = decisive
        elif None in results:
            result = None
        else:
            result = not decisive
        return (None if result is None else not result) if node.negated else result
    if not isinstance(node, tuple):
        raise _Unsure
    lookup, right = node
    name, _, operator = str(lookup).partition("__")
    if name not in available:
        raise FieldError(name)
    left = getattr(item, name)
    if operator == "isnull":
        return (left is None) == bool(right)
    if isinstance(right, F):
        other = str(right.name)  # type: ignore[attr-defined]
        if other not in available:
            raise FieldError(other)
        right = getattr(item, other)
    elif hasattr(right, "resolve_expression"):
        raise _Unsure
    compare = COMPARISONS.get(operator or "exact")
    if compare is None:
        raise _Unsure
    if left is None or right is None:
        return None
    return bool(compare(left, right))


@cache
def _relations(model: type[Model]) -> dict[str, Any]:
    return {f.name: f for f in model._meta.concrete_fields if f.is_relation}


def _same(item: Model, name: str, value: Any) -> bool:
    """Whether ``item.name`` already holds ``value`` (a related row compared by key without
    reading it; an unsaved one by identity)."""
    relation = _relations(type(item)).get(name)
    if relation is not None:
        if value is None:
            return getattr(item, relation.attname) is None
        if value.pk is not None:
            return bool(getattr(item, relation.attname) == value.pk)
        return bool(relation.is_cached(item) and relation.get_cached_value(item) is value)
    previous = getattr(item, name)
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


def _spool(spool: BinaryIO, document: Document) -> None:
    blob = marshal.dumps(document)
    spool.write(len(blob).to_bytes(8, "little"))
    spool.write(blob)


def _unspool(spool: BinaryIO, count: int) -> Iterator[Document]:
    """The documents _spool wrote (marshal.load on a file reads it in tiny pieces)."""
    for _ in range(count):
        size = int.from_bytes(spool.read(8), "little")
        yield marshal.loads(spool.read(size))  # noqa: S302 (our own file, written just before)


class Progress(Protocol):
    """What a long import reports as it goes (the command shows it as a progress bar)."""

    def stage(self, name: str, total: int | None) -> None:
        """A new stage begins: "reading" (rows), "checking" or "writing" (records)."""

    def advance(self, count: int) -> None:
        """``count`` more rows or records of the current stage are done."""


def import_records(
    records: Iterable[tuple[str, Document]],
    *,
    source: str,
    dry_run: bool = False,
    actor: str = "command",
    progress: Progress | None = None,
) -> ImportSummary:
    """Validate every record, then write them all in one transaction — or nothing."""
    documents, problems = validate(records)
    if problems:
        raise ImportRefused(problems)
    return write(documents, source=source, dry_run=dry_run, actor=actor, progress=progress)


def write(
    documents: Iterable[Document],
    *,
    source: str,
    dry_run: bool = False,
    actor: str = "command",
    progress: Progress | None = None,
    total: int | None = None,
) -> ImportSummary:
    """Write checked organisation documents in one transaction (rolled back on a dry run),
    a batch of about BATCH_RECORDS records at a time."""
    if progress is not None:
        if total is None and isinstance(documents, list):
            total = len(documents)
        progress.stage("writing", total)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Tables grow by hundreds of thousands of rows inside this one transaction, which
            # the planner's statistics never see: it would scan whole tables for what every
            # query here is, a look-up of a few hundred rows by an indexed key.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
        writer = _Writer(source)
        batch: list[Document] = []
        codes: dict[type[Model], set[str]] = defaultdict(set)
        size = 0
        for document in documents:
            if ORIGIN in document:
                document = _strip_origins(document)
            batch.append(document)
            size += _collect_organization(document, codes)
            if size >= BATCH_RECORDS:
                writer.batch(batch, codes)
                if progress is not None:
                    progress.advance(len(batch))
                batch, codes, size = [], defaultdict(set), 0
        if batch:
            writer.batch(batch, codes)
            if progress is not None:
                progress.advance(len(batch))
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
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a JSON file, or a tabular package (a directory or a .zip with
    datapackage.json). ``allow_dangling`` imports a package whose foreign keys point at rows
    it does not contain (the links are left out and noted) instead of refusing it.
    ``hsds_version`` ("3.0", "3.1" or "auto") says which HSDS the input is; 3.0 is upgraded
    to 3.1 before it is checked (directory.hsds_compat), and the summary says which was used.

    A package is read one organisation at a time and every record checked before anything
    is written; the checked documents wait in a temporary file (not in memory), so a large
    package never has to fit in memory, and is not read from its CSV files twice."""
    source = f"import:{path.name}"
    if path.is_dir() or path.suffix.lower() == ".zip":
        from directory.hsds_tabular import read_package

        if progress is not None:
            progress.stage("reading", None)
        with (
            read_package(
                path,
                allow_dangling=allow_dangling,
                progress=progress.advance if progress is not None else None,
            ) as package,
            tempfile.TemporaryFile(prefix="hsds-checked-") as spool,
        ):
            columns = package.columns
            detected = hsds_compat.detect(
                hsds_version,
                fields=[f"attribute.{c}" for c in columns.get("attribute", ()) if c == "label"],
                tables=[t for t in hsds_compat.TABLES_ADDED_IN_3_1 if t in columns],
                declared=hsds_compat.declared_version(package.root) if package.root else None,
            )
            upgrade = hsds_compat.Upgrade(detected.version)
            total = package.counts.get("organization", 0)
            if progress is not None:
                progress.stage("checking", total)
            problems: list[Problem] = []
            for document in upgrade.documents(package.organizations()):
                found, clean = _check(str(document.get(ORIGIN, path.name)), document)
                problems += found
                if not problems:
                    _spool(spool, clean)
                if progress is not None:
                    progress.advance(1)
            if problems:
                raise ImportRefused(problems)
            spool.seek(0)
            checked = _unspool(spool, total)
            summary = write(
                checked, source=source, dry_run=dry_run, actor=actor, progress=progress,
                total=total,
            )  # fmt: skip
            summary.notes[:0] = [detected.note(), *package.notes, *upgrade.notes()]
            summary.hsds_version = detected.version
            return summary
    records = read_json(path)
    detected = hsds_compat.detect(
        hsds_version, fields=hsds_compat.added_in_3_1(record for _where, record in records)
    )
    upgrade = hsds_compat.Upgrade(detected.version)
    if progress is not None:
        progress.stage("checking", len(records))
    summary = import_records(
        upgrade.records(records), source=source, dry_run=dry_run, actor=actor, progress=progress
    )
    summary.notes[:0] = [detected.note(), *upgrade.notes()]
    summary.hsds_version = detected.version
    return summary
