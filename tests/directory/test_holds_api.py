"""The beds API: place, see, cancel and confirm holds; update counts. The grid of callers."""

import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import token_issue
from directory.models import Hold
from directory.services import hold_place
from tests.conftest import verify_session
from tests.factories import shelter_with_beds

pytestmark = pytest.mark.django_db


@pytest.fixture
def beds(cast):
    return shelter_with_beds(cast.shelter_x, total=2, occupied=0)


@pytest.fixture
def api(cast):
    """api(member) → an API client signed in as that member (both factors)."""
    from rest_framework.test import APIClient

    def make(who=None, token=None):
        client = APIClient()
        if token is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        elif who is not None:
            verify_session(client, who.user)
        return client

    return make


def body(beds, **extra):
    return {"location": str(beds.location.code), "population": "women", **extra}


# --- Placing ------------------------------------------------------------------------------


def test_an_officer_holds_a_bed(api, cast, beds):
    response = api(cast.officer_a).post("/api/v1/holds", body(beds), format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "active"
    assert data["agency"] == str(cast.agency_a.code)
    assert data["location"] == str(beds.location.code)
    assert set(data) == {"id", "status", "location", "location_name", "population", "agency",
                         "created_at", "expires_at", "ended_at"}  # fmt: skip


def test_a_full_shelter_answers_409(api, cast, beds):
    officer = api(cast.officer_a)
    for _ in range(2):
        assert officer.post("/api/v1/holds", body(beds), format="json").status_code == 201
    response = officer.post("/api/v1/holds", body(beds), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "no_bed"
    assert "No bed is free" in response.json()["detail"]


@pytest.mark.parametrize(("who", "status"), [("caseworker_x", 403), ("caseworker_y", 403)])
def test_shelter_staff_do_not_place_holds(api, cast, beds, who, status):
    assert (
        api(getattr(cast, who)).post("/api/v1/holds", body(beds), format="json").status_code
        == status
    )


def test_anonymous_callers_get_a_401(api, beds):
    assert api().post("/api/v1/holds", body(beds), format="json").status_code == 401


def test_an_agency_token_with_holds_write_places_holds(api, cast, beds):
    issued = token_issue(
        organization=cast.agency_a, name="cad", scopes=["holds:write"], issuer=None
    )
    assert (
        api(token=issued.secret).post("/api/v1/holds", body(beds), format="json").status_code == 201
    )
    wrong = token_issue(
        organization=cast.agency_a, name="ro", scopes=["directory:read"], issuer=None
    )
    assert (
        api(token=wrong.secret).post("/api/v1/holds", body(beds), format="json").status_code == 403
    )
    shelter = token_issue(
        organization=cast.shelter_x, name="x", scopes=["holds:write"], issuer=None
    )
    assert (
        api(token=shelter.secret).post("/api/v1/holds", body(beds), format="json").status_code
        == 403
    )


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({"location": None}, 400, "location"),
        ({"location": "not-a-uuid", "population": "women"}, 400, "location"),
        ({"location": str(uuid.uuid4()), "population": "women"}, 404, None),
        ({"population": "dragons"}, 400, "population"),
        ({"population": "men"}, 404, None),  # no beds counted for men there
    ],
)
def test_bad_hold_requests(api, cast, beds, data, status, field):
    data = {"location": str(beds.location.code), "population": "women", **data}
    data = {key: value for key, value in data.items() if value is not None}
    response = api(cast.officer_a).post("/api/v1/holds", data, format="json")
    assert response.status_code == status
    if field:
        assert response.json()["field"] == field
    assert not Hold.objects.exists()


