"""Validators for HSDS 3.1 documents, built from the schemas vendored in directory/hsds_schema/.

``official(name)`` is the compiled schema exactly as published. ``haven(name)`` is the same
schema with two changes, both made here from published sources: ``location_type`` as in the
proposed ``location_redacted.json`` (it also allows "redacted"), and each object Haven extends
requires a ``haven`` object valid against Haven's profile (directory.hsds.PROFILE).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from directory.hsds import EXTENSION, PROFILE, SCHEMA_DIR

SCHEMAS = SCHEMA_DIR / "3.1" / "schema"
BASE_URI = "https://hsds.invalid/3.1/schema/"
# The HSDS objects Haven always gives a `haven` object, by the schemas' own names.
EXTENDED = ("organization", "service", "location", "phone", "accessibility", "service_capacity")


def _format_checker() -> FormatChecker:
    """jsonschema's checkers plus the two HSDS uses that need optional packages there."""
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def is_datetime(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return datetime.fromisoformat(value).tzinfo is not None

    @checker.checks("uri")
    def is_uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and (parts.netloc or parts.path))

    return checker


FORMATS = _format_checker()


def load(relative: str) -> Any:
    return json.loads((SCHEMA_DIR / relative).read_text())


@functools.cache
def _compiled(name: str) -> dict[str, Any]:
    return load(f"3.1/schema/compiled/{name}.json")


def _objects(schema: Any):
    """Every object schema inside a schema, with its HSDS name."""
    if isinstance(schema, dict):
        if schema.get("type") == "object" and "properties" in schema:
            yield schema.get("name"), schema
        for value in schema.values():
            yield from _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _objects(value)


def with_redacted_locations(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy whose location objects take ``location_type`` from the proposed schema."""
    proposed = load("proposed/location_redacted.json")["properties"]["location_type"]
    assert "redacted" in proposed["enum"]
    schema = copy.deepcopy(schema)
    for name, node in _objects(schema):
        if name == "location" and "location_type" in node["properties"]:
            node["properties"]["location_type"] = copy.deepcopy(proposed)
    return schema


def with_profile(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy in which every object Haven extends requires a valid ``haven`` object."""
    schema = copy.deepcopy(schema)
    for name, node in _objects(schema):
        if name in EXTENDED:
            node["properties"][EXTENSION] = copy.deepcopy(PROFILE["$defs"][name])
            node["required"] = [*node.get("required", []), EXTENSION]
    return schema


@functools.cache
def official(name: str) -> Draft202012Validator:
    """The compiled schema ``name`` (e.g. "service", "organization_package"), unchanged."""
    schema = _compiled(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FORMATS)


@functools.cache
def haven(name: str) -> Draft202012Validator:
    """The compiled schema with redacted locations allowed and Haven's profile required."""
    schema = with_profile(with_redacted_locations(_compiled(name)))
    return Draft202012Validator(schema, format_checker=FORMATS)


@functools.cache
def _registry() -> Registry:
    resources = [
        (BASE_URI + path.name, Resource.from_contents(json.loads(path.read_text()), DRAFT202012))
        for path in SCHEMAS.glob("*.json")
        if path.name != "openapi.json"
    ]
    return Registry().with_resources(resources)


@functools.cache
def single(name: str) -> Draft202012Validator:
    """A per-object schema (``taxonomy``, ``taxonomy_term``…), its ``$ref``s resolved."""
    return Draft202012Validator(
        {"$ref": BASE_URI + f"{name}.json"}, registry=_registry(), format_checker=FORMATS
    )


@functools.cache
def page_validator() -> Draft202012Validator:
    """The HSDS API's ``Page`` (openapi.json), with every field required."""
    page = copy.deepcopy(load("3.1/schema/openapi.json")["components"]["schemas"]["Page"])
    page["required"] = list(page["properties"])
    return Draft202012Validator(page)


def errors(validator: Draft202012Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def assert_valid(validator: Draft202012Validator, document: Any) -> None:
    found = errors(validator, document)
    assert not found, "\n".join(found[:20])


def assert_page(body: dict[str, Any], item: Draft202012Validator) -> None:
    """An HSDS page whose every item validates."""
    assert_valid(page_validator(), {k: v for k, v in body.items() if k != "contents"})
    assert isinstance(body["contents"], list)
    assert body["size"] == len(body["contents"])
    for document in body["contents"]:
        assert_valid(item, document)


def walk(document: Any, key: str):
    """Every value under ``key`` anywhere in a document."""
    if isinstance(document, dict):
        for name, value in document.items():
            if name == key:
                yield value
            yield from walk(value, key)
    elif isinstance(document, list):
        for value in document:
            yield from walk(value, key)


def locations_in(document: Any) -> list[dict[str, Any]]:
    """Every HSDS location in a document (organisations' and services at locations')."""
    found = [place for places in walk(document, "locations") for place in places]
    found += list(walk(document, "location"))
    return found


def vocabulary() -> dict[str, Any]:
    """A small taxonomy (Open Eligibility terms) with a parent and a child term."""
    from directory.models import Taxonomy, TaxonomyTerm

    taxonomy = Taxonomy.objects.create(
        name="Open Eligibility",
        description="Open Eligibility taxonomy v2.0",
        uri="https://github.com/auntbertha/openeligibility",
        version="2.0",
    )
    parent = TaxonomyTerm.objects.create(
        taxonomy=taxonomy, term_code="1102", name="Help Escape Violence", description=""
    )
    child = TaxonomyTerm.objects.create(
        taxonomy=taxonomy,
        parent=parent,
        term_code="1102-01",
        name="Safe Housing",
        description="A safe place to stay.",
        term_uri="https://example.org/openeligibility/safe-housing",
    )
    return {"taxonomy": taxonomy, "parent": parent, "child": child}


def tag(code: Any, entity: str, term: Any) -> Any:
    """Link a directory object to a taxonomy term (an HSDS attribute)."""
    from directory.models import Attribute

    return Attribute.objects.create(link_id=code, link_entity=entity, taxonomy_term=term)


def leaked(canary: str, text: str) -> bool:
    """Is the canary in the text? A coordinate counts only as a whole number, not as the
    seconds of a timestamp ("05:27:32.762345") or the digits of a longer number."""
    if re.fullmatch(r"-?\d+\.\d+", canary):
        return re.search(rf"(?<![\d:.]){re.escape(canary)}(?!\d)", text) is not None
    return canary in text
