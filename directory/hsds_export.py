"""``manage.py export_hsds``: the listed directory as HSDS 3.1 JSON or as a CSV data package.

Both forms come from the same documents as the read API (directory.hsds), so what the public
may see is decided in one place. JSON is a list of fully nested organisations
(``schema/compiled/organization_package.json``). CSV is a tabular data package: one file per
resource of the official ``datapackage.json`` with its headers, plus ``datapackage.json``;
Haven's profile fields go to extra ``haven_*.csv`` tables keyed by the HSDS id.

Public data unless ``members``: then bed counts are included as ``service_capacity``, for
members of the network. Confidential locations are redacted in every export — their address
and position are for their own organisation only, never for a file that leaves Haven. Every
export writes an audit event.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from directory.hsds import (
    EXTENSION,
    PROFILE,
    SCHEMA_DIR,
    Document,
    organizations_full,
    organizations_listed,
    taxonomies_find,
    taxonomy,
    taxonomy_term,
    taxonomy_terms_find,
    with_organization_documents,
)
from directory.models import Organization

CHUNK = 100
DATAPACKAGE = SCHEMA_DIR / "3.1" / "datapackage.json"
OBJECT_SCHEMAS = SCHEMA_DIR / "3.1" / "schema"

# Where each nested document lives in its parent, by HSDS object name.
CHILDREN: dict[str, dict[str, str]] = {
    "organization": {"phones": "phone", "locations": "location", "services": "service"},
    "service": {
        "phones": "phone",
        "schedules": "schedule",
        "service_at_locations": "service_at_location",
        "languages": "language",
        "capacities": "service_capacity",
    },
    "service_at_location": {"location": "location", "phones": "phone", "schedules": "schedule"},
    "location": {
        "languages": "language",
        "addresses": "address",
        "phones": "phone",
        "accessibility": "accessibility",
        "schedules": "schedule",
    },
    "service_capacity": {"unit": "unit"},
    "attribute": {"taxonomy_term": "taxonomy_term"},
    "taxonomy_term": {"taxonomy_detail": "taxonomy"},
}
_SCALARS = ("string", "number", "integer", "boolean")
_TABULAR_TYPES = {
    "string": "string",
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
}


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


@dataclass(frozen=True)
class ExportSummary:
    organizations: int
    rows: dict[str, int]


def _organization_documents(*, members: bool, at: datetime) -> Iterator[Document]:
    """Every listed organisation, fully nested, a chunk at a time."""
    ids = list(organizations_listed().order_by("name", "pk").values_list("pk", flat=True))
    viewers: frozenset[int] = frozenset()  # nobody's confidential address leaves in a file
    for start in range(0, len(ids), CHUNK):
        chunk = with_organization_documents(
            Organization.objects.filter(pk__in=ids[start : start + CHUNK]).order_by("name", "pk"),
            full=True,
            full_service=True,
            with_capacity=members,
            at=at,
        )
        yield from organizations_full(
            chunk, viewer_organization_ids=viewers, with_capacity=members, at=at
        )


def _record(*, kind: str, members: bool) -> None:
    with transaction.atomic():
        audit_record(
            action="directory.hsds_exported",
            actor="system",
            data={"format": kind, "members": members},
        )


def export_json(stream: Writable, *, members: bool, at: datetime | None = None) -> ExportSummary:
    """Write the listed organisations as one JSON array (an HSDS organisation package)."""
    _record(kind="json", members=members)
    count = 0
    stream.write("[")
    for document in _organization_documents(members=members, at=at or timezone.now()):
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(document, ensure_ascii=False))
        count += 1
    stream.write("\n]\n")
    return ExportSummary(organizations=count, rows={"organization": count})


# --- CSV ------------------------------------------------------------------------------------


def _scalar_fields(name: str) -> list[dict[str, Any]]:
    """A table's fields from its per-object schema, described as the data package does."""
    schema = json.loads((OBJECT_SCHEMAS / f"{name}.json").read_text())
    required = set(schema.get("required", [])) | set(schema.get("tabular_required", []))
    fields = []
    for field_name, spec in schema["properties"].items():
        if spec.get("type") not in _SCALARS:
            continue
        described: dict[str, Any] = {"name": field_name, "type": spec["type"]}
        if spec.get("format") == "date-time":
            described["type"] = "datetime"
        elif spec.get("format"):
            described["format"] = spec["format"]
        described |= {key: spec[key] for key in ("title", "description") if key in spec}
        described["constraints"] = {"required": field_name in required}
        fields.append(described)
    return fields


