"""The HSDS import writes in batches: however the records fall into batches, the directory,
its provenance records and the summary come out the same; the command reports progress."""

from __future__ import annotations

import copy
import json
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Model

from directory import hsds_import
from directory.hsds_import import _check_numbers, _fast_validator, _validator, import_path
from directory.hsds_problems import ImportRefused
from directory.models import (
    Address,
    Attribute,
    Location,
    LocationCard,
    Metadata,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServicePopulation,
    Taxonomy,
    TaxonomyTerm,
)

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).parent / "fixtures" / "hsds_json"
CSV_EXAMPLE = Path(__file__).parent / "fixtures" / "hsds_csv"
TABLES: list[type[Model]] = [
    Organization, Location, Address, Phone, Schedule, Service, ServiceAtLocation,
    ServicePopulation, Taxonomy, TaxonomyTerm, Attribute,
]  # fmt: skip
LEFT_OUT = {"id", "created_at", "updated_at"}


def renumbered(doc: Any, number: int) -> Any:
    """The document with every id replaced by one of its own (the taxonomy kept shared)."""
    if isinstance(doc, dict):
        result = {}
        for key, value in doc.items():
            if key in ("id", "location_id", "organization_id", "service_id") and isinstance(
                value, str
            ):
                value = str(uuid.uuid5(uuid.UUID(value), str(number)))
            result[key] = renumbered(value, number)
        if "taxonomy_detail" in doc:  # one taxonomy term, met in every organisation
            result["id"], result["taxonomy_detail"] = doc["id"], doc["taxonomy_detail"]
        return result
    if isinstance(doc, list):
        return [renumbered(item, number) for item in doc]
    return doc


def example(number: int) -> dict[str, Any]:
    doc = json.loads((EXAMPLES / "organization_full.json").read_text())
    return renumbered(doc, number)


