"""Responses hold to the OpenAPI schema the API publishes (schemathesis, in-process WSGI)."""

import functools
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@functools.cache
def api_schema() -> Any:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(document)


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The real WSGI application, minus what Django's own test client also switches off:
    closing database connections at request boundaries, which would end the test's
    transaction on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


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
