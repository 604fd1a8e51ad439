"""Placing imported locations that come without coordinates: the offline gazetteer first (ZIP
code, then city and state), then a network geocoder only when one is configured (mocked here:
no test reaches the network); a location that cannot be placed is imported and flagged."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from geopy.exc import GeocoderTimedOut
from geopy.geocoders import Nominatim

from directory.hsds_import import (
    PLACED_AS_PUBLISHED,
    PLACED_AT_CITY,
    PLACED_AT_ZIP,
    PLACED_BY_GEOCODER,
    import_path,
    place_location,
)
from directory.models import Location
from geo import geocoding
from geo.distance import Point
from geo.gazetteer import gazetteer
from geo.models import GeocodeResult

FIXTURE = Path(__file__).parent / "fixtures" / "hsds_3_0" / "organization_full.json"
DOWNTOWN, SHELTER, OUTREACH = (
    "6f1c2a4e-3b7d-4c1e-9a55-0d2b8e7f4a20",
    "6f1c2a4e-3b7d-4c1e-9a55-0d2b8e7f4a30",
    "6f1c2a4e-3b7d-4c1e-9a55-0d2b8e7f4a40",
)
GEOCODED = (32.7767, -96.7970)


def address(**values: str) -> dict:
    return {
        "id": "0d6f3c1e-2b4a-4e5f-8a9b-1c2d3e4f5a60", "address_1": "1 Main Street",
        "city": "Nowhere Springs", "state_province": "TX", "postal_code": "", "country": "US",
        "address_type": "physical", **values,
    }  # fmt: skip


def location(*addresses: dict, **values: object) -> dict:
    return {"id": "0d6f3c1e-2b4a-4e5f-8a9b-1c2d3e4f5a61", "location_type": "physical",
            "name": "Test place", "addresses": list(addresses), **values}  # fmt: skip


def never(query: str) -> Point | None:
    raise AssertionError(f"the geocoder was asked for {query!r}")


# --- place_location -----------------------------------------------------------------------------


def test_published_coordinates_are_kept():
    placement = place_location(location(latitude=32.78, longitude=-96.8), geocode=never)
    assert placement == (32.78, -96.8, PLACED_AS_PUBLISHED, "")


def test_coordinates_off_the_earth_are_replaced_by_the_zip_code():
    doc = location(address(postal_code="75201-4321"), latitude=100, longitude=101)
    placement = place_location(doc, geocode=never)
    zip_code = gazetteer().zip_code("75201")
    assert zip_code is not None
    assert placement == (zip_code.point.latitude, zip_code.point.longitude, PLACED_AT_ZIP, "75201")


def test_a_physical_address_goes_before_a_postal_one():
    doc = location(
        address(postal_code="78701", address_type="postal"), address(postal_code="75201")
    )
    placement = place_location(doc)
    assert placement is not None
    assert (placement.method, placement.detail) == (PLACED_AT_ZIP, "75201")


def test_without_a_known_zip_code_the_city_and_state_place_it():
    doc = location(address(city="St. Louis", state_province="Missouri", postal_code="none"))
    placement = place_location(doc, geocode=never)
    city = gazetteer().city("Saint Louis", "MO")
    assert city is not None
    assert placement == (
        city.point.latitude,
        city.point.longitude,
        PLACED_AT_CITY,
        city.city + ", MO",
    )


def test_the_gazetteer_is_not_asked_about_addresses_outside_the_us():
    doc = location(address(country="CA", postal_code="75201", city="Dallas"))
    assert place_location(doc) is None


def test_the_geocoder_is_asked_only_when_the_gazetteer_has_nothing():
    asked = []

    def geocode(query: str) -> Point | None:
        asked.append(query)
        return Point(*GEOCODED)

    assert place_location(location(address(postal_code="75201")), geocode=geocode).method == (
        PLACED_AT_ZIP
    )
    assert asked == []
    placement = place_location(location(address(address_2="Suite 4")), geocode=geocode)
    assert placement == (*GEOCODED, PLACED_BY_GEOCODER, "")
    assert asked == ["1 Main Street, Suite 4, Nowhere Springs, TX, US"]


def test_a_virtual_location_never_goes_to_the_geocoder():
    assert place_location(location(address(), location_type="virtual"), geocode=never) is None


def test_nothing_found_anywhere_is_none():
    assert place_location(location(address()), geocode=lambda query: None) is None
    assert place_location(location()) is None


# --- during an import ---------------------------------------------------------------------------


@pytest.fixture
def network_geocoder(settings, monkeypatch):
    """A configured geocoder whose network call is replaced; the queries it was sent."""
    settings.HAVEN_GEOCODER = "nominatim"
    settings.HAVEN_GEOCODER_OPTIONS = {"user_agent": "haven-tests"}
    settings.HAVEN_GEOCODER_MIN_DELAY = 0
    geocoding._geocode_callable.cache_clear()
    calls: list[str] = []

    def fake_geocode(self, query, exactly_one=True, **kwargs):
        calls.append(query)
        if "slow" in query.lower():
            raise GeocoderTimedOut("timed out")
        if "nowhere" in query.lower():
            return None
        return SimpleNamespace(latitude=GEOCODED[0], longitude=GEOCODED[1])

    monkeypatch.setattr(Nominatim, "geocode", fake_geocode)
    yield calls
    geocoding._geocode_callable.cache_clear()


def fixture_with(tmp_path: Path, **outreach: object) -> Path:
    """The 3.0 fixture, its outreach office's address changed."""
    doc = json.loads(FIXTURE.read_text())
    (place,) = [p for p in doc["locations"] if p["id"] == OUTREACH]
    place["addresses"][0].update(outreach)
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(doc))
    return path


