from types import SimpleNamespace

import pytest
from geopy.exc import GeocoderTimedOut
from geopy.geocoders import Nominatim

from geo import geocoding
from geo.models import GeocodeResult
from geo.places import NearError, parse_near


@pytest.mark.parametrize("text", ["75201", "75201-1234", " 75201 "])
def test_it_places_a_zip_code(text):
    place = parse_near(text)
    assert place.point.latitude == pytest.approx(32.7904)
    assert place.time_zone == "America/Chicago"


@pytest.mark.parametrize("text", ["Dallas, TX", "dallas tx", "Dallas, Texas", "DALLAS ,  tx"])
def test_it_places_a_city(text):
    place = parse_near(text)
    assert place.label == "Dallas, TX"
    assert place.point.latitude == pytest.approx(32.81, abs=0.05)


@pytest.mark.parametrize("text", ["32.78,-96.80", "32.78, -96.80", "32.78 -96.80"])
def test_it_places_coordinates(text):
    place = parse_near(text)
    assert (place.point.latitude, place.point.longitude) == (32.78, -96.80)
    assert place.time_zone == "America/Chicago"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("00000", "We don't know the ZIP code 00000"),
        ("abc", "Enter a 5-digit ZIP code (75201)"),
        ("", "Tell us where to search"),
        ("   ", "Tell us where to search"),
        ("91,-200", "Coordinates must be a latitude between -90 and 90"),
        ("Atlantis, TX", "We don't know a city called Atlantis in TX"),
        ("x" * 500, "That is too long"),
        ("750\x0001", "That is too long"),
        ("1200 Main Street, Dallas", "Street addresses can't be looked up"),
    ],
)
def test_it_explains_what_it_cannot_place(text, message):
    with pytest.raises(NearError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_near(text)


@pytest.fixture
def network_geocoder(settings, monkeypatch):
    """A configured geocoder whose network call is replaced; counts the calls made."""
    settings.HAVEN_GEOCODER = "nominatim"
    settings.HAVEN_GEOCODER_OPTIONS = {"user_agent": "haven-tests"}
    settings.HAVEN_GEOCODER_MIN_DELAY = 0
    geocoding._geocode_callable.cache_clear()
    calls = []

    def fake_geocode(self, query, exactly_one=True, **kwargs):
        calls.append(query)
        if "nowhere" in query:
            return None
        if "slow" in query:
            raise GeocoderTimedOut("timed out")
        return SimpleNamespace(latitude=32.7831, longitude=-96.8067)

    monkeypatch.setattr(Nominatim, "geocode", fake_geocode)
    yield calls
    geocoding._geocode_callable.cache_clear()


@pytest.mark.django_db
def test_a_street_address_is_geocoded_once_and_cached_without_the_address(network_geocoder):
    place = parse_near("1500 Marilla Street, Dallas")
    again = parse_near("1500  marilla street, dallas")
    assert place.point == again.point
    assert network_geocoder == ["1500 Marilla Street, Dallas"]
    row = GeocodeResult.objects.get()
    assert "marilla" not in row.query_digest.lower()
    assert place.label == "the address you entered"


@pytest.mark.django_db
def test_an_address_the_geocoder_cannot_find_gets_a_clear_message(network_geocoder):
    with pytest.raises(NearError, match="We couldn't find that address"):
        parse_near("1 nowhere lane")


@pytest.mark.django_db
def test_a_geocoder_timeout_asks_for_a_zip_code_instead(network_geocoder):
    with pytest.raises(NearError, match="Address look-up is not answering"):
        parse_near("1 slow road")
    assert not GeocodeResult.objects.exists()


@pytest.mark.django_db
def test_zip_codes_never_reach_the_geocoder(network_geocoder):
    parse_near("75201")
    parse_near("Dallas, TX")
    assert network_geocoder == []
