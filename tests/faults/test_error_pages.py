"""What ``handler500`` answers: a lost database is a 503 to retry, anything else a 500;
JSON under /api/, a page elsewhere; neither reads the database nor echoes the request."""

from __future__ import annotations

import json

import pytest
from django.db.utils import InterfaceError, OperationalError

from config.views import server_error


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
