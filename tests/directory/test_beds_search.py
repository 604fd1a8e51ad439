"""Beds in search: members see counts and freshness; the public never sees a number."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accounts.services import token_issue
from directory.services import capacity_update, hold_place
from tests.conftest import verify_session
from tests.factories import shelter_with_beds

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
URL = "/api/v1/search"


@pytest.fixture
def shelters(cast):
    with time_machine.travel(T0, tick=False):
        full = shelter_with_beds(
            cast.shelter_x,
            total=2,
            occupied=2,
            name="Full House",
            latitude=32.790,
            longitude=-96.800,
        )
        free = shelter_with_beds(
            cast.shelter_y,
            total=5,
            occupied=1,
            name="Open House",
            latitude=32.791,
            longitude=-96.801,
        )
        for_men = shelter_with_beds(
            cast.shelter_y,
            total=3,
            occupied=0,
            population="men",
            name="Men's House",
            latitude=32.792,
            longitude=-96.802,
        )
    return full, free, for_men  # fmt: skip


def names(response):
    return [r["location"]["name"] for r in response.json()["results"]]


def member_api(membership):
    from rest_framework.test import APIClient

    return verify_session(APIClient(), membership.user)


def test_the_public_never_sees_bed_numbers(api_client, client, shelters):
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        response = api_client.get(URL, {"near": "32.79,-96.80"})
        page = client.get("/", {"near": "32.79,-96.80"}).content.decode()
        listing = client.get(shelters[1].location.get_absolute_url()).content.decode()
    assert all(result["beds"] is None for result in response.json()["results"])
    for html in (page, listing):
        assert "bed free" not in html
        assert "beds free" not in html
        assert not re.search(r"\b4 beds?\b", html)


def test_the_public_cannot_filter_by_beds(api_client, client, shelters):
    response = api_client.get(URL, {"near": "32.79,-96.80", "has_beds": "true"})
    assert response.status_code == 401
    assert "members of the network" in response.json()["detail"]
    assert client.get("/", {"near": "32.79,-96.80", "has_beds": "on"})["Location"].startswith(
        "/accounts/sign-in/"
    )


def test_members_see_counts_with_their_freshness(cast, shelters):
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        results = member_api(cast.officer_a).get(URL, {"near": "32.79,-96.80"}).json()["results"]
    beds = {r["location"]["name"]: r["beds"] for r in results}
    (open_house,) = beds["Open House"]
    assert (open_house["available"], open_house["total"], open_house["freshness"]) == (
        4,
        5,
        "fresh",
    )
    assert beds["Full House"][0]["available"] == 0


def test_has_beds_keeps_shelters_with_a_free_bed_for_the_group(cast, shelters):
    officer = member_api(cast.officer_a)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        anyone = officer.get(URL, {"near": "32.79,-96.80", "has_beds": "true"})
        women = officer.get(
            URL, {"near": "32.79,-96.80", "has_beds": "true", "population": "women"}
        )
        men = officer.get(URL, {"near": "32.79,-96.80", "has_beds": "true", "population": "men"})
    assert set(names(anyone)) == {"Open House", "Men's House"}
    assert names(women) == ["Open House"]
    assert names(men) == ["Men's House"]


def test_has_beds_counts_holds_and_lets_expired_ones_go(cast, shelters, settings):
    settings.HAVEN_SESSION_IDLE_MINUTES = 24 * 60  # this officer waits an hour between looks
    _full, free, _men = shelters
    with time_machine.travel(T0, tick=False):
        for _ in range(4):
            hold_place(capacity=free, agency=cast.agency_a, placed_by=None)
    officer = member_api(cast.officer_a)
    params = {"near": "32.79,-96.80", "has_beds": "true", "population": "women"}
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        assert names(officer.get(URL, params)) == []
    # The holds expire at 90 minutes; nothing has swept them, yet the beds are free again.
    with time_machine.travel(T0 + timedelta(minutes=91), tick=False):
        assert names(officer.get(URL, params)) == ["Open House"]


def test_has_beds_leaves_out_counts_too_old_to_trust(cast, shelters, settings):
    officer = member_api(cast.officer_a)
    params = {"near": "32.79,-96.80", "has_beds": "true", "population": "women"}
    too_old = T0 + timedelta(hours=settings.HAVEN_BEDS_TRUST_HOURS, seconds=1)
    with time_machine.travel(too_old, tick=False):
        assert names(officer.get(URL, params)) == []
        capacity_update(capacity=shelters[1], by=None, source="web")  # "the counts are right"
        assert names(officer.get(URL, params)) == ["Open House"]


def test_has_beds_skips_a_shelter_on_waitlist(cast, shelters):
    capacity_update(capacity=shelters[1], status="waitlist", by=None, source="web")
    response = member_api(cast.officer_a).get(URL, {"near": "32.79,-96.80", "has_beds": "true",
                                                    "population": "women"})  # fmt: skip
    assert names(response) == []


def test_integrations_need_directory_read_to_see_beds(cast, api_client, shelters):
    reader = token_issue(
        organization=cast.agency_a, name="r", scopes=["directory:read"], issuer=None
    )
    holder = token_issue(organization=cast.agency_a, name="h", scopes=["holds:write"], issuer=None)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {reader.secret}")
    assert api_client.get(URL, {"near": "32.79,-96.80", "has_beds": "1"}).status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {holder.secret}")
    response = api_client.get(URL, {"near": "32.79,-96.80", "has_beds": "1"})
    assert response.status_code == 403
    assert "directory:read" in response.json()["detail"]


def test_unknown_counts_are_hidden_in_the_html_too(cast, signed_in, shelters):
    with time_machine.travel(T0 + timedelta(hours=30), tick=False):
        browser = signed_in(cast.officer_a.user)
        html = browser.get(shelters[1].location.get_absolute_url()).content.decode()
    assert "call to confirm" in html
    assert "beds free" not in html