def _profile_resources() -> list[dict[str, Any]]:
    """Extra tables for Haven's profile: one per extended object, keyed by its HSDS id."""
    resources = []
    for name, definition in PROFILE["$defs"].items():
        key = "location_id" if name == "schedule_exception" else f"{name}_id"
        fields: list[dict[str, Any]] = [{"name": key, "type": "string", "format": "uuid"}]
        for field_name, spec in definition["properties"].items():
            kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
            if "array" in kinds and spec["items"].get("type") == "object":
                continue  # a table of its own (schedule exceptions)
            kind = next(k for k in kinds if k != "null")
            described = {"name": field_name, "type": _TABULAR_TYPES.get(kind, "string")}
            if kind == "array":
                described["description"] = "Comma-separated codes."
            elif spec.get("format") in ("uuid", "email"):
                described["format"] = spec["format"]
            elif spec.get("format") == "date":
                described["type"] = "date"
            fields.append(described)
        resources.append(
            {
                "name": f"haven_{name}",
                "path": f"haven_{name}.csv",
                "description": f"{PROFILE['title']}: {name} fields (see /api/hsds/profile).",
                "format": "csv",
                "mediatype": "text/csv",
                "profile": "tabular-data-resource",
                "schema": {"fields": fields},
            }
        )
    return resources


def datapackage() -> dict[str, Any]:
    """The official data package, its short resources completed, plus the profile's tables."""
    package = json.loads(DATAPACKAGE.read_text())
    for resource in package["resources"]:
        fields = _scalar_fields(resource["name"])
        if len(resource["schema"]["fields"]) < len(fields):
            resource["schema"]["fields"] = fields
    package["resources"] += _profile_resources()
    return package


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


class _Tables:
    """Walks nested documents into table rows, written to the CSV files as they come.

    An entity reached twice (a location under its organisation and again under a service)
    is written once, the first time: only the ids written so far are kept, not the rows, so
    memory does not grow with the directory's text. Files are written as ``*.partial`` and
    take their names only when the whole package is done.
    """

    def __init__(self, package: dict[str, Any], target: Path) -> None:
        self.columns = {
            resource["name"]: [field["name"] for field in resource["schema"]["fields"]]
            for resource in package["resources"]
        }
        self.paths = {
            resource["name"]: target / resource["path"] for resource in package["resources"]
        }
        self.written: dict[str, set[str]] = {name: set() for name in self.columns}
        self._handles: list[IO[str]] = []
        self._writers: dict[str, Any] = {}

    def __enter__(self) -> _Tables:
        for name, path in self.paths.items():
            handle = _partial(path).open("w", newline="", encoding="utf-8")
            self._handles.append(handle)
            self._writers[name] = csv.writer(handle)
            self._writers[name].writerow(self.columns[name])
        return self

    def __exit__(self, kind: type[BaseException] | None, *_details: object) -> None:
        for handle in self._handles:
            handle.close()
        for path in self.paths.values():
            if kind is None:
                _partial(path).replace(path)
            else:
                _partial(path).unlink(missing_ok=True)

    def add(self, entity: str, document: Document, parent: tuple[str, str] | None = None) -> None:
        values = dict(document)
        if parent is not None:
            values.setdefault(f"{parent[0]}_id", parent[1])
        self._write(entity, document["id"], values)
        if EXTENSION in document:
            self._profile(entity, document)
        for attribute in document.get("attributes", []):
            self.add("attribute", attribute)
        for key, child in CHILDREN.get(entity, {}).items():
            nested = document.get(key)
            for item in nested if isinstance(nested, list) else [nested] if nested else []:
                self.add(child, item, (entity, document["id"]))

    def _profile(self, entity: str, document: Document) -> None:
        profile = dict(document[EXTENSION])
        for exception in profile.pop("schedule_exceptions", []):
            self._write(
                "haven_schedule_exception", exception["id"], exception, owner=document["id"]
            )
        self._write(f"haven_{entity}", document["id"], profile, owner=document["id"])

    def _write(self, table: str, key: str, values: Document, owner: str | None = None) -> None:
        written = self.written[table]
        if key in written:
            return
        written.add(key)
        row = [_cell(values.get(column)) for column in self.columns[table]]
        if owner is not None:  # a profile table: its first column is the owning HSDS id
            row[0] = owner
        self._writers[table].writerow(row)


def _partial(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


def export_csv(target: Path, *, members: bool, at: datetime | None = None) -> ExportSummary:
    """Write a tabular data package (CSV files and datapackage.json) into ``target``."""
    _record(kind="csv", members=members)
    package = datapackage()
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    with _Tables(package, target) as tables:
        for document in _organization_documents(members=members, at=at or timezone.now()):
            tables.add("organization", document)
            count += 1
        for item in taxonomies_find():
            tables.add("taxonomy", taxonomy(item))
        for term in taxonomy_terms_find():
            tables.add("taxonomy_term", taxonomy_term(term))
    (target / "datapackage.json").write_text(json.dumps(package, indent=2) + "\n")
    return ExportSummary(
        organizations=count, rows={name: len(ids) for name, ids in tables.written.items()}
    )
