"""Read an HSDS 3.1 tabular data package (CSV files and ``datapackage.json``) into nested
HSDS documents, the form ``schema/compiled/organization.json`` describes.

``read_package(path)`` takes a folder or a ``.zip`` (files at the top or in one sub-folder) and
either returns a :class:`TabularPackage` or raises ``ImportRefused`` listing every problem it
found: a missing ``datapackage.json`` or listed file, a file that is not UTF-8, a damaged zip, a
header without a required column, a row with the wrong number of values, a value that cannot
be read as CSV (an unclosed quote), an empty required value, a value that is not a number where
HSDS wants one, a duplicate id, and a dangling foreign key. No document is produced until the
whole package has been checked.

**Which tables, which columns.** Tables, columns, required fields and foreign keys come from
the official HSDS 3.1 ``datapackage.json`` vendored in ``hsds_schema/3.1`` (its short
``service_capacity`` and ``unit`` resources completed from their per-object schemas, as the
export does); value types come from the per-object schemas. The package's own
``datapackage.json`` only says which files it holds: a file it lists must exist; a table it
does not list and that is not there is read as empty, one that is there is read anyway. A
``datapackage.json`` holding only a relative path (a symbolic link copied as text, as in the
official example package) stands for the official one. A header must have the ``id``, the
required foreign keys and the fields the HSDS constraints mark required; an optional
foreign-key column may be left out. Unknown columns, files and resources are ignored and
mentioned once in ``TabularPackage.notes``; so are rows that no organisation document holds.

**Rows** are counted as a spreadsheet counts them: the header is row 1, the first data row is
row 2, a quoted value spanning several lines is still one row, blank rows count and are
skipped. A bad byte is reported by physical line, where a text editor finds it. Values are
kept as written except that an empty (or blank) value is absent, ids and foreign keys lose
surrounding spaces, Windows line breaks inside a value become ``\\n``, and number fields become
JSON numbers (integers when written as integers); dates and times stay strings. Every object
carries ``ORIGIN`` ("services.csv row 7"); remove it before validating.

**Where rows go.** Nesting follows the compiled schema (:data:`NESTING`): services with their
service_at_locations (each with its ``location``), phones, schedules …; locations with their
addresses, phones …; and on every object that has them, ``attributes`` (with
``taxonomy_term`` and its ``taxonomy_detail``) and ``metadata``, found by ``link_id`` /
``resource_id`` in the table ``link_entity`` / ``resource_type`` names, else in any table. An
organisation lists its own locations (``organization_id``), then those its services are
delivered at that name no organisation. Foreign-key values stay in the documents. A dangling
foreign key refuses the package unless ``allow_dangling``: then it is a note, the value is left
out of the document, and a row linked only through it appears in no organisation document. A
metadata row about an id no table has is only a note (a change record may outlive its object).

**Memory.** The package is read twice. The first pass streams each file once, checks it and
keeps only indexes: per table the byte offset and row number of each row (``array``), each
foreign key as the row it names, and a dict of ids while a table still to be read may name
them (tables are read parents first; attributes and metadata, which may name any table, before
the rest). The foreign keys become child lists (CSR arrays). Documents are then built one at a
time by seeking to the rows they need, with a bounded cache of parsed rows. For 100,000
locations in 10,000 organisations (710,000 rows) the first pass peaks near 130 MB RSS
(~110 MB above the interpreter) and what stays is ~40 MB. A document holds all of its
organisation, so one organisation with 100,000 locations is a document of hundreds of
megabytes: for such a package read ``organizations(services=False)``, ``services()`` and
``locations()``. A zip is extracted to a temporary folder; ``close()`` (or ``with``) removes it.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import re
import shutil
import tempfile
import zipfile
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any, BinaryIO

from django.conf import settings

from directory.hsds_problems import ORIGIN, ImportRefused, Problem

HSDS_DIR = Path(__file__).resolve().parent / "hsds_schema" / "3.1"
DATAPACKAGE = "datapackage.json"
BOM = b"\xef\xbb\xbf"
FIELD_LIMIT = 16 * 1024 * 1024  # a GeoJSON service area can exceed csv's 128 KB default
READ_CHUNK = 1 << 20
PROGRESS_EVERY = 1000
CACHE_ROWS = 20_000
NONE = -1  # an empty foreign key
# Required columns that must hold something; any other required text may be left empty
# (read as ""): many directories have organisations without a description.
NAMED = frozenset({"id", "name", "number", "address_1", "city"})
DANGLING = -2  # a foreign key that names no row
ROW_BITS = 40  # a (table, row) packed in one integer
ROW_MASK = (1 << ROW_BITS) - 1
# Tables whose rows may name a row of any table: (id column, column naming the table).
LINK_TABLES = {
    "attribute": ("link_id", "link_entity"),
    "metadata": ("resource_id", "resource_type"),
}
LINK_COLUMNS = frozenset(column for column, _entity in LINK_TABLES.values())

# Where rows of one table appear inside an object of another, in the compiled schema's order:
# (property, child table, "many" — child rows whose ``column`` names this row — or "one" — the
# row this row's ``column`` names, column). ``attributes`` and ``metadata`` are added to every
# object whose schema has them.
NESTING: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "organization": (
        ("additional_websites", "url", "many", "organization_id"),
        ("funding", "funding", "many", "organization_id"),
        ("contacts", "contact", "many", "organization_id"),
        ("phones", "phone", "many", "organization_id"),
        ("locations", "location", "many", "organization_id"),
        ("programs", "program", "many", "organization_id"),
        ("organization_identifiers", "organization_identifier", "many", "organization_id"),
        ("services", "service", "many", "organization_id"),
    ),
    "service": (
        ("additional_urls", "url", "many", "service_id"),
        ("phones", "phone", "many", "service_id"),
        ("schedules", "schedule", "many", "service_id"),
        ("service_areas", "service_area", "many", "service_id"),
        ("service_at_locations", "service_at_location", "many", "service_id"),
        ("languages", "language", "many", "service_id"),
        ("funding", "funding", "many", "service_id"),
        ("cost_options", "cost_option", "many", "service_id"),
        ("program", "program", "one", "program_id"),
        ("required_documents", "required_document", "many", "service_id"),
        ("contacts", "contact", "many", "service_id"),
        ("capacities", "service_capacity", "many", "service_id"),
    ),
    "service_at_location": (
        ("service_areas", "service_area", "many", "service_at_location_id"),
        ("contacts", "contact", "many", "service_at_location_id"),
        ("phones", "phone", "many", "service_at_location_id"),
        ("schedules", "schedule", "many", "service_at_location_id"),
        ("location", "location", "one", "location_id"),
    ),
    "location": (
        ("languages", "language", "many", "location_id"),
        ("addresses", "address", "many", "location_id"),
        ("contacts", "contact", "many", "location_id"),
        ("accessibility", "accessibility", "many", "location_id"),
        ("phones", "phone", "many", "location_id"),
        ("schedules", "schedule", "many", "location_id"),
    ),
    "contact": (("phones", "phone", "many", "contact_id"),),
    "phone": (("languages", "language", "many", "phone_id"),),
    "service_capacity": (("unit", "unit", "one", "unit_id"),),
    "attribute": (("taxonomy_term", "taxonomy_term", "one", "taxonomy_term_id"),),
    "taxonomy_term": (("taxonomy_detail", "taxonomy", "one", "taxonomy_id"),),
}
# Tables with iterators of their own: never "left out".
ROOTS = ("organization", "taxonomy", "taxonomy_term")
SERVICES_AND_LOCATIONS = ("services", "locations")

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_LINK_ONLY = re.compile(r"[\w./\\-]*datapackage\.json")


@dataclass(frozen=True, eq=False)
class Table:
    """One HSDS table as the official data package describes it."""

    name: str  # the HSDS object ("service")
    path: str  # the official file name ("services.csv")
    columns: tuple[str, ...]
    required: frozenset[str]
    kinds: dict[str, str]  # columns that are not strings: "number", "integer" or "boolean"
    foreign_keys: dict[str, str]  # column → the table it names
    nested: frozenset[str]  # "attributes" and/or "metadata", if the object has them


@functools.cache
def tables() -> dict[str, Table]:
    """The HSDS 3.1 tables, by object name, in the official data package's order."""
    package = json.loads((HSDS_DIR / DATAPACKAGE).read_text(encoding="utf-8"))
    found: dict[str, Table] = {}
    for resource in package["resources"]:
        name = resource["name"]
        schema = json.loads((HSDS_DIR / "schema" / f"{name}.json").read_text(encoding="utf-8"))
        properties = schema["properties"]
        fields = resource["schema"]["fields"]
        columns = [spec["name"] for spec in fields]
        required = {spec["name"] for spec in fields if spec.get("constraints", {}).get("required")}
        scalars = [
            key
            for key, spec in properties.items()
            if spec.get("type") in ("string", "number", "integer", "boolean")
        ]
        if len(columns) < len(scalars):  # upstream's short service_capacity and unit
            columns += [key for key in scalars if key not in columns]
            required |= set(schema.get("required", [])) | set(schema.get("tabular_required", []))
        foreign_keys = {
            key["fields"]: key["reference"]["resource"]
            for key in resource["schema"].get("foreignKeys", [])
        }
        found[name] = Table(
            name=name,
            path=resource["path"],
            columns=tuple(columns),
            required=frozenset((required | {"id"}) & set(columns)),
            kinds={
                key: properties[key]["type"]
                for key in columns
                if properties.get(key, {}).get("type") in ("number", "integer", "boolean")
            },
            foreign_keys=foreign_keys,
            nested=frozenset(key for key in ("attributes", "metadata") if key in properties),
        )
    return found


