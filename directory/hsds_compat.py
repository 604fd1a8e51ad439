"""HSDS 3.0 input, read as HSDS 3.1: which version a file is, and the upgrade from 3.0.

The import validates against the official HSDS 3.1 schemas only. A 3.0 file goes through
:func:`upgrade` first and then down the same road as a 3.1 file.

**What differs.** Taken from the official changelog (``docs/hsds/changelog.md`` in
``openreferral/specification``) and checked against schemas generated from the 3.0 core
(``openreferral/hsds_example_profile``): HSDS 3.1 only *adds* to 3.0 — the tables ``url``,
``service_capacity`` and ``unit``, and the fields in :data:`ADDED_IN_3_1`; everything else
changed only in its description. Every 3.0 field is still in 3.1, with the same type, and
no field became required, so a valid 3.0 document is a valid 3.1 document and 3.1 can hold
all of it. What the upgrade does is about the fields HSDS 3.0 *deprecated* (:data:`DEPRECATED`,
still deprecated in 3.1): ``service.fees`` is read as ``fees_description`` (the field 3.0
added to replace it) where that is empty, and every deprecated field that Haven keeps nowhere
is named in a note, never dropped without a word.

**Which version.** ``--hsds-version auto`` reads a file as 3.1 when it holds something 3.1
added (a 3.1-only field, or a file for a 3.1-only table, or a ``datapackage.json`` whose
``version`` says 3.1), and as 3.0 otherwise. The ``version`` of ``datapackage.json`` cannot
say more: the official 3.1 data package still says ``"3.0.0"``. A file with nothing 3.1 added
reads the same either way, apart from the upgrade above.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from directory.hsds_problems import ORIGIN

Document = dict[str, Any]

AUTO = "auto"
VERSIONS = ("3.0", "3.1")
CHOICES = (AUTO, *VERSIONS)

# Fields HSDS 3.1 added to objects HSDS 3.0 had, by object.
ADDED_IN_3_1: dict[str, frozenset[str]] = {
    "organization": frozenset({"additional_websites"}),
    "service": frozenset({"additional_urls", "capacities"}),
    "service_at_location": frozenset({"service_areas"}),
    "attribute": frozenset({"label"}),
}
TABLES_ADDED_IN_3_1 = ("url", "service_capacity", "unit")
# Fields HSDS 3.0 deprecated (3.1 keeps them, deprecated); Haven stores none of them.
DEPRECATED: dict[str, tuple[str, ...]] = {
    "organization": ("tax_status", "tax_id"),
    "service": ("wait_time", "fees", "licenses"),
}
# Where objects of one kind sit inside another, as far as detection and upgrade look.
_CHILDREN = {
    "organization": {"services": "service", "locations": "location"},
    "service": {"organization": "organization", "service_at_locations": "service_at_location"},
    "service_at_location": {"location": "location"},
}
_EVERYWHERE = {"attributes": "attribute"}


@dataclass(frozen=True)
class Detected:
    """The version a file is read as, and why, in words for the report."""

    version: str
    reason: str

    def note(self) -> str:
        return _("read as HSDS %(version)s (%(reason)s)") % {
            "version": self.version,
            "reason": self.reason,
        }


def _walk(document: Any, kind: str) -> Iterator[tuple[str, Document]]:
    """(kind, object) for the document and the objects inside it that matter here."""
    pending = [(kind, document)]
    while pending:
        kind, node = pending.pop()
        if not isinstance(node, dict):
            continue
        yield kind, node
        for key, child in {**_CHILDREN.get(kind, {}), **_EVERYWHERE}.items():
            value = node.get(key)
            items = value if isinstance(value, list) else [value]
            pending += [(child, item) for item in items if isinstance(item, dict)]


def _kind(document: Any) -> str:
    """As directory.hsds_import reads it: a service has a status and no list of services."""
    if isinstance(document, dict) and "status" in document and "services" not in document:
        return "service"
    return "organization"


def added_in_3_1(documents: Iterable[Any]) -> list[str]:
    """The fields HSDS 3.1 added that the documents use ("service.additional_urls")."""
    found: set[str] = set()
    for document in documents:
        for kind, node in _walk(document, _kind(document)):
            found |= {f"{kind}.{name}" for name in ADDED_IN_3_1.get(kind, ()) if name in node}
    return sorted(found)


def detect(
    asked: str,
    *,
    fields: Iterable[str] = (),
    tables: Iterable[str] = (),
    declared: str | None = None,
) -> Detected:
    """The version to read a file as: ``asked`` unless it is "auto"; then 3.1 if the file
    uses a field or table 3.1 added or declares 3.1, else 3.0."""
    if asked not in CHOICES:
        raise ValueError(f"HSDS version {asked!r}: say one of {', '.join(CHOICES)}")
    fields, tables = list(fields), list(tables)
    evidence = fields + [f"{table} table" for table in tables]
    if declared and declared.startswith("3.1"):
        evidence.insert(0, f"datapackage.json version {declared}")
    if asked in VERSIONS:
        if asked == "3.0" and evidence:
            return Detected("3.0", _("as asked; it also holds what HSDS 3.1 added: %s, kept")
                            % ", ".join(evidence[:5]))  # fmt: skip
        return Detected(asked, _("as asked"))
    if evidence:
        return Detected("3.1", _("detected: it holds what HSDS 3.1 added: %s")
                        % ", ".join(evidence[:5]))  # fmt: skip
    return Detected("3.0", _("detected: nothing in it is new in HSDS 3.1; HSDS 3.0 reads the "
                             "same as 3.1 but for the fields 3.0 deprecated"))  # fmt: skip


def declared_version(folder: Path) -> str | None:
    """The ``version`` a package's ``datapackage.json`` gives, if it is readable."""
    try:
        data = json.loads((folder / "datapackage.json").read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) else None


