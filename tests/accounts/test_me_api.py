"""GET /api/v1/me across the grid of callers."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
URL = "/api/v1/me"


def test_a_verified_member_sees_their_memberships(cast, signed_in):
    body = signed_in(cast.officer_a.user).get(URL).json()
    assert body["kind"] == "person"
    assert body["email"] == "officer.a@example.org"
    assert body["memberships"] == [
        {"organization": {"id": str(cast.agency_a.code), "name": "Agency A", "kind": "agency"},
         "role": "officer"}
    ]  # fmt: skip


def test_anonymous_callers_get_a_401(client, db):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_a_password_only_session_is_not_enough(cast):
    client = Client()
    client.force_login(cast.officer_a.user)
    assert client.get(URL).status_code == 401


def test_only_get_is_allowed(cast, signed_in):
    client = signed_in(cast.officer_a.user, client_class=Client)
    # A verified session must send its CSRF token; with it, the method is still wrong.
    client.handler.enforce_csrf_checks = False
    assert client.post(URL).status_code == 405


def test_state_changes_from_a_session_need_csrf(cast):
    from tests.conftest import verify_session

    client = verify_session(Client(enforce_csrf_checks=True), cast.officer_a.user)
    response = client.post(URL)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