def convert(kind: str, text: str) -> Any:
    """A CSV value as the JSON type HSDS wants; ``ValueError`` if it is not one."""
    value = text.strip()
    if kind == "boolean":
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"{text!r} is not true or false")
    if _INTEGER.fullmatch(value):
        return int(value)
    if kind == "number" and _DECIMAL.fullmatch(value) and math.isfinite(float(value)):
        return float(value)
    if kind == "integer" and _DECIMAL.fullmatch(value) and float(value).is_integer():
        return int(float(value))
    raise ValueError(f"{text!r} is not {'a whole number' if kind == 'integer' else 'a number'}")


class _NotUtf8(Exception):
    def __init__(self, line: int, column: int, byte: int, *, utf16: bool) -> None:
        super().__init__(line, column, byte)
        self.line = line
        self.column = column
        self.byte = byte
        self.utf16 = utf16


class _Lines:
    """A CSV file as lines of text for ``csv.reader``, counting the bytes and lines used so
    that each record's place in the file is known. Splits on CRLF, LF or CR, as csv does."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.offset = 0  # bytes consumed by the lines handed out so far
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        pending = b""
        first = True
        while chunk := self.handle.read(READ_CHUNK):
            data = pending + chunk
            if first:
                if len(data) < len(BOM):
                    pending = data
                    continue
                first = False
                if data.startswith(BOM):
                    data = data[len(BOM) :]
                    self.offset = len(BOM)
            lines = data.splitlines(keepends=True)
            # An unfinished last line, or a CR whose LF may start the next chunk, waits.
            pending = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
            for line in lines:
                yield self._text(line)
        if pending:
            yield self._text(pending)

    def _text(self, line: bytes) -> str:
        self.line += 1
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            utf16 = self.line == 1 and line.startswith((b"\xff\xfe", b"\xfe\xff"))
            raise _NotUtf8(self.line, error.start + 1, line[error.start], utf16=utf16) from None
        self.offset += len(line)
        return text


class _Links:
    """For each row of a parent table, the rows of a child table that name it (CSR form)."""

    def __init__(self, targets: array[int], parents: int) -> None:
        counts = array("q", bytes(8 * (parents + 1)))
        for target in targets:
            if target >= 0:
                counts[target + 1] += 1
        for index in range(parents):
            counts[index + 1] += counts[index]
        self.starts = counts
        self.rows = array("q", bytes(8 * counts[-1]))
        cursor = array("q", counts)
        for row, target in enumerate(targets):
            if target >= 0:
                self.rows[cursor[target]] = row
                cursor[target] += 1

    def of(self, parent: int) -> array[int]:
        if parent + 1 >= len(self.starts):
            return self.rows[:0]  # no child names any row
        return self.rows[self.starts[parent] : self.starts[parent + 1]]


@dataclass(eq=False)
class _Index:
    """What the first pass keeps of one file."""

    table: Table
    name: str  # as the package names it, for problems and ORIGIN ("services.csv")
    file: Path | None  # None: the package has no such table
    positions: dict[str, int] = field(default_factory=dict)
    width: int = 0
    starts: array[int] = field(default_factory=lambda: array("q"))
    end: int = 0  # where the last row ends
    numbers: array[int] = field(default_factory=lambda: array("q"))  # spreadsheet rows
    ids: dict[str, int] = field(default_factory=dict)
    targets: dict[str, array[int]] = field(default_factory=dict)
    link_tables: array[int] = field(default_factory=lambda: array("b"))
    link_rows: array[int] = field(default_factory=lambda: array("q"))
    broken: bool = False  # its ids cannot be trusted: no dangling-key reports against it

    def __len__(self) -> int:
        return len(self.starts)

    def target(self, column: str, row: int) -> int:
        targets = self.targets.get(column)
        return targets[row] if targets is not None else NONE


class TabularPackage:
    """A checked HSDS tabular package, read into documents on demand."""

    def __init__(
        self,
        *,
        source: Path,
        indexes: dict[str, _Index],
        notes: list[str],
        temporary: tempfile.TemporaryDirectory[str] | None,
        root: Path | None = None,
    ) -> None:
        self.source = source
        self.root = root  # the folder datapackage.json is in (inside ``temporary`` for a zip)
        self.notes = notes
        self._indexes = indexes
        self._temporary = temporary
        self._children: dict[tuple[str, str], _Links] = {}
        self._linked: dict[tuple[str, str], _Links] = {}  # (link table, target table)
        self._link()

    @property
    def counts(self) -> dict[str, int]:
        """Rows per HSDS table (tables the package lacks count 0)."""
        return {name: len(index) for name, index in self._indexes.items()}

    @property
    def columns(self) -> dict[str, tuple[str, ...]]:
        """The HSDS columns of each table the package has a file for, in the file's order."""
        return {
            name: tuple(sorted(index.positions, key=index.positions.__getitem__))
            for name, index in self._indexes.items()
            if index.file is not None
        }

    def organizations(self, *, services: bool = True) -> Iterator[dict[str, Any]]:
        """One organization_full-style document per row of organizations.csv, in file order.

        A document holds everything of its organisation, so it grows with it. With
        ``services=False`` it leaves out ``services`` and ``locations``: read those from
        :meth:`services` and :meth:`locations`, and no document grows with its organisation."""
        yield from self._documents("organization", () if services else SERVICES_AND_LOCATIONS)

    def services(self) -> Iterator[dict[str, Any]]:
        """One service document per row of services.csv (nested as in an organisation
        document; ``organization_id`` says whose)."""
        yield from self._documents("service")

    def locations(self) -> Iterator[dict[str, Any]]:
        """One location document per row of locations.csv (nested as in an organisation
        document), whether or not an organisation or a service names it."""
        yield from self._documents("location")

    def taxonomies(self) -> Iterator[dict[str, Any]]:
        """One document per row of taxonomies.csv."""
        yield from self._documents("taxonomy")

    def taxonomy_terms(self) -> Iterator[dict[str, Any]]:
        """One document per row of taxonomy_terms.csv, its taxonomy as ``taxonomy_detail``."""
        yield from self._documents("taxonomy_term")

    def close(self) -> None:
        """Remove the folder a zip was extracted to, if any."""
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None

    def __enter__(self) -> TabularPackage:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- building documents ----------------------------------------------------------------

    def _documents(self, table: str, leave_out: Iterable[str] = ()) -> Iterator[dict[str, Any]]:
        rows = _Rows(self._indexes)
        try:
            for row in range(len(self._indexes[table])):
                yield self._document(rows, table, row, leave_out)
        finally:
            rows.close()

    def _document(
        self, rows: _Rows, table: str, row: int, leave_out: Iterable[str] = ()
    ) -> dict[str, Any]:
        index = self._indexes[table]
        document = dict(rows.get(table, row))
        for key, child, how, column in NESTING.get(table, ()):
            if key in leave_out:
                continue
            if how == "one":
                target = index.target(column, row)
                if target >= 0:
                    document[key] = self._document(rows, child, target)
                continue
            found: Iterable[int] = self._children[(child, column)].of(row)
            if table == "organization" and key == "locations":
                found = self._organization_locations(row, found)
            nested = [self._document(rows, child, item) for item in found]
            if nested:
                document[key] = nested
        for key, link_table in (("attributes", "attribute"), ("metadata", "metadata")):
            links = self._linked.get((link_table, table))
            if key in index.table.nested and links is not None:
                nested = [self._document(rows, link_table, item) for item in links.of(row)]
                if nested:
                    document[key] = nested
        return document

    def _organization_locations(self, organization: int, own: Iterable[int]) -> list[int]:
        """The organisation's locations, then those its services are delivered at that name no
        organisation of their own."""
        found = dict.fromkeys(own)
        at_location = self._indexes["service_at_location"]
        locations = self._indexes["location"]
        for service in self._children[("service", "organization_id")].of(organization):
            for link in self._children[("service_at_location", "service_id")].of(service):
                location = at_location.target("location_id", link)
                if location >= 0 and locations.target("organization_id", location) < 0:
                    found.setdefault(location)
        return list(found)

    # --- indexes ---------------------------------------------------------------------------

    def _link(self) -> None:
        """Child lists for every nesting, and notes on rows no document will hold."""
        indexes = self._indexes
        nothing = _Links(array("q"), 0)
        for name, index in indexes.items():
            for column, parent in index.table.foreign_keys.items():
                targets = index.targets.get(column)
                self._children[(name, column)] = (
                    _Links(targets, len(indexes[parent])) if targets else nothing
                )
        order = list(indexes)
        for name in LINK_TABLES:
            index = indexes[name]
            for number in sorted(set(index.link_tables) - {NONE}):
                target = order[number]
                rows = array(
                    "q",
                    (
                        row if table == number else NONE
                        for table, row in zip(index.link_tables, index.link_rows, strict=True)
                    ),
                )
                self._linked[(name, target)] = _Links(rows, len(indexes[target]))
        for index in indexes.values():
            index.ids = {}  # only the first pass needs them
        self._note_unplaced()

    def _note_unplaced(self) -> None:
        indexes = self._indexes
        order = list(indexes)
        placed = {name: bytearray(len(index)) for name, index in indexes.items()}
        for name in ROOTS:
            placed[name][:] = b"\x01" * len(indexes[name])
        for name in _nesting_order():
            index = indexes[name]
            here = placed[name]
            for parent, (_key, _child, how, column) in _edges_into(name):
                there = placed[parent]
                if how == "many":
                    for row, target in enumerate(index.targets.get(column, ())):
                        if target >= 0 and there[target]:
                            here[row] = 1
                    continue
                for row, target in enumerate(indexes[parent].targets.get(column, ())):
                    if target >= 0 and there[row]:
                        here[target] = 1
            if name in LINK_TABLES:
                for row, (table, target) in enumerate(
                    zip(index.link_tables, index.link_rows, strict=True)
                ):
                    if table >= 0 and placed[order[table]][target]:
                        here[row] = 1
        for name, index in indexes.items():
            missing = [index.numbers[row] for row, done in enumerate(placed[name]) if not done]
            if missing:
                shown = ", ".join(str(number) for number in missing[:5])
                more = "…" if len(missing) > 5 else ""
                self.notes.append(
                    f"{index.name}: {len(missing)} row(s) belong to no organisation and appear "
                    f"in no organisation document (row {shown}{more})"
                )


