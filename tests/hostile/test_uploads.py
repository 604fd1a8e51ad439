"""Hostile files through every file input — the steward's HSDS import page is the only one:
text that is not UTF-8 or holds a NUL, JSON a parser chokes on, numbers no column holds,
broken and malicious zips, names no file system takes. Each is refused with the reason on the
page and nothing written, never a server error; names in any script are imported as typed."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from directory.models import Organization
from tests.hostile.conftest import attempt, tidy
from tests.hostile.payloads import ACCENTS, EMOJI, LONG, MARKUP, RTL, SQL

pytestmark = pytest.mark.django_db

# Every route with a file input; tests/hostile/test_forms.py holds the rest of the pages.
UPLOAD_ROUTES = {"directory:hsds-import"}
URL = "/steward/import/"
FIXTURES = Path(__file__).parent.parent / "directory" / "fixtures"
EXAMPLE = json.loads((FIXTURES / "hsds_json" / "organization_full.json").read_text())


def document(**changes: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(EXAMPLE))
    doc.update(changes)
    return doc


def as_bytes(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def replaced(old: str, new: str | bytes) -> bytes:
    """The example as bytes, with one piece of its text swapped for raw bytes."""
    raw = as_bytes(EXAMPLE)
    assert old.encode() in raw
    return raw.replace(old.encode(), new if isinstance(new, bytes) else new.encode(), 1)


def a_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def package(**changes: bytes) -> bytes:
    """The official CSV example package as a zip, with some files replaced."""
    files = {path.name: path.read_bytes() for path in (FIXTURES / "hsds_csv").iterdir()}
    return a_zip({**files, **changes})


def claiming(size: int) -> bytes:
    """A small zip whose directory claims its one member unpacks to ``size`` bytes."""
    raw = bytearray(a_zip({"datapackage.json": b"{}"}))
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = struct.pack("<I", min(size, 0xFFFFFFFF))
    return bytes(raw)


def _ages(minimum: int, maximum: int) -> bytes:
    doc = document()
    doc["services"][0].update(minimum_age=minimum, maximum_age=maximum)
    return as_bytes(doc)


NAME = EXAMPLE["name"]
CSV = (FIXTURES / "hsds_csv" / "organizations.csv").read_bytes()

REFUSED: dict[str, tuple[str, bytes]] = {
    "UTF-16, not UTF-8": ("d.json", json.dumps(EXAMPLE).encode("utf-16")),
    "broken UTF-8 in a name": ("d.json", replaced(NAME, b"Caf\xc3\x28 \xff")),
    "a NUL escaped in a name": ("d.json", as_bytes(document(name="Ann\x00e"))),
    "a raw NUL byte in a name": ("d.json", replaced(NAME, b"Ann\x00e")),
    "half a surrogate pair": ("d.json", replaced(NAME, "\\ud800")),
    "nested 100,000 deep": ("d.json", b"[" * 100_000 + b"]" * 100_000),
    "a number of 5,000 digits": (
        "d.json",
        replaced('"year_incorporated": 2011', '"year_incorporated": ' + "9" * 5000),
    ),
    "a year beyond 64 bits": ("d.json", as_bytes(document(year_incorporated=2**64 * 10**6))),
    "a negative year": ("d.json", as_bytes(document(year_incorporated=-1))),
    "a minimum age above the maximum": ("d.json", _ages(150, 12)),
    "NaN": ("d.json", replaced('"year_incorporated": 2011', '"year_incorporated": NaN')),
    "Infinity": ("d.json", replaced('"latitude": 100', '"latitude": Infinity')),
    "a number past any float": ("d.json", replaced('"latitude": 100', '"latitude": 1e400')),
    "a key twice": ("d.json", replaced('"name": ', '"name": "Twice", "name": ')),
    "not an object": ("d.json", b'["x", 1]'),
    "empty": ("d.json", b""),
    "not JSON": ("d.json", b"{"),
    "not a zip": ("d.zip", b"PK\x03\x04 not really a zip"),
    "a zip whose CSV is not UTF-8": ("d.zip", package(**{"organizations.csv": CSV + b"\xff\xfe"})),
    "a zip with a NUL in a CSV cell": (
        "d.zip",
        package(**{"organizations.csv": CSV.replace(NAME.encode(), b"Ann\x00e", 1)}),
    ),
    "a zip reaching outside its folder": ("d.zip", a_zip({"../../escape/datapackage.json": b"{}"})),
    "a program": ("d.exe", b"MZ\x90\x00"),
    "a .json that is a zip": ("d.json", package()),
}
NAMES = {
    "10,000 characters": LONG + ".json",
    "a long name in emoji": "🏠" * 200 + ".json",
    "a NUL byte": "d\x00.json",
    "a path": "../../../etc/d.json",
    "markup": MARKUP + ".json",
}
ACCEPTED = {
    "emoji": EMOJI,
    "right-to-left": RTL,
    "accents": ACCENTS,
    "markup": MARKUP,
    "SQL": SQL,
}


def upload(steward: Any, name: str, content: bytes, **extra: str) -> Any:
    return steward.post(URL, {"file": SimpleUploadedFile(name, content), **extra})


@pytest.fixture
def steward(cast, signed_in):
    return signed_in(cast.steward)


@pytest.mark.parametrize("dry_run", [True, False], ids=["checking", "importing"])
def test_a_hostile_file_is_refused_with_a_reason_and_nothing_written(steward, dry_run):
    extra = {"dry_run": "on"} if dry_run else {}
    problems = []
    for what, (name, content) in REFUSED.items():
        outcome = attempt(lambda: upload(steward, name, content, **extra))  # noqa: B023
        if outcome.crash or outcome.status >= 500:
            problems.append(f"{what}: server error {outcome.crash}")
        elif outcome.status != 400 or not outcome.error_shown:
            problems.append(f"{what}: {outcome.status} {tidy(outcome.body)}")
        elif outcome.changed:
            problems.append(f"{what}: refused, yet wrote to {sorted(outcome.changed)}")
    assert not problems, "\n".join(problems)


def test_a_hostile_file_name_changes_nothing_but_the_name(steward):
    """The name is the uploader's to choose; it is only ever a label in the report."""
    problems = []
    for what, name in NAMES.items():
        outcome = attempt(lambda: upload(steward, name, as_bytes(EXAMPLE), dry_run="on"))  # noqa: B023
        if outcome.crash or outcome.status >= 500:
            problems.append(f"{what}: server error {outcome.crash}")
        elif outcome.status == 200 and "Checked: no problems" not in outcome.body:
            problems.append(f"{what}: {tidy(outcome.body)}")
        elif outcome.status == 400 and not outcome.error_shown:
            problems.append(f"{what}: refused without a reason")
        elif outcome.changed:
            problems.append(f"{what}: wrote to {sorted(outcome.changed)}")
    assert not problems, "\n".join(problems)


