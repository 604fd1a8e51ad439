"""The search page and the listing page (HTML)."""

import re
from datetime import UTC, datetime

import pytest
import time_machine

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


@time_machine.travel(datetime(2026, 11, 20, 15, tzinfo=UTC), tick=False)
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
        "Last verified with the provider on Nov. 2, 2026.",
        "Mon–Fri: 09:00–17:00",
        "Closed Nov. 26, 2026 – Nov. 27, 2026",
        "Closed Dec. 24, 2026 – Dec. 25, 2026",
        "Arabic, English, Spanish, Vietnamese",
        "Open now",
    ):
        assert text in html, text


@time_machine.travel(datetime(2026, 12, 26, 15, tzinfo=UTC), tick=False)
def test_past_closures_are_not_listed(client, demo):
    location = Location.objects.get(name="Lone Star Legal Aid — Downtown")
    html = client.get(location.get_absolute_url()).content.decode()
    assert "Closed Nov. 26" not in html
    assert "Closed Dec. 24" not in html


def test_an_unknown_listing_is_a_404(client, db):
    assert client.get("/locations/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/locations/not-a-uuid/").status_code == 404
