"""Importing HSDS 3.1 JSON: every official example imports; broken input is refused whole,
with every problem reported; importing again changes nothing."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from directory.hsds_import import import_path
from directory.hsds_problems import ImportRefused
from directory.models import (
    Address,
    Location,
    Metadata,
    Organization,
    Phone,
    Service,
    ServiceAtLocation,
)

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).parent / "fixtures" / "hsds_json"
MODELS = [Organization, Service, Location, ServiceAtLocation, Address, Phone, Metadata]


def counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MODELS}


def write(tmp_path: Path, data: object, name: str = "input.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "example",
    ["organization_full.json", "service_full.json", "organization_list.json", "service_list.json"],
)
def test_every_official_json_example_imports(example):
    summary = import_path(EXAMPLES / example)
    assert summary.organizations >= 1
    data = json.loads((EXAMPLES / example).read_text())
    records = data.get("contents", data) if isinstance(data, dict) else data
    first = records[0] if isinstance(records, list) else records
    if "status" not in first:  # an organisation (a service has a status)
        assert Organization.objects.filter(code=first["id"], name=first["name"]).exists()
    else:
        assert Service.objects.filter(code=first["id"], name=first["name"]).exists()


def test_the_example_organisation_arrives_whole():
    import_path(EXAMPLES / "organization_full.json")
    doc = json.loads((EXAMPLES / "organization_full.json").read_text())
    organization = Organization.objects.get(code=doc["id"])
    assert organization.description == doc["description"]
    service_doc = doc["services"][0]
    service = Service.objects.get(code=service_doc["id"])
    assert service.organization == organization
    assert service.status == service_doc["status"]
    link = service_doc["service_at_locations"][0]
    assert ServiceAtLocation.objects.filter(code=link["id"], service=service).exists()
    place = doc["locations"][0]
    location = Location.objects.get(code=place["id"])
    address = place["addresses"][0]
    assert Address.objects.filter(code=address["id"], location=location,
                                  postal_code=address["postal_code"]).exists()  # fmt: skip


def test_importing_twice_changes_nothing():
    import_path(EXAMPLES / "organization_full.json")
    before = counts()
    summary = import_path(EXAMPLES / "organization_full.json")
    assert counts() == before
    assert summary.created == 0
    assert summary.updated == 0


def test_a_newer_file_updates_what_changed_and_records_it(tmp_path):
    import_path(EXAMPLES / "organization_full.json")
    doc = json.loads((EXAMPLES / "organization_full.json").read_text())
    old = doc["name"]
    doc["name"] = "Example Organization (renamed)"
    summary = import_path(write(tmp_path, doc))
    assert summary.updated == 1
    organization = Organization.objects.get(code=doc["id"])
    assert organization.name == "Example Organization (renamed)"
    change = Metadata.objects.get(resource_id=doc["id"], last_action_type="update")
    assert (change.field_name, change.previous_value) == ("name", old)
    assert change.replacement_value == "Example Organization (renamed)"
    assert change.updated_by == "import:input.json"


def test_dry_run_writes_nothing():
    before = counts()
    summary = import_path(EXAMPLES / "organization_full.json", dry_run=True)
    assert summary.organizations == 1
    assert counts() == before


def broken_organization() -> dict:
    doc = json.loads((EXAMPLES / "organization_full.json").read_text())
    del doc["name"]  # missing required field
    doc["services"][0]["status"] = "sleeping"  # bad enum
    return doc


def test_every_problem_is_reported_and_nothing_is_written(tmp_path):
    good = json.loads((EXAMPLES / "organization_full.json").read_text())
    good["id"] = "0b6ad0e4-4b67-4e4c-8f0a-5d3f1b2c9a11"
    for item in good["services"]:
        item["id"] = "1b6ad0e4-4b67-4e4c-8f0a-5d3f1b2c9a11"
    before = counts()
    with pytest.raises(ImportRefused) as refused:
        import_path(write(tmp_path, [good, broken_organization()]))
    assert counts() == before  # the good record was not written either
    found = {(p.where, p.field) for p in refused.value.problems}
    assert ("input.json /1", "name") in found
    assert ("input.json /1/services/0/status", "status") in found
    status = next(p for p in refused.value.problems if p.field == "status")
    assert "sleeping" in status.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"id": "x", "name": ', "is not valid JSON"),
        ("\u00e9t\u00e9".encode("latin-1"), "is not UTF-8"),
        (b'"just a string"', "is not an HSDS object"),
    ],
)
def test_unreadable_input_is_refused_with_a_reason(tmp_path, content, expected):
    path = tmp_path / "input.json"
    path.write_bytes(content)
    with pytest.raises(ImportRefused) as refused:
        import_path(path)
    assert expected in str(refused.value.problems[0])


def test_a_bom_is_fine(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "organization_full.json").read_bytes())
    assert import_path(path).organizations == 1


def test_the_command_prints_the_report_and_fails(tmp_path):
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 2 problem"):
        call_command("import_hsds", str(write(tmp_path, broken_organization())), stderr=err)
    assert "input.json: name: 'name' is a required property" in err.getvalue()
    out = StringIO()
    call_command("import_hsds", str(EXAMPLES / "organization_full.json"), stdout=out,
                 stderr=StringIO())  # fmt: skip
    assert "Imported 1 organisations" in out.getvalue()


def test_an_unplaceable_location_is_imported_and_reported(tmp_path):
    doc = json.loads((EXAMPLES / "organization_full.json").read_text())
    place = doc["locations"][0]  # latitude 100: not on Earth; postal code not a US ZIP
    summary = import_path(EXAMPLES / "organization_full.json")
    location = Location.objects.get(code=place["id"])
    assert location.latitude is None
    assert any("could not be placed" in note for note in summary.notes)


CSV_EXAMPLE = Path(__file__).parent / "fixtures" / "hsds_csv"


def test_the_official_csv_package_imports_with_its_dangling_links_noted():
    with pytest.raises(ImportRefused) as refused:
        import_path(CSV_EXAMPLE)
    assert any("organization_id" in p.field for p in refused.value.problems)
    assert counts()["Organization"] == 0
    summary = import_path(CSV_EXAMPLE, allow_dangling=True)
    assert summary.organizations >= 1
    assert summary.services >= 1
    assert any("dangling" in note.lower() or "points at" in note for note in summary.notes)
    before = counts()
    import_path(CSV_EXAMPLE, allow_dangling=True)
    assert counts() == before


def test_the_csv_and_json_examples_describe_the_same_organisation():
    import_path(CSV_EXAMPLE, allow_dangling=True)
    doc = json.loads((EXAMPLES / "organization_full.json").read_text())
    organization = Organization.objects.get(code=doc["id"])
    assert organization.name == doc["name"]
    assert Service.objects.filter(code=doc["services"][0]["id"]).exists()


def test_a_truncated_zip_or_a_wrong_header_changes_nothing(tmp_path):
    import shutil

    archive = Path(shutil.make_archive(str(tmp_path / "package"), "zip", CSV_EXAMPLE))
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    wrong = tmp_path / "wrong"
    shutil.copytree(CSV_EXAMPLE, wrong)
    services = wrong / "services.csv"
    services.write_text(services.read_text().replace("organization_id", "org", 1))
    for path in (truncated, wrong):
        with pytest.raises(ImportRefused) as refused:
            import_path(path, allow_dangling=True)
        assert refused.value.problems
        assert all(str(problem) for problem in refused.value.problems)
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_steward_checks_then_imports_through_the_page(cast, signed_in):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    url = reverse("directory:hsds-import")
    steward = signed_in(cast.steward)
    content = (EXAMPLES / "organization_full.json").read_bytes()
    before = counts()["Organization"]

    def upload(name: str, data: bytes, **extra: str):
        return steward.post(url, {"file": SimpleUploadedFile(name, data), **extra})

    checked = upload("directory.json", content, dry_run="on")
    assert checked.status_code == 200
    assert "Checked: no problems" in checked.content.decode()
    assert counts()["Organization"] == before
    imported = upload("directory.json", content)
    assert "Imported." in imported.content.decode()
    assert counts()["Organization"] == before + 1
    assert Metadata.objects.filter(updated_by="import:directory.json").exists()
    doc = json.loads(content)
    del doc["name"]
    refused = upload("broken.json", json.dumps(doc).encode())
    assert refused.status_code == 400
    assert "nothing was imported" in refused.content.decode()
    assert "&#x27;name&#x27; is a required property" in refused.content.decode()
    assert upload("notes.txt", b"hello").status_code == 400
    caseworker = signed_in(cast.caseworker_x.user)
    assert caseworker.get(url).status_code == 403


def test_importing_havens_own_public_export_keeps_confidential_positions(demo, tmp_path):
    from directory.hsds_export import export_json

    path = tmp_path / "public.json"
    with path.open("w") as stream:
        export_json(stream, members=False)
    hidden = {
        place.code: (place.latitude, place.longitude)
        for place in Location.objects.filter(confidential=True)
    }
    assert hidden
    import_path(path)
    for place in Location.objects.filter(code__in=hidden):
        assert place.confidential
        assert (place.latitude, place.longitude) == hidden[place.code]