def _edges_into(child: str) -> Iterator[tuple[str, tuple[str, str, str, str]]]:
    for parent, edges in NESTING.items():
        for edge in edges:
            if edge[1] == child:
                yield parent, edge


@functools.cache
def _nesting_order() -> tuple[str, ...]:
    """Tables, each after every table it can be nested in (attributes and metadata last)."""
    done: list[str] = list(ROOTS)
    rest = [name for name in tables() if name not in done and name not in LINK_TABLES]
    while rest:
        ready = [n for n in rest if all(p in done for p, _edge in _edges_into(n) if p != n)]
        if not ready:  # cannot happen with HSDS 3.1; keep going rather than loop
            ready = rest[:1]
        done += ready
        rest = [name for name in rest if name not in ready]
    return tuple(done + list(LINK_TABLES))


class _Rows:
    """Random access to rows of the package's files, with a bounded cache of parsed rows."""

    def __init__(self, indexes: dict[str, _Index]) -> None:
        self.indexes = indexes
        self.handles: dict[str, BinaryIO] = {}
        self.cache: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
        self.plans: dict[str, list[tuple[str, int, str, array[int] | None]]] = {}

    def get(self, table: str, row: int) -> dict[str, Any]:
        key = (table, row)
        values = self.cache.get(key)
        if values is not None:
            self.cache.move_to_end(key)
            return values
        values = self._read(self.indexes[table], row)
        self.cache[key] = values
        if len(self.cache) > CACHE_ROWS:
            self.cache.popitem(last=False)
        return values

    def _read(self, index: _Index, row: int) -> dict[str, Any]:
        assert index.file is not None
        handle = self.handles.get(index.table.name)
        if handle is None:
            handle = self.handles[index.table.name] = index.file.open("rb")
        start = index.starts[row]
        end = index.starts[row + 1] if row + 1 < len(index) else index.end
        handle.seek(start)
        text = handle.read(end - start).decode("utf-8")
        record = next(csv.reader(io.StringIO(text, newline=""), strict=True))
        values: dict[str, Any] = {ORIGIN: f"{index.name} row {index.numbers[row]}"}
        required = index.table.required
        for column, position, kind, targets in self._plan(index):
            value = record[position]
            if not value or value.isspace():
                if not kind and column in required and column not in NAMED:
                    values[column] = ""  # a required text left empty: present, and empty
                continue
            if targets is not None and targets[row] == DANGLING:
                continue  # allowed, and noted: the document holds no link to nowhere
            if kind == "key":
                values[column] = value.strip()
            elif kind:
                values[column] = convert(kind, value)
            else:
                values[column] = value.replace("\r\n", "\n")
        return values

    def _plan(self, index: _Index) -> list[tuple[str, int, str, array[int] | None]]:
        """How to read each column the file has, in the official order: (column, position,
        "key" / a JSON type / "" for text, the foreign key's targets)."""
        plan = self.plans.get(index.table.name)
        if plan is None:
            table = index.table
            plan = self.plans[index.table.name] = [
                (
                    column,
                    index.positions[column],
                    "key"
                    if column == "id" or column in table.foreign_keys or column in LINK_COLUMNS
                    else table.kinds.get(column, ""),
                    index.targets.get(column),
                )
                for column in table.columns
                if column in index.positions
            ]
        return plan

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()
        self.handles.clear()
        self.cache.clear()