def versions() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Six organisations; then four of them again, two changed, and three new ones."""
    first = [example(n) for n in range(6)]
    second = [copy.deepcopy(doc) for doc in first[:4]] + [example(n) for n in range(6, 9)]
    second[0]["name"] = "Renamed organisation"
    second[1]["services"][0]["name"] = "Renamed service"
    second[1]["locations"][0]["latitude"], second[1]["locations"][0]["longitude"] = 40.7, -74.0
    second[2]["services"][0]["minimum_age"] = 16
    return first, second


def snapshot() -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for model in TABLES:
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in LEFT_OUT]
        rows = model._default_manager.values_list(*names)
        tables[model.__name__] = sorted(map(repr, rows))
    # Keys differ with the order rows were written in; compare what points at what by code.
    tables["links"] = sorted(
        ServiceAtLocation.objects.values_list("code", "service__code", "location__code")
    )
    tables["metadata"] = sorted(
        Metadata.objects.values_list(
            "resource_id", "resource_type", "last_action_type", "field_name",
            "previous_value", "replacement_value", "updated_by",
        )
    )  # fmt: skip
    tables["cards"] = sorted(
        json.dumps(body, sort_keys=True)
        for body in LocationCard.objects.values_list("body", flat=True)
    )
    return tables


def scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int) -> tuple[Any, ...]:
    monkeypatch.setattr(hsds_import, "BATCH_RECORDS", batch)
    first, second = versions()
    (tmp_path / "first.json").write_text(json.dumps(first))
    (tmp_path / "second.json").write_text(json.dumps(second))
    with transaction.atomic():
        one = import_path(tmp_path / "first.json")
        two = import_path(tmp_path / "second.json")
        three = import_path(tmp_path / "second.json")
        state = snapshot()
        transaction.set_rollback(True)
    summaries = [(s.created, s.updated, s.unchanged, s.organizations, s.locations, sorted(s.notes))
                 for s in (one, two, three)]  # fmt: skip
    return state, summaries


def by_code(state: dict[str, Any]) -> dict[str, Any]:
    """Foreign keys hold row numbers, which depend on the order of inserts: keep them out."""
    return {name: rows for name, rows in state.items() if name in {"links", "metadata", "cards"}}


def test_batches_of_any_size_give_the_same_directory(tmp_path, monkeypatch):
    whole, whole_summaries = scenario(tmp_path, monkeypatch, batch=1_000_000)
    for batch in (1, 7, 40):
        state, summaries = scenario(tmp_path, monkeypatch, batch=batch)
        assert summaries == whole_summaries
        assert by_code(state) == by_code(whole)
        assert {k: len(v) for k, v in state.items()} == {k: len(v) for k, v in whole.items()}


def test_a_second_import_across_batches_updates_what_changed_and_creates_the_rest(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(hsds_import, "BATCH_RECORDS", 7)
    first, second = versions()
    (tmp_path / "first.json").write_text(json.dumps(first))
    (tmp_path / "second.json").write_text(json.dumps(second))
    import_path(tmp_path / "first.json")
    metadata = Metadata.objects.count()
    summary = import_path(tmp_path / "second.json")
    assert summary.created > 0
    assert summary.updated >= 4
    assert Organization.objects.count() == 9
    assert Organization.objects.get(code=second[0]["id"]).name == "Renamed organisation"
    assert Service.objects.get(code=second[1]["services"][0]["id"]).name == "Renamed service"
    moved = Location.objects.get(code=second[1]["locations"][0]["id"])
    assert (moved.latitude, moved.longitude) == (40.7, -74.0)
    assert moved.ux is not None
    assert moved.time_zone == "America/New_York"
    assert Service.objects.get(code=second[2]["services"][0]["id"]).minimum_age == 16
    # (The example gives one phone and one schedule to its location and service: they move.)
    changes = Metadata.objects.filter(
        last_action_type="update", resource_type__in=["organization", "service", "location"]
    )
    assert sorted(changes.values_list("field_name", flat=True)) == [
        "latitude", "longitude", "minimum_age", "name", "name",
    ]  # fmt: skip
    assert Taxonomy.objects.count() == 1
    assert TaxonomyTerm.objects.count() == 1
    again = Metadata.objects.count()
    assert again > metadata
    summary = import_path(tmp_path / "second.json")
    assert (summary.created, summary.updated) == (0, 0)
    assert Metadata.objects.count() == again


def test_numbers_that_break_a_rule_of_the_table_refuse_the_import(tmp_path):
    doc = example(1)
    doc["services"][0]["minimum_age"], doc["services"][0]["maximum_age"] = 30, 10
    (tmp_path / "ages.json").write_text(json.dumps(doc))
    with pytest.raises(ImportRefused) as refused:
        import_path(tmp_path / "ages.json")
    assert [p.where for p in refused.value.problems] == [f"service {doc['services'][0]['id']}"]
    assert Organization.objects.count() == 0


def full_clean_passes(item: Model) -> bool:
    numeric = hsds_import._number_rules(type(item))
    try:
        item.full_clean(exclude=numeric, validate_unique=False)
    except Exception:
        return False
    return True


def quick_check_passes(item: Model) -> bool:
    try:
        _check_numbers(item, "x")
    except ImportRefused:
        return False
    return True


def test_the_quick_constraint_check_agrees_with_full_clean():
    items: list[Model] = [
        Service(name="x", minimum_age=minimum, maximum_age=maximum)
        for minimum, maximum in [(10, 30), (30, 10), (None, 10), (10, None), (None, None)]
    ]
    items += [
        Location(name="x", latitude=latitude, longitude=longitude)
        for latitude, longitude in [(10.0, 20.0), (None, None), (95.0, 20.0), (10.0, None)]
    ]
    items += [Organization(name="x", year_incorporated=year) for year in (1999, 99999, None)]
    for item in items:
        assert quick_check_passes(item) == full_clean_passes(item), vars(item)
    assert not quick_check_passes(items[1])


@pytest.mark.parametrize("example_name", ["organization_full.json", "service_full.json"])
def test_the_fast_validator_agrees_with_jsonschema(example_name):
    doc = json.loads((EXAMPLES / example_name).read_text())
    kind = "service" if "status" in doc else "organization"
    broken = [copy.deepcopy(doc) for _ in range(4)]
    del broken[0]["name"]
    broken[1]["id"] = 7
    broken[2]["phones"] = [{"id": doc["id"]}]
    broken[3]["email"] = ["not", "text"]
    for candidate in [doc, *broken]:
        slow = not any(True for _ in _validator(kind).iter_errors(candidate))
        assert _fast_validator(kind).is_valid(candidate) == slow
    assert _fast_validator(kind).is_valid(doc)


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_the_command_reports_progress_unless_told_not_to():
    plain = StringIO()
    call_command("import_hsds", str(CSV_EXAMPLE), "--allow-dangling", stdout=StringIO(),
                 stderr=plain)  # fmt: skip
    lines = plain.getvalue()
    for stage in ("reading rows:", "checking records: 1 in", "writing records: 1 in"):
        assert stage in lines
    bar = Terminal()
    call_command("import_hsds", str(CSV_EXAMPLE), "--allow-dangling", stdout=StringIO(),
                 stderr=bar)  # fmt: skip
    assert "writing records" in bar.getvalue()
    assert "100%" in bar.getvalue()
    quiet = StringIO()
    call_command("import_hsds", str(CSV_EXAMPLE), "--allow-dangling", "--no-progress",
                 stdout=StringIO(), stderr=quiet)  # fmt: skip
    assert "records:" not in quiet.getvalue()