def position(code: str) -> tuple[float | None, float | None]:
    place = Location.objects.get(code=code)
    return place.latitude, place.longitude


@pytest.mark.django_db
def test_without_a_geocoder_each_location_is_placed_offline_or_flagged(tmp_path):
    summary = import_path(fixture_with(tmp_path, city="Springfield Gardens", state_province="TX"))
    assert position(OUTREACH) == (None, None)
    assert any(f"location {OUTREACH}" in n and "could not be placed" in n for n in summary.notes)
    summary = import_path(FIXTURE)
    assert position(DOWNTOWN) == (32.7831, -96.8067)
    shelter = gazetteer().zip_code("75204")
    assert shelter is not None
    assert position(SHELTER) == (shelter.point.latitude, shelter.point.longitude)
    fort_worth = gazetteer().city("Fort Worth", "TX")
    assert fort_worth is not None
    assert position(OUTREACH) == (fort_worth.point.latitude, fort_worth.point.longitude)
    assert (
        f"location {OUTREACH} (Safe Harbor Fort Worth Outreach) has no coordinates and no known "
        "ZIP code: placed at the centre of Fort Worth, TX; check its position" in summary.notes
    )


@pytest.mark.django_db
def test_a_configured_geocoder_places_what_the_gazetteer_cannot_and_is_cached(
    tmp_path, network_geocoder
):
    path = fixture_with(tmp_path, city="Springfield Gardens", address_1="12 Elm Street")
    summary = import_path(path)
    assert position(OUTREACH) == GEOCODED
    assert network_geocoder == ["12 Elm Street, Springfield Gardens, Texas, US"]  # only it
    assert GeocodeResult.objects.filter(found=True).count() == 1
    assert not any("could not be placed" in note for note in summary.notes)
    again = import_path(path)
    assert network_geocoder == ["12 Elm Street, Springfield Gardens, Texas, US"]  # cached
    assert (again.created, again.updated) == (0, 0)


@pytest.mark.django_db
def test_an_address_the_geocoder_cannot_find_is_imported_and_flagged(tmp_path, network_geocoder):
    summary = import_path(fixture_with(tmp_path, city="Nowhere Gardens"))
    assert network_geocoder == ["Given on the phone, Nowhere Gardens, Texas, US"]
    assert position(OUTREACH) == (None, None)
    assert Location.objects.get(code=OUTREACH).search_listed is False
    assert any(f"location {OUTREACH}" in n and "could not be placed" in n for n in summary.notes)


@pytest.mark.django_db
def test_a_geocoder_that_fails_is_not_asked_again_in_the_same_import(tmp_path, network_geocoder):
    doc = json.loads(FIXTURE.read_text())
    for number, place in enumerate(doc["locations"]):
        place.pop("latitude", None), place.pop("longitude", None)
        place["addresses"][0].update(city=f"Slow Gardens {number}", postal_code="")
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(doc))
    summary = import_path(path)
    # geo.geocoding tries once more before giving up; the next locations are not looked up
    assert network_geocoder == ["1500 Marilla Street, Slow Gardens 0, TX, US"] * 2
    assert "the geocoder did not answer; the other locations were placed offline only" in (
        summary.notes
    )
    assert Location.objects.filter(latitude__isnull=True).count() == 3


@pytest.mark.django_db
def test_a_confidential_address_never_goes_to_the_geocoder(tmp_path, network_geocoder):
    path = fixture_with(tmp_path, city="Springfield Gardens")
    import_path(path, hsds_version="3.0")
    Location.objects.filter(code=OUTREACH).update(confidential=True, latitude=None, longitude=None)
    network_geocoder.clear()
    GeocodeResult.objects.all().delete()
    summary = import_path(path)
    assert network_geocoder == []
    assert position(OUTREACH) == (None, None)
    assert any(f"location {OUTREACH}" in n and "could not be placed" in n for n in summary.notes)


@pytest.mark.django_db
def test_stewards_find_the_locations_not_placed(tmp_path, cast, signed_in):
    from django.urls import reverse

    import_path(fixture_with(tmp_path, city="Springfield Gardens"))
    steward = signed_in(cast.steward)
    page = steward.get(reverse("admin:directory_location_changelist"), {"placed": "no"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Safe Harbor Fort Worth Outreach" in text
    assert "Safe Harbor Downtown Office" not in text
    placed = steward.get(reverse("admin:directory_location_changelist"), {"placed": "yes"})
    assert "Safe Harbor Downtown Office" in placed.content.decode()


@pytest.mark.django_db
def test_a_position_a_steward_gave_is_kept_when_the_file_cannot_place_it(tmp_path):
    path = fixture_with(tmp_path, city="Springfield Gardens")
    import_path(path)
    assert position(OUTREACH) == (None, None)
    Location.objects.filter(code=OUTREACH).update(latitude=32.75, longitude=-97.33)
    summary = import_path(path)
    assert position(OUTREACH) == (32.75, -97.33)
    assert (
        f"location {OUTREACH} (Safe Harbor Fort Worth Outreach) could not be placed from this "
        "file: it keeps the position it has" in summary.notes
    )
