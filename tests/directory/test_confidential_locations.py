"""A confidential location's street address and exact position never leave the directory."""

import json

import pytest
from django.conf import settings

from directory.models import Address, LocationCard
from directory.selectors import location_get_public, present
from geo.distance import Point, coarsen, haversine_mi
from tests.factories import AddressFactory, PhoneFactory, listed_location, reindex

pytestmark = pytest.mark.django_db

EXACT = Point(32.812345, -96.812345)
CANARIES = [
    "4321 Canary Hideaway Lane",
    "Suite 77 Canary",
    "75299",
    "32.8123",
    "-96.8123",
    "32.812",
    "-96.812",
]


@pytest.fixture
def hidden():
    location = listed_location(
        name="Canary Safe House",
        latitude=EXACT.latitude,
        longitude=EXACT.longitude,
        confidential=True,
    )
    AddressFactory(
        location=location,
        address_1="4321 Canary Hideaway Lane",
        address_2="Suite 77 Canary",
        city="Dallas",
        state_province="TX",
        postal_code="75299",
    )
    PhoneFactory(location=location, number="(214) 555-0199", intake=True)
    return reindex(location)


def assert_no_canary(text):
    for canary in CANARIES:
        assert canary not in text, canary


@pytest.mark.parametrize("near", ["75201", "Dallas, TX", "32.80,-96.80", "32.812345,-96.812345"])
def test_search_api_never_shows_the_address_or_position(api_client, hidden, near):
    response = api_client.get("/api/v1/search", {"near": near})
    assert response.status_code == 200
    (result,) = response.json()["results"]
    location = result["location"]
    assert location["confidential"] is True
    assert location["address"] is None
    assert location["latitude"] is None
    assert location["longitude"] is None
    assert location["area"] == "Dallas, TX"
    assert location["phones"][0]["number"] == "(214) 555-0199"
    assert_no_canary(response.content.decode())


def test_search_page_never_shows_the_address_or_position(client, hidden):
    response = client.get("/", {"near": "75201"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Canary Safe House" in html
    assert "Confidential location" in html
    assert_no_canary(html)


def test_listing_page_never_shows_the_address_position_or_directions(client, hidden):
    response = client.get(hidden.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "(214) 555-0199" in html
    assert "Directions" not in html
    assert "openstreetmap" not in html
    assert_no_canary(html)


@pytest.mark.parametrize(
    "near", ["32.70,-96.70", "32.90,-96.90", "32.812345,-96.812345", "33.2,-96.6"]
)
def test_distance_is_whole_miles_from_the_coarse_cell_not_the_street(api_client, hidden, near):
    lat, lng = map(float, near.split(","))
    (result,) = api_client.get("/api/v1/search", {"near": near, "radius_mi": 100}).json()["results"]
    coarse = coarsen(EXACT, settings.HAVEN_CONFIDENTIAL_GRID_KM)
    expected = max(1, int(haversine_mi(Point(lat, lng), coarse) + 0.5))
    assert result["distance_approximate"] is True
    assert result["distance_mi"] == expected
    assert float(result["distance_mi"]).is_integer()


def test_a_public_location_shows_its_address_and_exact_distance(api_client, db):
    location = listed_location(latitude=32.80, longitude=-96.80)
    AddressFactory(location=location, address_1="1 Open Street")
    reindex(location)
    (result,) = api_client.get("/api/v1/search", {"near": "32.78,-96.80"}).json()["results"]
    assert result["location"]["address"]["address_1"] == "1 Open Street"
    assert result["location"]["latitude"] == 32.80
    assert result["distance_approximate"] is False
    assert result["distance_mi"] == round(
        haversine_mi(Point(32.78, -96.80), Point(32.80, -96.80)), 1
    )


def test_marking_a_location_confidential_moves_it_to_its_coarse_cell(db):
    from directory.services import location_place

    location = listed_location(latitude=EXACT.latitude, longitude=EXACT.longitude)
    assert (location.search_latitude, location.search_longitude) == (
        EXACT.latitude,
        EXACT.longitude,
    )
    location_place(location=location, point=EXACT, confidential=True)
    coarse = coarsen(EXACT, settings.HAVEN_CONFIDENTIAL_GRID_KM)
    assert (location.search_latitude, location.search_longitude) == (
        coarse.latitude,
        coarse.longitude,
    )
    assert not Address.objects.exists()


def test_the_search_index_itself_holds_no_street_address_or_position(hidden):
    stored = json.dumps(LocationCard.objects.get(location=hidden).body)
    for canary in ["4321 Canary Hideaway Lane", "Suite 77 Canary", "32.812345", "-96.812345"]:
        assert canary not in stored


def test_members_of_the_owning_organisation_see_the_address(hidden):
    hit = location_get_public(code=hidden.code)
    (outsider,) = present([hit], viewer_organization_ids={hidden.organization_id + 1000})
    (member,) = present([hit], viewer_organization_ids={hidden.organization_id})
    assert outsider["location"]["address"] is None
    assert member["location"]["address"]["address_1"] == "4321 Canary Hideaway Lane"
    assert (member["location"]["latitude"], member["location"]["longitude"]) == (
        EXACT.latitude,
        EXACT.longitude,
    )
    # Revealing it for a member never leaks into the stored card or another viewer's copy.
    (again,) = present([location_get_public(code=hidden.code)])
    assert again["location"]["address"] is None