# --- reading and checking --------------------------------------------------------------------


def read_package(
    path: Path,
    *,
    progress: Callable[[int], None] | None = None,
    allow_dangling: bool = False,
) -> TabularPackage:
    """Check the HSDS tabular package at ``path`` (a folder or a .zip) and return it, ready to
    be read into documents; raise ``ImportRefused`` with every problem found.

    ``progress`` is called now and then with the number of rows read since its last call
    (tqdm's ``update``). ``allow_dangling`` turns dangling foreign keys into notes."""
    problems: list[Problem] = []
    notes: list[str] = []
    temporary: tempfile.TemporaryDirectory[str] | None = None
    try:
        path = Path(path)
        root: Path | None = None
        if not path.exists():
            problems.append(Problem(str(path), "", "does not exist"))
        elif path.is_dir():
            root = _package_folder(path)
        elif path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
            temporary = tempfile.TemporaryDirectory(prefix="hsds-")
            root = _extract(path, Path(temporary.name), problems)
        else:
            problems.append(Problem(path.name, "", "is neither a folder nor a .zip file"))
        indexes: dict[str, _Index] = {}
        if root is not None:
            files = _package_files(root, problems, notes)
            if files is not None:
                indexes = _Checker(
                    problems, notes, progress=progress, allow_dangling=allow_dangling
                ).check(root, files)
        if problems:
            raise ImportRefused(problems)
        return TabularPackage(
            source=path, indexes=indexes, notes=notes, temporary=temporary, root=root
        )
    except BaseException:
        if temporary is not None:
            temporary.cleanup()
        raise