@dataclass
class Upgrade:
    """Reads HSDS 3.0 documents as 3.1 (in place), keeping notes of what it did and of what
    Haven cannot keep. With ``version`` "3.1" it changes nothing and notes nothing."""

    version: str
    fees_moved: list[str] = field(default_factory=list)
    unkept: dict[str, list[str]] = field(default_factory=dict)

    def document(self, document: Any) -> Any:
        if self.version != "3.0" or not isinstance(document, dict):
            return document
        for kind, node in _walk(document, _kind(document)):
            where = str(node.get(ORIGIN) or f"{kind} {node.get('id', '')}".strip())
            if kind == "service":
                fees = node.get("fees")
                if isinstance(fees, str) and fees.strip() and not node.get("fees_description"):
                    node["fees_description"] = fees
                    self.fees_moved.append(where)
            for name in DEPRECATED.get(kind, ()):
                value = node.get(name)
                if value in (None, "") or (
                    name == "fees" and value == node.get("fees_description")
                ):
                    continue
                self.unkept.setdefault(f"{kind}.{name}", []).append(where)
        return document

    def records(self, records: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
        for where, record in records:
            yield where, self.document(record)

    def documents(self, documents: Iterable[Any]) -> Iterator[Any]:
        for document in documents:
            yield self.document(document)

    def notes(self) -> list[str]:
        notes = []
        if self.fees_moved:
            notes.append(
                _("fees (deprecated in HSDS 3.0) read as fees_description, which replaces it: %s")
                % _some(self.fees_moved)
            )
        for name, places in sorted(self.unkept.items()):
            notes.append(
                _("%(field)s is deprecated in HSDS 3.0 and Haven does not keep it; it was not "
                  "imported: %(where)s") % {"field": name, "where": _some(places)}
            )  # fmt: skip
        return notes


def _some(places: list[str], shown: int = 5) -> str:
    more = len(places) - shown
    listed = ", ".join(places[:shown])
    return listed + (_(" and %d more") % more if more > 0 else "")
