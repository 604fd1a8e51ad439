"""Responses hold to the OpenAPI schema the API publishes (schemathesis, in-process WSGI)."""

import functools

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@functools.cache
def api_schema() -> schemathesis.schemas.BaseSchema:
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = get_wsgi_application()
    return schema


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
def test_search_responses_match_the_schema(demo, query):
    operation = api_schema()["/api/v1/search"]["GET"]
    case = operation.Case(query=query)
    response = case.call(app=api_schema().app)
    case.validate_response(response)
