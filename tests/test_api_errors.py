"""The API answers in its error format even where no API view runs: an address no route
matches (an id that is not an id), a request Django refuses, a crash."""

import json

import pytest
from django.test import RequestFactory

from config.views import server_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-thing",
        "/api/v1/holds/not-a-uuid",
        "/api/v1/referrals/123/accept",
        "/api/hsds/services/null,null",
    ],
)
def test_an_api_address_nothing_answers_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_pages_keep_their_html_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_request_django_refuses_is_a_json_400_under_the_api(client):
    response = client.get("/api/v1/me", HTTP_HOST="haven.evil.example")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert client.get("/", HTTP_HOST="haven.evil.example")["Content-Type"].startswith("text/html")


def test_a_crash_under_the_api_is_a_json_500_that_says_nothing_of_it():
    response = server_error(RequestFactory().get("/api/v1/referrals"))
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert set(json.loads(response.content)) == {"detail", "code"}
    assert server_error(RequestFactory().get("/"))["Content-Type"].startswith("text/html")
