"""Importing HSDS 3.0: read as 3.1 (JSON and tabular), imported again without change, exported
as valid 3.1; broken 3.0 input refused whole; the version detected or taken as asked."""

from __future__ import annotations

import io
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from directory import hsds_compat
from directory.hsds_compat import ADDED_IN_3_1, DEPRECATED, TABLES_ADDED_IN_3_1, detect
from directory.hsds_export import export_json
from directory.hsds_import import import_path
from directory.hsds_problems import ImportRefused, Problem
from directory.hsds_tabular import HSDS_DIR, tables
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
)
from tests.directory import hsds_validation as hv

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
JSON_30 = FIXTURES / "hsds_3_0" / "organization_full.json"
TABULAR_30 = FIXTURES / "hsds_3_0" / "tabular"
JSON_31 = FIXTURES / "hsds_json" / "organization_full.json"
TABULAR_31 = FIXTURES / "hsds_csv"
MODELS = [
    Organization, Service, Location, ServiceAtLocation, Address, Phone, Schedule, Attribute,
    Metadata,
]  # fmt: skip


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def document() -> dict:
    return json.loads(JSON_30.read_text())


def write(tmp_path: Path, data: object, name: str = "directory-3.0.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def copy_package(tmp_path: Path) -> Path:
    return Path(shutil.copytree(TABULAR_30, tmp_path / "package"))


def exported() -> list:
    stream = io.StringIO()
    export_json(stream, members=False)
    return json.loads(stream.getvalue())


# --- What 3.1 added, checked against the official 3.1 files -----------------------------------


def test_what_3_1_added_is_in_the_official_3_1_schemas_and_data_package():
    for name, fields in ADDED_IN_3_1.items():
        properties = json.loads((HSDS_DIR / "schema" / f"{name}.json").read_text())["properties"]
        assert fields <= set(properties), name
    assert set(TABLES_ADDED_IN_3_1) <= set(tables())
    for name, fields in DEPRECATED.items():
        properties = json.loads((HSDS_DIR / "schema" / f"{name}.json").read_text())["properties"]
        for field in fields:
            assert properties[field]["description"].startswith("DEPRECATED"), (name, field)


def test_the_3_0_fixtures_use_nothing_3_1_added():
    assert hsds_compat.added_in_3_1([document()]) == []
    package = json.loads((TABULAR_30 / "datapackage.json").read_text())
    names = {resource["name"] for resource in package["resources"]}
    assert not names & set(TABLES_ADDED_IN_3_1)
    attribute = next(r for r in package["resources"] if r["name"] == "attribute")
    assert "label" not in [field["name"] for field in attribute["schema"]["fields"]]


# --- JSON ---------------------------------------------------------------------------------------


def test_a_3_0_organisation_imports_as_3_1():
    summary = import_path(JSON_30)
    assert summary.hsds_version == "3.0"
    assert summary.notes[0].startswith("read as HSDS 3.0 (detected: nothing in it is new")
    doc = document()
    organization = Organization.objects.get(code=doc["id"])
    assert organization.name == "Safe Harbor Family Services"
    shelter = Service.objects.get(code=doc["services"][0]["id"])
    assert shelter.category == Category.EMERGENCY_SHELTER
    assert set(shelter.populations.values_list("population", flat=True)) == {
        Population.DOMESTIC_VIOLENCE
    }
    assert shelter.fees_description == "No fees"  # from the deprecated `fees`
    assert shelter.assured_date.isoformat() == "2026-10-01"
    advocacy = Service.objects.get(code=doc["services"][1]["id"])
    assert advocacy.fees_description == "Free"  # its own fees_description wins
    assert ServiceAtLocation.objects.filter(service=advocacy).count() == 2


def test_what_haven_cannot_keep_of_3_0_is_named_in_the_report():
    summary = import_path(JSON_30)
    shelter, advocacy = (f"service {s['id']}" for s in document()["services"])
    notes = "\n".join(summary.notes)
    assert (
        f"fees (deprecated in HSDS 3.0) read as fees_description, which replaces it: {shelter}"
        in notes
    )
    assert (
        "service.fees is deprecated in HSDS 3.0 and Haven does not keep it; it was not "
        f"imported: {advocacy}" in notes
    )
    for field in ("service.wait_time", "service.licenses", "organization.tax_id",
                  "organization.tax_status"):  # fmt: skip
        assert f"{field} is deprecated in HSDS 3.0 and Haven does not keep it" in notes


def test_a_3_0_organisation_imported_again_changes_nothing():
    import_path(JSON_30)
    before = counts()
    summary = import_path(JSON_30)
    assert counts() == before
    assert (summary.created, summary.updated) == (0, 0)


def test_an_imported_3_0_organisation_exports_as_valid_3_1():
    import_path(JSON_30)
    package = exported()
    hv.assert_valid(hv.haven("organization_package"), package)
    hv.assert_valid(hv.official("organization_package"), package)
    (organization,) = [o for o in package if o["id"] == document()["id"]]
    assert {s["name"] for s in organization["services"]} == {
        "Emergency shelter for women and children", "Legal advocacy"
    }  # fmt: skip


def test_a_broken_3_0_file_is_refused_whole_with_every_problem(tmp_path):
    doc = document()
    del doc["name"]
    doc["services"][0]["status"] = "open"
    doc["locations"][0]["addresses"][0]["address_type"] = "street"
    before = counts()
    with pytest.raises(ImportRefused) as refused:
        import_path(write(tmp_path, doc), hsds_version="3.0")
    assert refused.value.problems == [
        Problem("directory-3.0.json", "name", "'name' is a required property"),
        Problem(
            "directory-3.0.json /locations/0/addresses/0/address_type",
            "address_type",
            "'street' is not one of ['physical', 'postal', 'virtual']",
        ),
        Problem(
            "directory-3.0.json /services/0/status",
            "status",
            "'open' is not one of ['active', 'inactive', 'defunct', 'temporarily closed']",
        ),
    ]
    assert counts() == before


# --- Tabular ------------------------------------------------------------------------------------


def test_a_3_0_tabular_package_imports_as_3_1():
    summary = import_path(TABULAR_30)
    assert summary.hsds_version == "3.0"
    assert summary.notes[0].startswith("read as HSDS 3.0 (detected")
    organization = Organization.objects.get(name="Bluebonnet Crisis Center")
    shelter = Service.objects.get(organization=organization, name="Crisis shelter")
    assert shelter.category == Category.EMERGENCY_SHELTER
    assert shelter.fees_description == "None"
    assert Service.objects.get(name="Counselling").category == Category.COUNSELLING
    office = Location.objects.get(name="Bluebonnet Counselling Office")
    assert office.latitude is not None  # the centre of ZIP 78701
    notes = "\n".join(summary.notes)
    assert "services.csv row 2" in notes  # where the deprecated fields were
    assert "service.licenses is deprecated in HSDS 3.0" in notes


def test_a_3_0_package_zipped_imports_and_again_changes_nothing(tmp_path):
    archive = Path(shutil.make_archive(str(tmp_path / "bluebonnet"), "zip", TABULAR_30))
    first = import_path(archive)
    assert first.hsds_version == "3.0"
    assert first.created > 0
    before = counts()
    again = import_path(TABULAR_30)
    assert counts() == before
    assert (again.created, again.updated) == (0, 0)
    hv.assert_valid(hv.haven("organization_package"), exported())


def test_a_broken_3_0_package_is_refused_with_the_row_and_field(tmp_path):
    package = copy_package(tmp_path)
    services = package / "services.csv"
    services.write_text(services.read_text().replace(",active,", ",open,", 1))
    locations = package / "locations.csv"
    locations.write_text(locations.read_text().replace("30.2672", "north", 1))
    with pytest.raises(ImportRefused) as refused:
        import_path(package)
    assert refused.value.problems == [
        Problem("locations.csv row 2", "latitude", "'north' is not a number"),
    ]  # the reader's own checks come first; the schema's once the package reads
    locations.write_text((TABULAR_30 / "locations.csv").read_text())
    with pytest.raises(ImportRefused) as refused:
        import_path(package)
    assert refused.value.problems == [
        Problem(
            "services.csv row 2",
            "status",
            "'open' is not one of ['active', 'inactive', 'defunct', 'temporarily closed']",
        ),
    ]
    assert counts() == dict.fromkeys(counts(), 0)


# --- Which version ------------------------------------------------------------------------------


def test_a_3_1_file_is_detected_by_what_3_1_added():
    summary = import_path(JSON_31)
    assert summary.hsds_version == "3.1"
    assert summary.notes[0].startswith("read as HSDS 3.1 (detected: it holds what HSDS 3.1 added")
    assert "organization.additional_websites" in summary.notes[0]
    assert not any("deprecated in HSDS 3.0" in note for note in summary.notes)


def test_a_3_1_package_is_detected_by_its_3_1_tables():
    summary = import_path(TABULAR_31, allow_dangling=True)
    assert summary.hsds_version == "3.1"
    assert "attribute.label" in summary.notes[0]
    assert "service_capacity table" in summary.notes[0]


def test_a_package_declaring_3_1_is_read_as_3_1(tmp_path):
    package = copy_package(tmp_path)
    descriptor = json.loads((package / "datapackage.json").read_text())
    descriptor["version"] = "3.1.0"
    (package / "datapackage.json").write_text(json.dumps(descriptor))
    summary = import_path(package)
    assert summary.hsds_version == "3.1"
    assert "datapackage.json version 3.1.0" in summary.notes[0]
    assert Service.objects.get(name="Crisis shelter").fees_description == ""  # no upgrade


def test_the_version_asked_for_is_used():
    as_31 = import_path(JSON_30, hsds_version="3.1", dry_run=True)
    assert as_31.hsds_version == "3.1"
    assert as_31.notes[0] == "read as HSDS 3.1 (as asked)"
    as_30 = import_path(JSON_31, hsds_version="3.0", dry_run=True)
    assert as_30.hsds_version == "3.0"
    assert as_30.notes[0].startswith("read as HSDS 3.0 (as asked; it also holds what HSDS 3.1")


def test_detection_in_short():
    assert detect("auto").version == "3.0"
    assert detect("auto", fields=["service.capacities"]).version == "3.1"
    assert detect("auto", tables=["url"]).version == "3.1"
    assert detect("auto", declared="3.0.0").version == "3.0"  # official 3.1 says 3.0.0 too
    assert detect("auto", declared="3.1").version == "3.1"
    assert detect("3.0", tables=["unit"]).version == "3.0"


def test_the_command_takes_a_version_and_says_which_it_used():
    err, out = StringIO(), StringIO()
    call_command("import_hsds", str(JSON_30), "--hsds-version", "3.0", stdout=out, stderr=err)
    assert "note: read as HSDS 3.0 (as asked)" in err.getvalue()
    assert "Imported 1 organisations" in out.getvalue()
    with pytest.raises(CommandError, match=r"invalid choice: '2\.0'"):
        call_command("import_hsds", str(JSON_30), "--hsds-version", "2.0")


def test_a_steward_imports_a_3_0_file_through_the_page(cast, signed_in):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    steward = signed_in(cast.steward)
    url = reverse("directory:hsds-import")
    assert 'name="hsds_version"' in steward.get(url).content.decode()

    def upload(version: str):
        data = {"file": SimpleUploadedFile("safe-harbor.json", JSON_30.read_bytes())}
        return steward.post(url, {**data, "hsds_version": version})

    page = upload("3.0")
    assert page.status_code == 200
    assert "Read as HSDS 3.0." in page.content.decode()
    assert Organization.objects.filter(name="Safe Harbor Family Services").exists()
    assert upload("2.0").status_code == 400


def test_a_version_haven_does_not_read_is_refused():
    with pytest.raises(ValueError, match=r"say one of auto, 3\.0, 3\.1"):
        import_path(JSON_30, hsds_version="2.0")
