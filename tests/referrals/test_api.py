"""The referral API: send with Idempotency-Key, states only, decisions with 409s."""

from __future__ import annotations

import uuid

import pytest

from referrals.models import Referral
from tests.consent.conftest import grant
from tests.referrals.conftest import NAME, PHONE, a_hold, send

pytestmark = pytest.mark.django_db


def body(consent, **overrides):
    data = {
        "consent": str(consent.code), "recipient": str(consent.recipient.code),
        "urgency": "emergency", "services": ["emergency_shelter"],
        "household": {"adults": 1, "children_6_12": 2}, "needs": ["pets"],
        "callback": "+1 214 555 0100", "items": {"name": NAME, "contact": PHONE},
    }  # fmt: skip
    data.update(overrides)
    return data


@pytest.fixture
def officer_api(keyed, signed_in):
    from rest_framework.test import APIClient

    return signed_in(keyed.officer_a.user, APIClient)


def test_send_is_idempotent_and_answers_with_the_state_only(keyed, officer_api):
    consent = grant(keyed.officer_a, keyed.shelter_x).consent
    hold = a_hold(keyed)
    key = str(uuid.uuid4())
    data = body(consent, hold=str(hold.code))
    first = officer_api.post("/api/v1/referrals", data, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = officer_api.post("/api/v1/referrals", data, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201, first.content
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Referral.objects.count() == 1
    assert first.json()["status"] == "sent"
    assert first.json()["hold"] == str(hold.code)
    assert NAME not in first.content.decode()
    state = officer_api.get(f"/api/v1/referrals/{first.json()['id']}")
    assert state.status_code == 200
    assert NAME not in state.content.decode()


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"items": {"name": NAME, "age": "31"}}, 400),  # age not consented
        ({"items": {"shoe_size": "9"}}, 400),
        ({"household": {"adults": 0}}, 400),
        ({"urgency": "soon"}, 400),
        ({"consent": str(uuid.uuid4())}, 400),
    ],
)
def test_bad_sends_are_400s_and_send_nothing(keyed, officer_api, change, status):
    consent = grant(keyed.officer_a, keyed.shelter_x).consent
    data = body(consent)
    data.update(change)
    response = officer_api.post("/api/v1/referrals", data, format="json")
    assert response.status_code == status, response.content
    assert not Referral.objects.exists()
    assert NAME not in response.content.decode()


@pytest.mark.parametrize("name", ["consent", "recipient", "location", "hold"])
def test_an_id_that_names_nothing_is_a_400_on_its_field(keyed, officer_api, name):
    data = {**body(grant(keyed.officer_a, keyed.shelter_x).consent), name: str(uuid.uuid4())}
    response = officer_api.post("/api/v1/referrals", data, format="json")
    assert response.status_code == 400
    assert response.json()["field"] == name
    assert not Referral.objects.exists()


def test_a_consent_for_another_recipient_is_refused(keyed, officer_api):
    consent = grant(keyed.officer_a, keyed.shelter_y).consent
    data = body(consent, recipient=str(keyed.shelter_x.code))
    response = officer_api.post("/api/v1/referrals", data, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "other_recipient"


def test_decisions_and_conflicts(keyed, signed_in):
    from rest_framework.test import APIClient

    referral = send(keyed)
    caseworker = signed_in(keyed.caseworker_x.user, APIClient)
    url = f"/api/v1/referrals/{referral.code}"
    assert caseworker.post(f"{url}/decline", {"reason": "bad"}, format="json").status_code == 400
    assert caseworker.post(f"{url}/accept").json()["status"] == "accepted"
    second = caseworker.post(f"{url}/accept")
    assert second.status_code == 409
    assert second.json()["code"] == "already_decided"
    officer = signed_in(keyed.officer_a.user, APIClient)
    assert officer.post(f"{url}/withdraw").status_code == 409
    assert officer.post(f"{url}/accept").status_code == 403
    outsider = signed_in(keyed.caseworker_y.user, APIClient)
    assert outsider.get(url).status_code == 404
    for member in (keyed.caseworker_y, keyed.officer_b):  # another organisation: a 404
        other = signed_in(member.user, APIClient)
        assert other.get(url).status_code == 404
        for action in ("accept", "withdraw"):
            assert other.post(f"{url}/{action}").status_code == 404
        decline = other.post(f"{url}/decline", {"reason": "other"}, format="json")
        assert decline.status_code == 404
