"""``manage.py export_hsds``: JSON that validates as an HSDS organisation package, and a CSV
data package with the official tables and headers. Public unless --members."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from directory.hsds import organizations_listed, service_at_locations_listed, services_listed
from directory.models import Address, Capacity, Location, Organization
from tests.directory import hsds_validation as hv

pytestmark = pytest.mark.django_db

SHELTER = "Trinity Safe Harbor Shelter"  # a confidential demo location with beds
STREET = "2200 Ross Avenue"


@pytest.fixture
def vocabulary(demo):
    terms = hv.vocabulary()
    place = Location.objects.get(name=SHELTER)
    hv.tag(place.code, "location", terms["child"])
    return terms


def export_json(*args):
    out = io.StringIO()
    call_command("export_hsds", "--format", "json", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def read_table(directory, path):
    with (directory / path).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def canaries():
    place = Location.objects.get(name=SHELTER)
    return [STREET, json.dumps(place.latitude), json.dumps(place.longitude)]


# --- JSON -----------------------------------------------------------------------------------


def test_the_public_json_export_validates_as_an_organisation_package(vocabulary):
    package = export_json()
    hv.assert_valid(hv.haven("organization_package"), package)
    assert [o["name"] for o in package] == list(
        organizations_listed().order_by("name", "pk").values_list("name", flat=True)
    )
    services = [s for o in package for s in o["services"]]
    assert len(services) == services_listed().count()
    text = json.dumps(package)
    for canary in canaries():
        assert not hv.leaked(canary, text), canary
    assert "capacities" not in text
    shelter = next(p for p in hv.locations_in(package) if p["name"] == SHELTER)
    assert shelter["location_type"] == "redacted"
    assert shelter["addresses"] == []
    assert shelter["attributes"][0]["taxonomy_term"]["name"] == "Safe Housing"


def test_the_members_json_export_has_beds_but_never_confidential_addresses(demo):
    package = export_json("--members")
    hv.assert_valid(hv.haven("organization_package"), package)
    text = json.dumps(package)
    for canary in canaries():
        assert not hv.leaked(canary, text), canary
    capacities = [c for o in package for s in o["services"] for c in s.get("capacities", [])]
    assert len(capacities) == Capacity.objects.count()
    assert {c["unit"]["identifier"] for c in capacities} == {"bed"}
    shelter = next(p for p in hv.locations_in(package) if p["name"] == SHELTER)
    assert shelter["location_type"] == "redacted"


def test_the_json_export_can_go_to_a_file(demo, tmp_path):
    target = tmp_path / "directory.json"
    err = io.StringIO()
    call_command("export_hsds", "--output", str(target), stderr=err)
    package = json.loads(target.read_text())
    assert len(package) == organizations_listed().count()
    assert f"Wrote {len(package)} organisations." in err.getvalue()


def test_every_export_is_audited(demo, tmp_path):
    export_json("--members")
    call_command("export_hsds", "--format", "csv", "--output", str(tmp_path), stderr=io.StringIO())
    events = list(AuditEvent.objects.filter(action="directory.hsds_exported").order_by("sequence"))
    assert [e.data for e in events] == [
        {"format": "json", "members": True},
        {"format": "csv", "members": False},
    ]


# --- CSV ------------------------------------------------------------------------------------


def official_package():
    return hv.load("3.1/datapackage.json")


def schema_columns(name):
    """A table's columns from its per-object schema: its scalar properties, in order."""
    schema = hv.load(f"3.1/schema/{name}.json")
    return [
        key
        for key, spec in schema["properties"].items()
        if spec.get("type") in ("string", "number", "integer", "boolean")
    ]


@pytest.fixture
def public_csv(vocabulary, tmp_path):
    call_command("export_hsds", "--format", "csv", "--output", str(tmp_path), stderr=io.StringIO())
    return tmp_path


def test_the_csv_export_has_every_official_table_with_its_headers(public_csv):
    written = json.loads((public_csv / "datapackage.json").read_text())
    by_name = {resource["name"]: resource for resource in written["resources"]}
    for resource in official_package()["resources"]:
        header, _rows = read_table(public_csv, resource["path"])
        official = [field["name"] for field in resource["schema"]["fields"]]
        if resource["name"] in ("service_capacity", "unit"):
            # Upstream's datapackage.json lists too few fields for these two: the export
            # completes them from the object's own schema (the example CSVs agree).
            assert set(official) <= set(header)
            assert header == schema_columns(resource["name"])
        else:
            assert header == official, resource["name"]
        assert [f["name"] for f in by_name[resource["name"]]["schema"]["fields"]] == header
        assert by_name[resource["name"]]["path"] == resource["path"]