def _package_folder(folder: Path) -> Path:
    """The folder itself, or its only sub-folder if that is where datapackage.json is."""
    if (folder / DATAPACKAGE).exists():
        return folder
    inner = [item for item in folder.iterdir() if item.is_dir() and not _junk(item.name)]
    if len(inner) == 1 and (inner[0] / DATAPACKAGE).exists():
        return inner[0]
    return folder


def _junk(name: str) -> bool:
    return name.startswith((".", "__MACOSX")) or name == "Thumbs.db"


def _extract(archive_path: Path, target: Path, problems: list[Problem]) -> Path | None:
    """Extract the package in a zip (at its top or in one sub-folder) into ``target``."""
    where = archive_path.name
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir()
                and not any(_junk(part) for part in PurePosixPath(info.filename).parts)
            ]
            unpacked = sum(info.file_size for info in members)
            limit = settings.HAVEN_IMPORT_MAX_MB * 2**20
            if unpacked > limit:
                # Sizes as the zip declares them: reading never goes past a member's own.
                message = f"unpacks to {unpacked:,} bytes, more than the {limit:,} allowed"
                problems.append(Problem(where, "", f"{message} (HAVEN_IMPORT_MAX_MB)"))
                return None
            paths = [PurePosixPath(info.filename) for info in members]
            packages = sorted(
                (p.parent for p in paths if p.name == DATAPACKAGE and len(p.parts) <= 2),
                key=lambda p: len(p.parts),
            )
            tops = {p.parts[0] for p in paths if len(p.parts) > 1}
            if packages:
                base = packages[0]
            elif len(tops) == 1 and all(len(p.parts) > 1 for p in paths):
                base = PurePosixPath(tops.pop())
            else:
                base = PurePosixPath()
            for info, member in zip(members, paths, strict=True):
                if base.parts and member.parts[: len(base.parts)] != base.parts:
                    continue
                inside = member.parts[len(base.parts) :]
                if any(part in ("", "..") for part in inside) or member.is_absolute():
                    continue
                destination = target.joinpath(*inside)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, destination.open("wb") as sink:
                    shutil.copyfileobj(source, sink, READ_CHUNK)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        problems.append(
            Problem(
                where, "", f"is not a readable zip file; it may be incomplete or damaged ({error})"
            )
        )
        return None
    except RuntimeError as error:  # a password-protected member
        problems.append(Problem(where, "", f"cannot be opened: {error}"))
        return None
    except NotImplementedError as error:
        problems.append(Problem(where, "", f"uses a compression Python cannot read ({error})"))
        return None
    return target