@pytest.mark.parametrize("key", ["", " ", "\t \t", "k" * 256])
def test_an_idempotency_key_of_nothing_or_too_much_is_refused(api, cast, beds, key):
    response = api(cast.officer_a).post(
        "/api/v1/holds", body(beds), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert response.json()["field"] == "Idempotency-Key"
    assert not Hold.objects.exists()


def test_holds_only_take_post(api, cast):
    assert api(cast.officer_a).get("/api/v1/holds").status_code == 405


def test_the_idempotency_key_makes_a_retry_harmless(api, cast, beds):
    officer = api(cast.officer_a)
    first = officer.post("/api/v1/holds", body(beds), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = officer.post("/api/v1/holds", body(beds), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Hold.objects.count() == 1
    other = officer.post(
        "/api/v1/holds", body(beds, population="women", agency=str(cast.agency_a.code)),
        format="json", HTTP_IDEMPOTENCY_KEY="k-1",
    )  # fmt: skip
    assert other.status_code == 422
    # Another caller's identical key is theirs alone.
    theirs = api(cast.officer_b).post("/api/v1/holds", body(beds), format="json",
                                      HTTP_IDEMPOTENCY_KEY="k-1")  # fmt: skip
    assert theirs.status_code == 201
    assert Hold.objects.count() == 2


def test_a_key_past_its_24_hours_counts_as_new_and_the_sweep_forgets_old_keys(api, cast, beds):
    import time_machine
    from django.core.management import call_command

    from idempotency.models import IdempotencyKey

    token = token_issue(
        organization=cast.agency_a, name="dispatch", scopes=["holds:write"], issuer=None
    )
    officer = api(token=token.secret)  # a token, not a session: it outlives 25 hours
    first = officer.post("/api/v1/holds", body(beds), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert first.status_code == 201
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        later = officer.post("/api/v1/holds", body(beds), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
        assert later.status_code == 201
        assert later.json()["id"] != first.json()["id"]
        assert IdempotencyKey.objects.count() == 1  # the old answer is gone, the new one kept
    with time_machine.travel(timezone.now() + timedelta(hours=50)):
        out = io.StringIO()
        call_command("sweep_idempotency_keys", stdout=out)
    assert "1 expired idempotency keys deleted" in out.getvalue()
    assert not IdempotencyKey.objects.exists()


# --- Seeing, cancelling, confirming ------------------------------------------------------


@pytest.fixture
def hold(cast, beds):
    return hold_place(capacity=beds, agency=cast.agency_a, placed_by=cast.officer_a)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("officer_a", 200),
        ("caseworker_x", 200),
        ("admin_x", 200),
        ("officer_b", 404),
        ("caseworker_y", 404),
    ],
)
def test_a_hold_is_seen_by_its_agency_and_its_shelter_only(api, cast, hold, who, status):
    assert api(getattr(cast, who)).get(f"/api/v1/holds/{hold.code}").status_code == status


@pytest.mark.parametrize("who", ["officer_a", "caseworker_x"])
def test_either_side_cancels(api, cast, hold, who):
    response = api(getattr(cast, who)).post(f"/api/v1/holds/{hold.code}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    again = api(getattr(cast, who)).post(f"/api/v1/holds/{hold.code}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "hold_ended"


def test_others_cannot_cancel(api, cast, hold):
    assert api(cast.officer_b).post(f"/api/v1/holds/{hold.code}/cancel").status_code == 404
    assert api().post(f"/api/v1/holds/{hold.code}/cancel").status_code == 401
    assert api(cast.officer_a).get(f"/api/v1/holds/{hold.code}/cancel").status_code == 405


def test_only_the_shelter_confirms_arrival(api, cast, hold):
    assert api(cast.officer_a).post(f"/api/v1/holds/{hold.code}/confirm").status_code == 403
    assert api(cast.caseworker_y).post(f"/api/v1/holds/{hold.code}/confirm").status_code == 404
    response = api(cast.caseworker_x).post(f"/api/v1/holds/{hold.code}/confirm")
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    hold.capacity.refresh_from_db()
    assert (hold.capacity.occupied, hold.capacity.held) == (1, 0)


# --- Counts ---------------------------------------------------------------------------------


def test_the_shelter_updates_counts(api, cast, beds):
    url = f"/api/v1/capacities/{beds.code}"
    response = api(cast.caseworker_x).post(url, {"occupied": 1, "total": 4}, format="json")
    assert response.status_code == 200
    assert response.json()["available"] == 3
    assert api(cast.caseworker_x).get(url).json()["total"] == 4


@pytest.mark.parametrize(("who", "status"), [("officer_a", 404), ("caseworker_y", 404)])
def test_other_organisations_cannot_touch_counts(api, cast, beds, who, status):
    url = f"/api/v1/capacities/{beds.code}"
    assert api(getattr(cast, who)).post(url, {"occupied": 1}, format="json").status_code == status


def test_a_shelter_token_needs_capacity_write(api, cast, beds):
    url = f"/api/v1/capacities/{beds.code}"
    reader = token_issue(
        organization=cast.shelter_x, name="r", scopes=["directory:read"], issuer=None
    )
    assert api(token=reader.secret).post(url, {"occupied": 1}, format="json").status_code == 403
    writer = token_issue(
        organization=cast.shelter_x, name="w", scopes=["capacity:write"], issuer=None
    )
    assert api(token=writer.secret).post(url, {"occupied": 1}, format="json").status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"occupied": -1}, 400, "min_value"),
        ({"total": "many"}, 400, "invalid"),
        ({"status": "maybe"}, 400, "invalid_choice"),
        ({"occupied": 3}, 409, "occupied_above_total"),
        ({"total": 0, "occupied": 0}, 409, "total_below_in_use"),
    ],
)
def test_bad_counts_are_refused(api, cast, beds, hold, data, status, code):
    response = api(cast.caseworker_x).post(f"/api/v1/capacities/{beds.code}", data, format="json")
    assert response.status_code == status
    assert response.json()["code"] == code
    beds.refresh_from_db()
    assert (beds.total, beds.occupied, beds.held) == (2, 0, 1)