def test_two_files_a_missing_file_or_no_form_are_refused(steward):
    files = [SimpleUploadedFile(name, as_bytes(EXAMPLE)) for name in ("a.json", "b.json")]
    two = steward.post(URL, {"file": files})
    assert two.status_code == 400
    assert "more than once" in two.content.decode()
    assert not Organization.objects.filter(code=EXAMPLE["id"]).exists()
    missing = steward.post(URL, {"dry_run": "on"})
    assert missing.status_code == 400
    assert "This field is required." in missing.content.decode()
    empty = steward.post(URL, {})
    assert empty.status_code == 400


@pytest.mark.parametrize("script", list(ACCEPTED))
def test_names_in_any_script_are_imported_exactly_as_written(steward, script):
    name = ACCEPTED[script]
    doc = document(name=name, alternate_name=name)
    doc["locations"][0]["name"] = name
    checked = upload(steward, "directory.json", as_bytes(doc), dry_run="on")
    assert checked.status_code == 200, tidy(checked.content.decode())
    assert "Checked: no problems" in checked.content.decode()
    imported = upload(steward, "directory.json", as_bytes(doc))
    assert imported.status_code == 200, tidy(imported.content.decode())
    organization = Organization.objects.get(code=EXAMPLE["id"])
    assert organization.name == organization.alternate_name == name
    assert organization.locations.get().name == name
    # And its listing shows it as written (escaped: see test_browser for markup).
    listing = steward.get(f"/locations/{organization.locations.get().code}/")
    assert listing.status_code == 200
    assert escape(name) in listing.content.decode()


def test_an_overlong_name_is_cut_to_its_column_never_a_crash(steward):
    """HSDS sets no lengths; Haven keeps the first 255 characters of a name (as it does of
    every text it has a column for) rather than refuse a whole directory over one."""
    imported = upload(steward, "directory.json", as_bytes(document(name=LONG)))
    assert imported.status_code == 200, tidy(imported.content.decode())
    assert Organization.objects.get(code=EXAMPLE["id"]).name == LONG[:255]


def test_the_report_names_the_file_as_uploaded_within_reason(steward):
    name = "Directorio de Peña 🏠.json"
    checked = upload(steward, name, as_bytes(document()), dry_run="on")
    assert checked.status_code == 200
    emoji = upload(steward, "🏠" * 200 + ".json", b"{", dry_run="on")
    assert emoji.status_code == 400
    assert "🏠" * 50 + ".json" in emoji.content.decode()  # 200 bytes of it


def test_a_zip_that_would_unpack_past_the_limit_is_refused_before_it_is(steward, settings):
    settings.HAVEN_IMPORT_MAX_MB = 100
    outcome = attempt(lambda: upload(steward, "d.zip", claiming(3 * 2**30), dry_run="on"))
    assert outcome.status == 400
    assert "unpacks to 3,221,225,472 bytes, more than the 104,857,600 allowed" in outcome.body
    assert outcome.changed == set()