def _package_files(root: Path, problems: list[Problem], notes: list[str]) -> dict[str, str] | None:
    """HSDS table → its file's path inside the package (relative to ``root``), or None."""
    declared = root / DATAPACKAGE
    if not declared.is_file():
        problems.append(
            Problem(
                DATAPACKAGE,
                "",
                "is missing: an HSDS tabular package has a datapackage.json next to its CSV files",
            )
        )
        return None
    official = tables()
    raw = declared.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        problems.append(Problem(f"{DATAPACKAGE} line {line}", "", "is not UTF-8 text"))
        return None
    if _LINK_ONLY.fullmatch(text.strip()):
        notes.append(
            f"{DATAPACKAGE} holds only the path {text.strip()!r} (a symbolic link copied as "
            "text); read as the official HSDS 3.1 data package"
        )
        resources: Any = [{"name": t.name, "path": t.path} for t in official.values()]
    else:
        try:
            package = json.loads(text)
        except json.JSONDecodeError as error:
            problems.append(
                Problem(f"{DATAPACKAGE} line {error.lineno}", "", f"is not valid JSON: {error.msg}")
            )
            return None
        resources = package.get("resources") if isinstance(package, dict) else None
        if not isinstance(resources, list):
            problems.append(Problem(DATAPACKAGE, "resources", "should be a list of resources"))
            return None
    files: dict[str, str] = {}
    by_path = {table.path: table.name for table in official.values()}
    for number, resource in enumerate(resources):
        name = resource.get("name") if isinstance(resource, dict) else None
        where = f"{DATAPACKAGE} resources[{number}]"
        relative = resource.get("path") if isinstance(resource, dict) else None
        if not isinstance(relative, str):
            relative = ""
        table = name if name in official else by_path.get(PurePosixPath(relative).name)
        if table is None:
            notes.append(f"{DATAPACKAGE}: resource {name!r} ({relative}) is not HSDS; ignored")
            continue
        if not relative:
            problems.append(Problem(where, "path", "should name one CSV file of the package"))
            continue
        if ".." in PurePosixPath(relative).parts or PurePosixPath(relative).is_absolute():
            problems.append(Problem(where, "path", f"{relative!r} is outside the package"))
            continue
        if not (root / relative).is_file():
            problems.append(
                Problem(
                    DATAPACKAGE,
                    "resources",
                    f"lists {relative} (HSDS table {table}), but the package has no such file",
                )
            )
            continue
        files.setdefault(table, relative)
    for table in official.values():
        if table.name not in files and (root / table.path).is_file():
            files[table.name] = table.path
            notes.append(f"{table.path} is not listed in {DATAPACKAGE}; read as HSDS {table.name}")
    used = set(files.values())
    others = sorted(
        str(item.relative_to(root))
        for item in root.rglob("*.csv")
        if str(item.relative_to(root)) not in used
    )
    if others:
        notes.append(f"files that are not HSDS tables are ignored: {', '.join(others)}")
    return files


