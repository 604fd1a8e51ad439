"""The search page and the listing page (HTML)."""

import re

import pytest

from directory.models import Location

pytestmark = pytest.mark.django_db


def test_the_search_page_offers_the_form(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    for name in (
        "near",
        "radius_mi",
        "category",
        "population",
        "language",
        "accessible",
        "q",
        "open_now",
        "accepts_police_referrals",
    ):
        assert f'id="id_{name}"' in html
        assert f'for="id_{name}"' in html


def test_the_search_page_lists_results_nearest_first(client, demo):
    response = client.get("/", {"near": "75201", "radius_mi": "10"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "7 places found" in html
    distances = [float(m) for m in re.findall(r'class="distance">(?:about )?([\d.]+) mi', html)]
    assert len(distances) == 7
    assert distances == sorted(distances)
    assert 'href="tel:2145550121"' in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"near": "00000"}, "We don&#x27;t know the ZIP code 00000"),
        ({"near": "75201", "radius_mi": "500"}, "at most 200 miles"),
        ({"near": ""}, "Tell us where to search"),
    ],
)
def test_the_search_page_shows_the_same_message_as_the_api(client, params, message):
    response = client.get("/", params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html


def test_the_search_page_refuses_post(client):
    assert client.post("/", {"near": "75201"}).status_code == 405


def test_a_listing_shows_how_to_get_help(client, demo):
    location = Location.objects.get(name="Lone Star Legal Aid — Downtown")
    response = client.get(location.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "1400 Main Street",
        "Immigration legal help for survivors",
        'href="tel:2145550121"',
        "Directions",
        "Last verified with the provider",
        "Mon",
        "Vietnamese",
    ):
        assert text in html, text


def test_an_unknown_listing_is_a_404(client, db):
    assert client.get("/locations/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/locations/not-a-uuid/").status_code == 404
