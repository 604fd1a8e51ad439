"""Reading HSDS tabular packages (directory.hsds_tabular): the official example, broken inputs
refused with precise problems, and the untidy inputs spreadsheets produce."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from directory.hsds_problems import ORIGIN, ImportRefused, Problem
from directory.hsds_tabular import NESTING, TabularPackage, read_package, tables
from tests.directory.hsds_validation import assert_valid, load, official, single

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE = FIXTURES / "hsds_csv"  # openreferral/specification 3.1 examples/csv, unchanged
EXAMPLE_JSON = FIXTURES / "organization_full.json"  # examples/organization_full.json

ORG = "6f6c3a5e-0b3e-4a57-9f43-000000000001"
SHELTER = "6f6c3a5e-0b3e-4a57-9f43-000000000002"
ADVOCACY = "6f6c3a5e-0b3e-4a57-9f43-000000000003"
OFFICE = "6f6c3a5e-0b3e-4a57-9f43-000000000004"
AT_OFFICE = "6f6c3a5e-0b3e-4a57-9f43-000000000005"
PHONE = "6f6c3a5e-0b3e-4a57-9f43-000000000006"
ADDRESS = "6f6c3a5e-0b3e-4a57-9f43-000000000007"
TERM = "6f6c3a5e-0b3e-4a57-9f43-000000000008"
ATTRIBUTE = "6f6c3a5e-0b3e-4a57-9f43-000000000009"
NOWHERE = "6f6c3a5e-0b3e-4a57-9f43-0000000000ff"

Files = dict[str, str | bytes]


def small_package() -> Files:
    """A valid package: one organisation, two services, one location with an address."""
    resources = [
        {"name": name, "path": path}
        for name, path in [
            ("organization", "organizations.csv"),
            ("service", "services.csv"),
            ("location", "locations.csv"),
            ("service_at_location", "service_at_location.csv"),
            ("phone", "phones.csv"),
            ("address", "addresses.csv"),
        ]
    ]
    return {
        "datapackage.json": json.dumps({"name": "test", "resources": resources}),
        "organizations.csv": f"id,name,description\n{ORG},Safe Harbor,Shelter and advocacy\n",
        "services.csv": (
            "id,organization_id,name,status\n"
            f"{SHELTER},{ORG},Emergency shelter,active\n"
            f"{ADVOCACY},{ORG},Legal advocacy,active\n"
        ),
        "locations.csv": (
            "id,organization_id,location_type,name,latitude,longitude\n"
            f"{OFFICE},{ORG},physical,Main office,32.7767,-96.797\n"
        ),
        "service_at_location.csv": f"id,service_id,location_id\n{AT_OFFICE},{SHELTER},{OFFICE}\n",
        "phones.csv": f"id,service_id,number\n{PHONE},{SHELTER},555-0100\n",
        "addresses.csv": (
            "id,location_id,address_1,city,state_province,postal_code,country,address_type\n"
            f"{ADDRESS},{OFFICE},1 Main St,Dallas,TX,75201,US,physical\n"
        ),
    }


def write(folder: Path, files: Mapping[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


def zipped(target: Path, files: Mapping[str, str | bytes], *, folder: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(folder + name, content)
    return target


def refusal(path: Path, **options: Any) -> list[Problem]:
    with pytest.raises(ImportRefused) as refused:
        read_package(path, **options)
    return refused.value.problems


def organizations(path: Path, **options: Any) -> list[dict[str, Any]]:
    with read_package(path, **options) as package:
        return list(package.organizations())


def without_origin(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_origin(v) for k, v in value.items() if k != ORIGIN}
    if isinstance(value, list):
        return [without_origin(item) for item in value]
    return value


def objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from objects(item)


# --- the official example ----------------------------------------------------------------------


def test_the_official_example_is_refused_for_its_dangling_foreign_keys() -> None:
    problems = refusal(EXAMPLE)

    assert {(p.where, p.field) for p in problems} == {
        ("attributes.csv row 2", "link_id"),
        ("contacts.csv row 2", "organization_id"),
        ("contacts.csv row 2", "service_at_location_id"),
        ("locations.csv row 2", "organization_id"),
        ("service_areas.csv row 2", "service_at_location_id"),
        ("service_capacity.csv row 2", "service_id"),
        ("service_capacity.csv row 2", "unit_id"),
        ("taxonomy_terms.csv row 2", "taxonomy_id"),
    }
    assert all(p.message.startswith("dangling foreign key: no row of ") for p in problems)
    located = next(p for p in problems if p.where == "locations.csv row 2")
    assert located.message == (
        "dangling foreign key: no row of organizations.csv has id "
        "'985e4a42-bd9f-4edc-911d-0243a4640aca'"
    )


def compare(expected: Any, actual: Any, path: str, found: dict[str, list[str]]) -> None:
    """Record values that differ and parts of ``expected`` that ``actual`` lacks."""
    if isinstance(expected, dict):
        for key, value in expected.items():
            if key not in actual:
                found["missing"].append(f"{path}/{key}")
            else:
                compare(value, actual[key], f"{path}/{key}", found)
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        ours = {item["id"]: item for item in actual}
        for item in expected:
            if item["id"] in ours:
                compare(item, ours[item["id"]], f"{path}[{item['id'][:8]}]", found)
            else:
                found["missing"].append(f"{path}[{item['id'][:8]}]")
    elif expected != actual or type(expected) is not type(actual):
        found["differ"].append(f"{path}: {expected!r} != {actual!r}")


def test_the_official_example_reads_as_the_official_json_example() -> None:
    expected = json.loads(EXAMPLE_JSON.read_text())

    documents = organizations(EXAMPLE, allow_dangling=True)

    assert [document["id"] for document in documents] == [expected["id"]]
    found: dict[str, list[str]] = {"missing": [], "differ": []}
    compare(expected, documents[0], "", found)
    assert found["differ"] == []
    # What the example CSV files cannot say: url.csv has no organization_id or service_id
    # column, and the rest hang from ids that no row has (see the refusal above).
    service = "/services[ac148810]"
    assert sorted(found["missing"]) == sorted(
        [
            "/additional_websites",  # url.csv: no organization_id column
            "/contacts",  # contacts.csv: organization_id dangles
            f"{service}/additional_urls",  # url.csv: no service_id column
            f"{service}/service_at_locations[e94c9f38]/service_areas",  # dangles
            f"{service}/service_at_locations[e94c9f38]/contacts",  # dangles
            f"{service}/capacities",  # service_capacity.csv: service_id dangles
            f"{service}/attributes",  # attributes.csv: link_id names no row
            f"{service}/metadata",  # metadata.csv: resource_id names no row
        ]
    )


def test_the_official_example_says_what_it_left_out() -> None:
    with read_package(EXAMPLE, allow_dangling=True) as package:
        notes = package.notes

    assert notes[0].startswith("datapackage.json holds only the path '../../datapackage.json'")
    assert (
        "url.csv: 1 row(s) belong to no organisation and appear in no organisation "
        in "\n".join(notes)
    )
    assert any(note.startswith("locations.csv row 2: organization_id: dangling") for note in notes)


def test_every_object_says_where_it_came_from() -> None:
    documents = organizations(EXAMPLE, allow_dangling=True)

    everything = list(objects(documents))
    assert len(everything) > 30
    assert all(ORIGIN in item for item in everything)
    assert documents[0][ORIGIN] == "organizations.csv row 2"
    assert documents[0]["services"][0]["phones"][0][ORIGIN] == "phones.csv row 2"


def test_documents_validate_against_the_compiled_organization_schema(tmp_path: Path) -> None:
    validator = official("organization")
    for document in organizations(EXAMPLE, allow_dangling=True):
        assert_valid(validator, without_origin(document))
    for document in organizations(write(tmp_path, small_package())):
        assert_valid(validator, without_origin(document))


def test_taxonomies_and_terms_are_offered_on_their_own(tmp_path: Path) -> None:
    files = {
        "datapackage.json": json.dumps({"resources": []}),
        "taxonomies.csv": f"id,name,description\n{NOWHERE},Open Eligibility,OE v2\n",
        "taxonomy_terms.csv": (
            "id,code,name,description,taxonomy_id\n"
            f"{ADVOCACY},1102,Help Escape Violence,Safety,{NOWHERE}\n"
        ),
    }
    with read_package(write(tmp_path, files)) as package:
        taxonomies = list(package.taxonomies())
        terms = list(package.taxonomy_terms())

    assert [t["name"] for t in taxonomies] == ["Open Eligibility"]
    assert terms[0]["taxonomy_detail"]["name"] == "Open Eligibility"
    assert terms[0][ORIGIN] == "taxonomy_terms.csv row 2"
    assert_valid(single("taxonomy"), without_origin(taxonomies[0]))
    assert_valid(single("taxonomy_term"), without_origin(terms[0]))


def test_attributes_carry_their_taxonomy_term(tmp_path: Path) -> None:
    files = small_package() | {
        "taxonomies.csv": f"id,name,description\n{NOWHERE},Open Eligibility,OE v2\n",
        "taxonomy_terms.csv": f"id,name,description,taxonomy_id\n{TERM},Shelter,,{NOWHERE}\n",
        "attributes.csv": (
            f"id,link_id,taxonomy_term_id,link_entity\n{ATTRIBUTE},{SHELTER},{TERM},service\n"
        ),
    }

    # A required text left empty (the term's description) is read as "", not refused.
    empty = organizations(write(tmp_path / "empty", files))[0]["services"][0]
    assert empty["attributes"][0]["taxonomy_term"]["description"] == ""
    files["taxonomy_terms.csv"] = str(files["taxonomy_terms.csv"]).replace(",,", ",Beds,")
    shelter = organizations(write(tmp_path / "good", files))[0]["services"][0]

    attribute = shelter["attributes"][0]
    assert attribute["taxonomy_term"]["name"] == "Shelter"
    assert attribute["taxonomy_term"]["taxonomy_detail"]["name"] == "Open Eligibility"
    assert attribute[ORIGIN] == "attributes.csv row 2"


def test_the_nesting_is_the_compiled_schemas() -> None:
    """Every nested object of organization.json is filled by NESTING, and nothing else."""
    nested: dict[str, set[tuple[str, str]]] = {}

    def walk(node: dict[str, Any]) -> None:
        for key, spec in node.get("properties", {}).items():
            item = spec.get("items", spec)
            if item.get("type") == "object" and "properties" in item:
                if key not in ("attributes", "metadata", "organization"):
                    nested.setdefault(node["name"], set()).add((key, item["name"]))
                walk(item)

    walk(load("3.1/schema/compiled/organization.json"))

    assert nested == {
        parent: {(key, child) for key, child, _how, _column in edges}
        for parent, edges in NESTING.items()
    }
    for parent, edges in NESTING.items():
        for _key, child, how, column in edges:
            owner = tables()[child if how == "many" else parent]
            target = parent if how == "many" else child
            assert owner.foreign_keys[column] == target


# --- refused inputs ------------------------------------------------------------------------------


def replace(name: str, content: str | bytes) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        files[name] = content

    return change


def remove(name: str) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        del files[name]

    return change


SERVICES = "id,organization_id,name,status\n"
SHELTER_ROW = f"{SHELTER},{ORG},Emergency shelter,active\n"
BROKEN: list[tuple[str, Callable[[Files], None], Problem]] = [
    (
        "missing required column",
        replace("services.csv", f"id,name,status\n{SHELTER},Emergency shelter,active\n"),
        Problem(
            "services.csv row 1",
            "organization_id",
            "required column missing from the header row; the header is: id, name, status",
        ),
    ),
    (
        "missing required columns",
        replace("addresses.csv", f"id,location_id,city\n{ADDRESS},{OFFICE},Dallas\n"),
        Problem(
            "addresses.csv row 1",
            "address_1, state_province, postal_code, country, address_type",
            "required columns missing from the header row; the header is: id, location_id, city",
        ),
    ),
    (
        "dangling foreign key",
        replace(
            "services.csv",
            f"{SERVICES}{SHELTER_ROW}{ADVOCACY},{NOWHERE},Legal,active\n",
        ),
        Problem(
            "services.csv row 3",
            "organization_id",
            f"dangling foreign key: no row of organizations.csv has id '{NOWHERE}'",
        ),
    ),
    (
        "foreign key into a table the package lacks",
        replace(
            "services.csv",
            f"id,organization_id,program_id,name,status\n{SHELTER},{ORG},{NOWHERE},Shelter,active\n",
        ),
        Problem(
            "services.csv row 2",
            "program_id",
            f"dangling foreign key: no row of programs.csv has id '{NOWHERE}' "
            "(the package has no programs.csv)",
        ),
    ),
    (
        "non-UTF-8 file",
        replace(
            "organizations.csv",
            f"id,name,description\n{ORG},Caf\xe9 Refuge,Shelter\n".encode("latin-1"),
        ),
        Problem(
            "organizations.csv line 2",
            "",
            "is not UTF-8 text: byte 0xe9 (byte 41 of the line) cannot be read; only the first "
            "such byte is reported; save the file as UTF-8 (in Excel: CSV UTF-8)",
        ),
    ),
    (
        "UTF-16 file",
        replace(
            "organizations.csv", f"id,name,description\n{ORG},Refuge,Shelter\n".encode("utf-16")
        ),
        Problem(
            "organizations.csv line 1",
            "",
            "is not UTF-8 text: byte 0xff (byte 1 of the line) cannot be read (it looks like "
            "UTF-16); only the first such byte is reported",
        ),
    ),
    (
        "wrong field count",
        replace(
            "services.csv",
            f"{SERVICES}{SHELTER_ROW}{ADVOCACY},{ORG},Legal,active,x\n",
        ),
        Problem("services.csv row 3", "", "has 5 values but the header row has 4 columns"),
    ),
    (
        "duplicate id",
        replace(
            "services.csv",
            f"{SERVICES}{SHELTER_ROW}{SHELTER},{ORG},Legal,active\n",
        ),
        Problem("services.csv row 3", "id", f"duplicate id '{SHELTER}': row 2 has the same id"),
    ),
    (
        "missing datapackage.json",
        remove("datapackage.json"),
        Problem(
            "datapackage.json",
            "",
            "is missing: an HSDS tabular package has a datapackage.json next to its CSV files",
        ),
    ),
    (
        "listed file missing",
        remove("phones.csv"),
        Problem(
            "datapackage.json",
            "resources",
            "lists phones.csv (HSDS table phone), but the package has no such file",
        ),
    ),
    (
        "datapackage.json not JSON",
        replace("datapackage.json", '{"resources": [\n}'),
        Problem("datapackage.json line 2", "", "is not valid JSON: Expecting value"),
    ),
    (
        "not a number",
        replace(
            "locations.csv",
            f"id,organization_id,location_type,latitude\n{OFFICE},{ORG},physical,north\n",
        ),
        Problem("locations.csv row 2", "latitude", "'north' is not a number"),
    ),
    (
        "empty required value",
        replace("services.csv", f"{SERVICES}{SHELTER},{ORG},,active\n"),
        Problem("services.csv row 2", "name", "is empty but required"),
    ),
    (
        "quote never closed",
        replace(
            "services.csv",
            f'{SERVICES}{SHELTER},{ORG},Shelter,active\n{ADVOCACY},{ORG},"Legal,active\n',
        ),
        Problem(
            "services.csv row 3",
            "",
            'a quoted value that starts in this row is never closed (a lone " opens it); '
            "check the quotes (unexpected end of data)",
        ),
    ),
]


@pytest.mark.parametrize(
    ("change", "problem"), [case[1:] for case in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_it_refuses_a_broken_package_with_a_precise_problem(
    tmp_path: Path, change: Callable[[Files], None], problem: Problem
) -> None:
    files = small_package()
    change(files)

    problems = refusal(write(tmp_path, files))

    assert [(p.where, p.field) for p in problems] == [(problem.where, problem.field)]
    assert problems[0].message.startswith(problem.message)


def test_it_lists_every_problem_of_every_file_at_once(tmp_path: Path) -> None:
    files = small_package()
    files["services.csv"] = (
        f"{SERVICES}{SHELTER},{ORG},Shelter,active\n{SHELTER},{NOWHERE},Legal,active\n"
        f"{ADVOCACY},{ORG},Legal,active,extra\n"
    )
    files["organizations.csv"] = b"id,name,description\n\xff\n"
    files["phones.csv"] = f"id,service_id\n{PHONE},{SHELTER}\n"

    problems = refusal(write(tmp_path, files))

    assert [(p.where, p.field) for p in problems] == [
        ("organizations.csv line 2", ""),
        ("phones.csv row 1", "number"),
        ("services.csv row 3", "id"),
        # organizations.csv could not be read: no second-guessing of the ids it may hold
        ("services.csv row 4", ""),
    ]


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    start = data.index(b"organizations.csv") + len("organizations.csv")
    data[start + 5] ^= 0xFF  # inside the first member's compressed data
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [truncate, corrupt])
def test_it_refuses_a_damaged_zip(tmp_path: Path, damage: Callable[[Path], None]) -> None:
    archive = zipped(tmp_path / "package.zip", small_package())
    damage(archive)

    problems = refusal(archive)

    assert [(p.where, p.field) for p in problems] == [("package.zip", "")]
    assert problems[0].message.startswith("is not a readable zip file; it may be incomplete")


def test_it_refuses_a_file_that_is_not_a_package(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")

    assert refusal(tmp_path / "notes.txt") == [
        Problem("notes.txt", "", "is neither a folder nor a .zip file")
    ]


# --- untidy but readable inputs -----------------------------------------------------------------


def test_it_reads_a_byte_order_mark_and_windows_line_ends(tmp_path: Path) -> None:
    files: Files = {
        name: "\ufeff" + str(text).replace("\n", "\r\n") if name.endswith(".csv") else text
        for name, text in small_package().items()
    }

    document = organizations(write(tmp_path, files))[0]

    assert document["id"] == ORG
    assert document["name"] == "Safe Harbor"
    assert document["description"] == "Shelter and advocacy"
    assert [service["name"] for service in document["services"]] == [
        "Emergency shelter",
        "Legal advocacy",
    ]


def test_it_reads_old_mac_line_ends(tmp_path: Path) -> None:
    files = {name: str(text).replace("\n", "\r") for name, text in small_package().items()}

    document = organizations(write(tmp_path, files))[0]

    assert document["services"][1][ORIGIN] == "services.csv row 3"


def test_rows_are_counted_as_a_spreadsheet_counts_them(tmp_path: Path) -> None:
    files = small_package()
    files["services.csv"] = (
        "id,organization_id,name,status,description\r\n"
        f'{SHELTER},{ORG},Emergency shelter,active,"Beds tonight,\r\ncall first\r\n\r\nplease"\r\n'
        "\r\n"
        f'{ADVOCACY},{ORG},"Legal, advocacy",active,\r\n'
    )

    services = organizations(write(tmp_path, files))[0]["services"]

    assert services[0]["description"] == "Beds tonight,\ncall first\n\nplease"
    assert services[0][ORIGIN] == "services.csv row 2"
    assert services[1]["name"] == "Legal, advocacy"
    assert services[1][ORIGIN] == "services.csv row 4"  # after one blank row
    problems = refusal(
        write(
            tmp_path / "broken",
            files | {"services.csv": str(files["services.csv"]) + f"{NOWHERE},{ORG},x,active\r\n"},
        )
    )
    assert [(p.where, p.message) for p in problems] == [
        ("services.csv row 5", "has 4 values but the header row has 5 columns")
    ]


def test_unknown_columns_are_ignored_and_noted_once(tmp_path: Path) -> None:
    files = small_package()
    files["services.csv"] = (
        "status,colour,name,id,organization_id,\n"
        f"active,blue,Emergency shelter,{SHELTER},{ORG},\n"
        f"active,red,Legal advocacy,{ADVOCACY},{ORG},\n"
    )

    with read_package(write(tmp_path, files)) as package:
        [document] = package.organizations()
        services = document["services"]
        notes = package.notes

    assert [s["name"] for s in services] == ["Emergency shelter", "Legal advocacy"]
    assert all("colour" not in service and "" not in service for service in services)
    assert notes == ["services.csv: columns not in HSDS 3.1 ignored: colour, (unnamed)"]


def test_empty_optional_values_are_absent(tmp_path: Path) -> None:
    files = small_package()
    files["services.csv"] = (
        "id,organization_id,name,status,description,minimum_age,email\n"
        f"{SHELTER},{ORG},Emergency shelter,active,,,\n"
        f"{ADVOCACY},{ORG},Legal advocacy,active,  ,18,help@example.org\n"
    )

    shelter, advocacy = organizations(write(tmp_path, files))[0]["services"]

    assert not {"description", "minimum_age", "email"} & set(shelter)
    assert "description" not in advocacy
    assert advocacy["minimum_age"] == 18
    assert advocacy["email"] == "help@example.org"


def test_values_take_the_json_types_hsds_wants(tmp_path: Path) -> None:
    document = organizations(write(tmp_path, small_package()))[0]

    office = document["locations"][0]
    assert office["latitude"] == 32.7767
    assert office["longitude"] == -96.797
    assert document["services"][0]["phones"][0]["number"] == "555-0100"


def test_it_nests_services_locations_and_what_hangs_from_them(tmp_path: Path) -> None:
    document = organizations(write(tmp_path, small_package()))[0]

    shelter, advocacy = document["services"]
    assert [link["id"] for link in shelter["service_at_locations"]] == [AT_OFFICE]
    assert shelter["service_at_locations"][0]["location"]["addresses"][0]["city"] == "Dallas"
    assert shelter["phones"][0]["id"] == PHONE
    assert "service_at_locations" not in advocacy
    assert [location["id"] for location in document["locations"]] == [OFFICE]


def test_a_location_without_an_organisation_is_listed_by_the_services_delivered_there(
    tmp_path: Path,
) -> None:
    files = small_package()
    files["locations.csv"] = f"id,location_type,name\n{OFFICE},physical,Main office\n"

    document = organizations(write(tmp_path, files))[0]

    assert [location["id"] for location in document["locations"]] == [OFFICE]


def test_tables_the_package_does_not_list_may_be_absent(tmp_path: Path) -> None:
    files = small_package()
    resources = json.loads(str(files["datapackage.json"]))["resources"]
    files["datapackage.json"] = json.dumps({"resources": resources[:2]})
    for name in ("locations.csv", "service_at_location.csv", "phones.csv", "addresses.csv"):
        del files[name]

    with read_package(write(tmp_path, files)) as package:
        [document] = package.organizations()

    assert [service["name"] for service in document["services"]] == [
        "Emergency shelter",
        "Legal advocacy",
    ]
    assert package.notes == []


def test_an_unlisted_hsds_file_is_read_and_noted(tmp_path: Path) -> None:
    files = small_package()
    files["datapackage.json"] = json.dumps({"resources": []})
    files["haven_location.csv"] = "location_id,time_zone\n"

    with read_package(write(tmp_path, files)) as package:
        [document] = package.organizations()
        assert len(document["services"]) == 2
        notes = package.notes

    assert "services.csv is not listed in datapackage.json; read as HSDS service" in notes
    assert "files that are not HSDS tables are ignored: haven_location.csv" in notes


@pytest.mark.parametrize("folder", ["", "hsds-export/"])
def test_it_reads_a_zip_with_the_files_at_the_top_or_in_one_folder(
    tmp_path: Path, folder: str
) -> None:
    archive = zipped(tmp_path / "package.zip", small_package(), folder=folder)

    with read_package(archive) as package:
        documents = list(package.organizations())

    assert without_origin(documents) == without_origin(
        organizations(write(tmp_path / "plain", small_package()))
    )
    assert documents[0][ORIGIN] == "organizations.csv row 2"


def test_progress_counts_every_row(tmp_path: Path) -> None:
    counted: list[int] = []

    with read_package(write(tmp_path, small_package()), progress=counted.append) as package:
        assert sum(counted) == sum(package.counts.values()) == 7


def test_a_large_package_is_nested_row_by_row(tmp_path: Path) -> None:
    """Many organisations, each with services delivered at its locations."""
    count = 300

    def uid(kind: int, number: int) -> str:
        return f"{kind:08x}-0000-4000-8000-{number:012x}"

    rows = {
        "organizations.csv": ["id,name,description"],
        "services.csv": ["id,organization_id,name,status"],
        "locations.csv": ["id,organization_id,location_type,name,latitude,longitude"],
        "service_at_location.csv": ["id,service_id,location_id"],
        "phones.csv": ["id,location_id,number"],
    }
    for number in range(count):
        org = uid(1, number // 3)
        if number % 3 == 0:
            rows["organizations.csv"].append(f'{org},Org {number},"Helps, {number}"')
        rows["services.csv"].append(f"{uid(2, number)},{org},Service {number},active")
        rows["locations.csv"].append(f"{uid(3, number)},{org},physical,Place {number},1.5,2")
        rows["service_at_location.csv"].append(
            f"{uid(4, number)},{uid(2, number)},{uid(3, number)}"
        )
        rows["phones.csv"].append(f"{uid(5, number)},{uid(3, number)},555-{number:04d}")
    files: Files = {"datapackage.json": '{"resources": []}'}
    files |= {name: "\n".join(lines) + "\n" for name, lines in rows.items()}

    with read_package(write(tmp_path, files)) as package:
        documents = list(package.organizations())

    assert len(documents) == count // 3
    last = documents[-1]
    assert [s["name"] for s in last["services"]] == ["Service 297", "Service 298", "Service 299"]
    place = last["services"][2]["service_at_locations"][0]["location"]
    assert place["phones"][0]["number"] == "555-0299"
    assert place[ORIGIN] == "locations.csv row 301"
    assert_valid(official("organization"), without_origin(last))


def test_a_package_is_closed_with_its_temporary_folder(tmp_path: Path) -> None:
    archive = zipped(tmp_path / "package.zip", small_package())

    package: TabularPackage = read_package(archive)
    extracted = Path(package._temporary.name)  # type: ignore[union-attr]
    assert extracted.is_dir()
    package.close()

    assert not extracted.exists()


def test_services_and_locations_can_be_read_apart_from_their_organisation(
    tmp_path: Path,
) -> None:
    files = small_package()
    files["locations.csv"] = str(files["locations.csv"]) + f"{NOWHERE},,virtual,Online,,\n"

    with read_package(write(tmp_path, files)) as package:
        [organization] = package.organizations(services=False)
        services = list(package.services())
        locations = list(package.locations())

    assert not {"services", "locations"} & set(organization)
    assert [service["organization_id"] for service in services] == [ORG, ORG]
    assert services[0]["service_at_locations"][0]["location"]["id"] == OFFICE
    assert [location["id"] for location in locations] == [OFFICE, NOWHERE]
    assert locations[0]["addresses"][0][ORIGIN] == "addresses.csv row 2"
    for service in services:
        assert_valid(official("service"), without_origin(service))


@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_lines_split_across_read_chunks_are_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    files = {
        name: "\ufeff" + str(text).replace("\n", "\r\n") if name.endswith(".csv") else text
        for name, text in small_package().items()
    }
    files["services.csv"] = str(files["services.csv"]).replace(
        "Legal advocacy", '"Legal\r\nadvocacy, ¿sí?"'
    )
    monkeypatch.setattr("directory.hsds_tabular.READ_CHUNK", chunk)

    document = organizations(write(tmp_path, files))[0]

    assert document["name"] == "Safe Harbor"
    assert document["services"][1]["name"] == "Legal\nadvocacy, ¿sí?"
    assert document["services"][1][ORIGIN] == "services.csv row 3"
    assert document["locations"][0]["addresses"][0]["address_type"] == "physical"


def test_rows_of_empty_cells_that_spreadsheets_leave_are_skipped(tmp_path: Path) -> None:
    files = small_package()
    files["services.csv"] = str(files["services.csv"]) + ",,,\n" * 1000

    document = organizations(write(tmp_path, files))[0]

    assert [service[ORIGIN] for service in document["services"]] == [
        "services.csv row 2",
        "services.csv row 3",
    ]


def test_a_file_saved_with_semicolons_is_refused_with_a_hint(tmp_path: Path) -> None:
    files = small_package()
    files["organizations.csv"] = f"id;name;description\n{ORG};Safe Harbor;Shelter\n"

    problems = refusal(write(tmp_path, files))

    assert [(p.where, p.field) for p in problems] == [
        ("organizations.csv row 1", "id, name, description")
    ]
    assert problems[0].message.endswith(
        "(the values seem to be separated by semicolons; HSDS CSV uses commas)"
    )