class _Checker:
    """The first pass: every file checked and indexed, parents before children.

    Ids are kept only while a table still to be read may name them. An attribute's
    ``link_id`` (a metadata row's ``resource_id``) may name a row of any table, so those tables
    are read first and the ids they name are looked for as the other tables stream by."""

    def __init__(
        self,
        problems: list[Problem],
        notes: list[str],
        *,
        progress: Callable[[int], None] | None,
        allow_dangling: bool,
    ) -> None:
        self.problems = problems
        self.notes = notes
        self.progress = progress
        self.allow_dangling = allow_dangling
        self.unreported = 0
        self.indexes: dict[str, _Index] = {}
        self.numbers: dict[str, int] = {}  # table → its number in the official order
        self.done: list[_Index] = []
        self.wanted: dict[str, int] = {}  # an id some link names → its number
        self.values: list[str] = []  # … and back
        self.found = array("q")  # … and the first (table, row) with it, packed
        self.more: dict[int, list[int]] = {}  # … and any other (ids unique across tables)
        self.link_values: dict[str, array[int]] = {}  # per link table and row: wanted number
        self.link_entities: dict[str, array[int]] = {}  # … and the table it names, or NONE

    def check(self, root: Path, files: dict[str, str]) -> dict[str, _Index]:
        if csv.field_size_limit() < FIELD_LIMIT:
            csv.field_size_limit(FIELD_LIMIT)  # process-wide; only ever raised
        official = tables()
        self.indexes = {
            name: _Index(
                table=table,
                name=files.get(name, table.path),
                file=root / files[name] if name in files else None,
            )
            for name, table in official.items()
        }
        self.numbers = {name: number for number, name in enumerate(official)}
        last_use = _last_use()
        for position, name in enumerate(_reading_order()):
            index = self.indexes[name]
            if index.file is not None:
                self._read(index)
            self.done.append(index)
            for other, last in last_use.items():
                if last == position:
                    self.indexes[other].ids = {}
        self._resolve_links()
        if self.progress is not None and self.unreported:
            self.progress(self.unreported)
        return self.indexes

    def _read(self, index: _Index) -> None:
        assert index.file is not None
        with index.file.open("rb") as handle:
            lines = _Lines(handle)
            reader = csv.reader(lines, strict=True)
            number = 0
            start = lines.offset
            try:
                for record in reader:
                    number += 1
                    if number == 1:
                        self._header(index, record)
                    elif self._row(index, record, number, start):
                        index.end = lines.offset
                    start = lines.offset
            except _NotUtf8 as error:
                index.broken = True
                self.problems.append(
                    Problem(
                        f"{index.name} line {error.line}",
                        "",
                        f"is not UTF-8 text: byte 0x{error.byte:02x} (byte {error.column} of the "
                        f"line) cannot be read{' (it looks like UTF-16)' if error.utf16 else ''}; "
                        "only the first such byte is reported; save the file as UTF-8 (in "
                        "Excel: CSV UTF-8)",
                    )
                )
            except csv.Error as error:
                index.broken = True
                self.problems.append(Problem(f"{index.name} row {number + 1}", "", _csv(error)))
        if number == 0:
            self.notes.append(f"{index.name} is empty; read as a table without rows")

    def _header(self, index: _Index, record: list[str]) -> None:
        header = [cell.strip().lstrip("\ufeff").strip() for cell in record]
        index.width = len(header)
        table = index.table
        where = f"{index.name} row 1"
        for position, column in enumerate(header):
            if column in index.positions:
                if column in table.columns:
                    self.problems.append(Problem(where, column, "appears twice in the header row"))
                continue
            index.positions[column] = position
        missing = [column for column in table.columns if column in table.required]
        missing = [column for column in missing if column not in index.positions]
        if missing:
            if "id" in missing:
                index.broken = True
            self.problems.append(
                Problem(
                    where,
                    ", ".join(missing),
                    f"required column{'s' if len(missing) > 1 else ''} missing from the header "
                    f"row; the header is: {', '.join(header) or '(empty)'}{_separator(header)}",
                )
            )
        unknown = [column or "(unnamed)" for column in header if column not in table.columns]
        if unknown:
            ignored = ", ".join(unknown)
            self.notes.append(f"{index.name}: columns not in HSDS 3.1 ignored: {ignored}")
        index.positions = {k: v for k, v in index.positions.items() if k in table.columns}
        index.targets = {
            column: array("q") for column in table.foreign_keys if column in index.positions
        }
        if table.name in LINK_TABLES:
            self.link_values[table.name] = array("q")
            self.link_entities[table.name] = array("b")

    def _row(self, index: _Index, record: list[str], number: int, start: int) -> bool:
        """Check and index one row; False if it is blank or cannot be indexed."""
        self._count()
        if not any(value.strip() for value in record):
            return False  # a blank line or a row of empty cells, as spreadsheets leave
        table = index.table
        where = f"{index.name} row {number}"
        identifier_at = index.positions.get("id")
        identifier = record[identifier_at].strip() if identifier_at is not None else ""
        if len(record) != index.width:
            self.problems.append(
                Problem(
                    where,
                    "",
                    f"has {len(record)} values but the header row has {index.width} columns",
                )
            )
            if identifier and len(record) > (identifier_at or 0):
                index.ids.setdefault(identifier, NONE)  # spare its children a second report
            return False
        row = len(index)
        index.starts.append(start)
        index.numbers.append(number)
        if identifier_at is not None:
            first = index.ids.setdefault(identifier, row) if identifier else row
            if first != row:
                earlier = f"row {index.numbers[first]}" if first >= 0 else "an earlier row"
                self.problems.append(
                    Problem(where, "id", f"duplicate id {identifier!r}: {earlier} has the same id")
                )
            elif identifier in self.wanted:
                self._found(self.wanted[identifier], self.numbers[table.name], row)
        for column in table.required:
            position = index.positions.get(column)
            text = column not in table.kinds and column not in table.foreign_keys
            if text and column not in NAMED:
                continue  # an empty required text is read as "" (HSDS asks for the field)
            if position is not None and not record[position].strip():
                self.problems.append(Problem(where, column, "is empty but required"))
        for column, kind in table.kinds.items():
            position = index.positions.get(column)
            if position is not None and record[position].strip():
                try:
                    convert(kind, record[position])
                except ValueError as error:
                    self.problems.append(Problem(where, column, str(error)))
        for column, targets in index.targets.items():
            value = record[index.positions[column]].strip()
            targets.append(self._resolve(where, column, value, table.foreign_keys[column]))
        if table.name in LINK_TABLES:
            self._want(index, record)
        return True

    def _resolve(self, where: str, column: str, value: str, parent: str) -> int:
        if not value:
            return NONE
        index = self.indexes[parent]
        row = index.ids.get(value)
        if row is not None:
            return row
        if not index.broken:
            absent = "" if index.file is not None else f" (the package has no {index.name})"
            self._dangling(where, column, f"no row of {index.name} has id {value!r}{absent}")
        return DANGLING

    def _dangling(self, where: str, column: str, message: str) -> None:
        if self.allow_dangling:
            self.notes.append(f"{where}: {column}: dangling foreign key, link dropped: {message}")
        else:
            self.problems.append(Problem(where, column, f"dangling foreign key: {message}"))

    def _want(self, index: _Index, record: list[str]) -> None:
        """Note the id an attribute's ``link_id`` or a metadata row's ``resource_id`` names,
        and the table its ``link_entity`` / ``resource_type`` names, if it names one."""
        column, entity_column = LINK_TABLES[index.table.name]
        position = index.positions.get(column)
        value = record[position].strip() if position is not None else ""
        entity_at = index.positions.get(entity_column)
        entity = record[entity_at].strip().lower() if entity_at is not None else ""
        wanted = NONE
        if value:
            wanted = self.wanted.setdefault(value, len(self.values))
            if wanted == len(self.values):
                self.values.append(value)
                self.found.append(NONE)
                for other in self.done:  # tables read before the links are still indexed
                    row = other.ids.get(value)
                    if row is not None and row >= 0:
                        self._found(wanted, self.numbers[other.table.name], row)
        self.link_values[index.table.name].append(wanted)
        self.link_entities[index.table.name].append(_entities().get(entity, NONE))

    def _found(self, wanted: int, table: int, row: int) -> None:
        packed = table << ROW_BITS | row
        if self.found[wanted] == NONE:
            self.found[wanted] = packed
        else:
            self.more.setdefault(wanted, []).append(packed)

    def _resolve_links(self) -> None:
        """Each link's row: in the table it names, else the first table with that id."""
        names = list(self.indexes)
        for name, (column, _entity) in LINK_TABLES.items():
            index = self.indexes[name]
            values = self.link_values.get(name, array("q"))
            entities = self.link_entities.get(name, array("b"))
            for row, (wanted, entity) in enumerate(zip(values, entities, strict=True)):
                found = (NONE, NONE)
                if wanted >= 0:
                    packed = [self.found[wanted], *self.more.get(wanted, ())]
                    rows = [
                        (match >> ROW_BITS, match & ROW_MASK)
                        for match in packed
                        if match != NONE and entity in (NONE, match >> ROW_BITS)
                    ]
                    if rows:
                        found = min(rows)
                    else:
                        self._dangling_link(index, row, column, wanted, entity, names)
                index.link_tables.append(found[0])
                index.link_rows.append(found[1])
        self.wanted, self.values, self.found, self.more = {}, [], array("q"), {}

    def _dangling_link(
        self, index: _Index, row: int, column: str, wanted: int, entity: int, names: list[str]
    ) -> None:
        where = f"{index.name} row {index.numbers[row]}"
        value = self.values[wanted]
        if entity == NONE:
            message = f"no row of any table has id {value!r}"
            broken = any(other.broken for other in self.indexes.values())
        else:
            other = self.indexes[names[entity]]
            message = f"no row of {other.name} has id {value!r}"
            broken = other.broken
        if index.table.name == "metadata":  # a record of changes may outlive what it describes
            self.notes.append(f"{where}: {column}: {message}; left out")
        elif not broken:
            self._dangling(where, column, message)

    def _count(self) -> None:
        self.unreported += 1
        if self.progress is not None and self.unreported >= PROGRESS_EVERY:
            self.progress(self.unreported)
            self.unreported = 0


