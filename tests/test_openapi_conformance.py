"""Responses hold to the OpenAPI schema the API publishes (schemathesis, in-process WSGI),
and the schema documents the error format, links and rate limits of every operation.
tests/fuzz/ generates requests from the same schema for every role."""

import functools
from typing import Any

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator

from accounts.throttles import AnonymousThrottle

pytestmark = pytest.mark.django_db


@functools.cache
def document() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


@functools.cache
def api_schema() -> Any:
    return schemathesis.openapi.from_dict(document())


def operations():
    for path, methods in document()["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


@pytest.mark.parametrize(
    "query",
    [
        {"near": "75201"},
        {"near": "Dallas, TX", "radius_mi": 10, "open_now": "true"},
        {"near": "92101", "population": "men", "category": "safe_home"},
        {"near": "00000"},
        {"near": "75201", "radius_mi": 500},
        {"near": "75201", "page": 99},
        {},
    ],
)
def test_search_responses_match_the_schema(demo, wsgi_app, query):
    case = api_schema()["/api/v1/search"]["GET"].Case(query=query)
    response = case.call(app=wsgi_app)
    case.validate_response(response)


def test_a_throttled_answer_matches_the_schema(db, wsgi_app, monkeypatch):
    """The suite raises the rate limits (tests/fuzz/ would hit them); here one is hit."""
    monkeypatch.setattr(AnonymousThrottle, "THROTTLE_RATES", {"anonymous": "1/min"})
    case = api_schema()["/api/v1/search"]["GET"].Case(query={"near": "00000"})
    assert case.call(app=wsgi_app).status_code == 400
    response = case.call(app=wsgi_app)
    assert response.status_code == 429
    assert int(response.headers["retry-after"][0]) > 0
    case.validate_response(response)


def test_every_operation_documents_its_errors_in_the_one_format():
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for label, operation in operations():
        responses = operation["responses"]
        expected = {"400", "401", "404", "429"}
        if {} not in operation["security"]:
            expected.add("403")
        if "requestBody" in operation:
            expected.add("415")
        assert expected <= set(responses), label
        for status, response in responses.items():
            if status >= "400":
                assert response["content"] == error, (label, status)
        assert "Retry-After" in responses["429"]["headers"], label


def test_creating_and_conflicting_operations_document_409_and_422():
    documented = dict(operations())
    for label in ("POST /api/v1/holds", "POST /api/v1/referrals"):
        parameters = {p["name"]: p for p in documented[label]["parameters"]}
        assert parameters["Idempotency-Key"]["schema"]["maxLength"] == 255
        assert {"201", "409", "422"} <= set(documented[label]["responses"])
    for label, operation in documented.items():
        if label.endswith(("/cancel", "/confirm", "/accept", "/decline", "/withdraw")):
            assert "409" in operation["responses"], label


def test_what_an_answer_creates_is_linked_to_what_opens_it():
    documented = dict(operations())
    links = documented["POST /api/v1/holds"]["responses"]["201"]["links"]
    assert links["hold_get"] == {
        "operationId": "hold_get",
        "parameters": {"code": "$response.body#/id"},
    }
    sent = documented["POST /api/v1/referrals"]["responses"]["201"]["links"]
    assert set(sent) == {"referral_get", "referral_accept", "referral_decline", "referral_withdraw"}
    assert not any("x-links" in operation for _label, operation in operations())


def test_survivor_items_are_only_ever_a_closed_body_object():
    """The nine items travel in the referral body alone: no parameter anywhere takes one (the
    search's `language` is the language a service offers), and the body takes nothing else."""
    items = document()["components"]["schemas"]["ItemsInputRequest"]
    assert items["additionalProperties"] is False
    names = set(items["properties"]) - {"language"}
    for label, operation in operations():
        assert not names & {parameter["name"] for parameter in operation.get("parameters", [])}, (
            label
        )