def test_the_csv_export_has_a_row_for_each_object(public_csv, vocabulary):
    def ids(path):
        return {row["id"] for row in read_table(public_csv, path)[1]}

    def codes(queryset):
        return {str(code) for code in queryset.values_list("code", flat=True)}

    assert ids("organizations.csv") == codes(organizations_listed())
    assert ids("services.csv") == codes(services_listed())
    assert ids("locations.csv") == codes(Location.objects.filter(search_listed=True))
    assert ids("service_at_location.csv") == codes(service_at_locations_listed())
    public_addresses = Address.objects.filter(
        location__search_listed=True, location__confidential=False
    )
    assert ids("addresses.csv") == codes(public_addresses)
    assert ids("taxonomies.csv") == {str(vocabulary["taxonomy"].code)}
    assert len(ids("taxonomy_terms.csv")) == 2
    assert len(ids("attributes.csv")) == 1
    for table in ("phones.csv", "schedules.csv", "languages.csv", "accessibility.csv"):
        assert ids(table), table
    assert ids("service_capacity.csv") == ids("units.csv") == set()


def test_csv_rows_keep_their_links(public_csv):
    _h, services = read_table(public_csv, "services.csv")
    organizations = {row["id"] for row in read_table(public_csv, "organizations.csv")[1]}
    assert {row["organization_id"] for row in services} <= organizations
    locations = {row["id"]: row for row in read_table(public_csv, "locations.csv")[1]}
    for row in read_table(public_csv, "service_at_location.csv")[1]:
        assert row["location_id"] in locations
        assert row["service_id"] in {s["id"] for s in services}
    for row in read_table(public_csv, "addresses.csv")[1]:
        assert locations[row["location_id"]]["location_type"] == "physical"
    phones = read_table(public_csv, "phones.csv")[1]
    assert all(row["location_id"] or row["service_id"] or row["organization_id"] for row in phones)


def test_the_public_csv_redacts_confidential_locations(public_csv):
    text = "".join(path.read_text() for path in public_csv.glob("*.csv"))
    for canary in canaries():
        assert not hv.leaked(canary, text), canary
    locations = {row["name"]: row for row in read_table(public_csv, "locations.csv")[1]}
    assert locations[SHELTER]["location_type"] == "redacted"
    assert locations[SHELTER]["latitude"] == locations[SHELTER]["longitude"] == ""


def test_havens_profile_goes_to_its_own_tables(public_csv):
    header, services = read_table(public_csv, "haven_service.csv")
    assert header[:3] == ["service_id", "category", "populations"]
    assert len(services) == services_listed().count()
    shelter = next(row for row in services if row["category"] == "emergency_shelter")
    assert shelter["intake_24_7"] == "true"
    _h, locations = read_table(public_csv, "haven_location.csv")
    assert {row["confidential"] for row in locations} == {"true", "false"}
    _h, closures = read_table(public_csv, "haven_schedule_exception.csv")
    assert closures
    assert all(row["location_id"] for row in closures)
    _h, phones = read_table(public_csv, "haven_phone.csv")
    assert {row["intake"] for row in phones} == {"true", "false"}


def test_the_members_csv_has_beds_but_no_confidential_address(demo, tmp_path):
    call_command(
        "export_hsds", "--format", "csv", "--members", "--output", str(tmp_path),
        stderr=io.StringIO(),
    )  # fmt: skip
    _h, addresses = read_table(tmp_path, "addresses.csv")
    assert STREET not in {row["address_1"] for row in addresses}
    _h, capacities = read_table(tmp_path, "service_capacity.csv")
    assert len(capacities) == Capacity.objects.count()
    assert all(row["unit_id"] and row["service_id"] and row["updated"] for row in capacities)
    _h, units = read_table(tmp_path, "units.csv")
    assert [row["name"] for row in units] == ["Bed"]
    _h, beds = read_table(tmp_path, "haven_service_capacity.csv")
    assert {row["population"] for row in beds} >= {"women", "men"}


def test_csv_needs_an_output_directory(db):
    with pytest.raises(CommandError, match="--output DIRECTORY is required"):
        call_command("export_hsds", "--format", "csv")


def test_an_empty_directory_exports_an_empty_package(db, tmp_path):
    assert export_json() == []
    Organization.objects.create(name="Nothing listed")
    assert export_json("--members") == []


def test_a_csv_export_that_fails_leaves_no_half_written_package(demo, tmp_path, monkeypatch):
    """Rows are written as they are walked, under temporary names that become the files'
    only when the whole package is done."""
    from directory import hsds_export

    def broken():
        raise RuntimeError("the database went away")

    monkeypatch.setattr(hsds_export, "taxonomies_find", broken)
    with pytest.raises(RuntimeError):
        hsds_export.export_csv(tmp_path, members=False)
    assert list(tmp_path.iterdir()) == []


def test_an_entity_reached_twice_is_written_once(public_csv):
    """A location sits under its organisation and again under each service at it."""
    for path in ("locations.csv", "addresses.csv", "phones.csv", "schedules.csv"):
        _h, rows = read_table(public_csv, path)
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)), path