def _separator(header: list[str]) -> str:
    """A hint when a spreadsheet saved the file with semicolons or tabs between values."""
    if len(header) == 1:
        for mark, name in ((";", "semicolons"), ("\t", "tabs")):
            if mark in header[0]:
                return f" (the values seem to be separated by {name}; HSDS CSV uses commas)"
    return ""


def _csv(error: csv.Error) -> str:
    text = str(error)
    if "unexpected end of data" in text or "field larger than field limit" in text:
        return (
            'a quoted value that starts in this row is never closed (a lone " opens it); '
            f"check the quotes ({text})"
        )
    return f"cannot be read as CSV: {text}"


@functools.cache
def _reading_order() -> tuple[str, ...]:
    """Tables, each after the tables its foreign keys name; the link tables (and what they
    need) first, so that no table's ids need keeping for them."""
    official = tables()
    early = set(LINK_TABLES)
    while more := {p for n in early for p in official[n].foreign_keys.values()} - early:
        early |= more
    done: list[str] = []
    for group in ([n for n in official if n in early], [n for n in official if n not in early]):
        while group:
            ready = [
                name
                for name in group
                if all(p in done or p == name for p in official[name].foreign_keys.values())
            ] or group[:1]
            done += ready
            group = [name for name in group if name not in ready]
    return tuple(done)


@functools.cache
def _last_use() -> dict[str, int]:
    """For each table, the position in the reading order after which its ids are not needed:
    its own, or that of the last table whose foreign keys or links may name it."""
    order = _reading_order()
    position = {name: number for number, name in enumerate(order)}
    links = max(position[name] for name in LINK_TABLES)
    last = {}
    for name in order:
        users = [position[name]] + [
            position[other.name]
            for other in tables().values()
            if name in other.foreign_keys.values()
        ]
        if position[name] < links:
            users.append(links)
        last[name] = max(users)
    return last


@functools.cache
def _entities() -> dict[str, int]:
    """What a ``link_entity`` or ``resource_type`` may say for each table: its name or its
    file's ("service", "services") → the table's number in the official order."""
    found = {}
    for number, table in enumerate(tables().values()):
        found[table.name] = number
        found[PurePosixPath(table.path).stem] = number
    return found
