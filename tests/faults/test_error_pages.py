"""What ``handler500`` answers: a lost database is a 503 to retry, anything else a 500;
JSON under /api/, a page elsewhere; neither reads the database nor echoes the request."""

from __future__ import annotations

import json

import pytest
from django.db.utils import InterfaceError, OperationalError

from config.views import bad_request, not_found, server_error


def _answer(rf, path: str, error: Exception):
    try:
        raise error
    except Exception:
        return server_error(rf.get(path, {"q": "Marisol"}))


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"),
                                   InterfaceError("connection already closed")])  # fmt: skip
def test_a_lost_database_is_a_503_to_retry(rf, error):
    # No database access is allowed in this test: reading it would fail the test.
    api = _answer(rf, "/api/v1/search", error)
    page = _answer(rf, "/holds/place/", error)
    assert (api.status_code, page.status_code) == (503, 503)
    assert json.loads(api.content)["code"] == "database_unavailable"
    assert api["Retry-After"] == page["Retry-After"] == "5"
    assert "Try again in a moment" in page.content.decode()
    assert "Marisol" not in api.content.decode() + page.content.decode()


def test_a_database_error_wrapped_in_another_is_still_a_503(rf):
    try:
        try:
            raise OperationalError("terminating connection due to administrator command")
        except OperationalError as inner:
            raise RuntimeError("while saving") from inner
    except RuntimeError:
        response = server_error(rf.get("/api/v1/holds"))
    assert response.status_code == 503


def test_any_other_failure_is_a_plain_500(rf):
    api = _answer(rf, "/api/v1/holds", RuntimeError("a bug"))
    page = _answer(rf, "/", RuntimeError("a bug"))
    assert (api.status_code, page.status_code) == (500, 500)
    assert json.loads(api.content) == {
        "detail": "Something went wrong on our side, and nothing was saved. Please try again.",
        "code": "server_error",
    }
    assert "Retry-After" not in api
    assert "a bug" not in page.content.decode()


@pytest.mark.parametrize(("handler", "status"), [(bad_request, 400), (not_found, 404)])
def test_every_error_page_offers_the_quick_exit(rf, settings, handler, status):
    """Someone who may need to leave at once can reach a wrong address too."""
    settings.HAVEN_QUICK_EXIT_URL = "https://weather.example.com/"
    page = handler(rf.get("/consent/portal/", {"q": "Marisol"}), Exception("Marisol"))
    body = page.content.decode()
    assert page.status_code == status
    assert 'id="quick-exit" class="quick-exit" href="https://weather.example.com/"' in body
    assert "Marisol" not in body
    assert "911" in body


def test_the_server_error_page_offers_the_quick_exit(rf, settings):
    settings.HAVEN_QUICK_EXIT_URL = "https://weather.example.com/"
    page = _answer(rf, "/consent/portal/", RuntimeError("a bug"))
    assert 'href="https://weather.example.com/"' in page.content.decode()


@pytest.mark.django_db
def test_an_unknown_address_is_the_404_page(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/Marisol/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "This page does not exist" in body
    assert 'id="quick-exit"' in body
    assert "Marisol" not in body
