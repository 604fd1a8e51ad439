"""GET /api/v1/search — the acceptance cases of the foundation issue, and the filters."""

import pytest

from directory.models import (
    AccessibilityFeature,
    Category,
    Location,
    Population,
    Service,
    ServicePopulation,
)
from tests.factories import ServiceAtLocationFactory, ServiceFactory, listed_location, reindex

pytestmark = pytest.mark.django_db

URL = "/api/v1/search"
DALLAS_DEMO = {
    "Trinity Safe Harbor Shelter",
    "Trinity Safe Harbor Outreach Office",
    "Freedom House Dallas",
    "Lone Star Legal Aid — Downtown",
    "Forensic Nursing Clinic",
    "Oak Cliff Youth Refuge",
    "Crisis Line Call Centre",
}


def names(body):
    return [result["location"]["name"] for result in body["results"]]


@pytest.mark.parametrize("near", ["75201", "Dallas, TX", "32.78,-96.80"])
def test_it_finds_the_dallas_demo_services_nearest_first(api_client, demo, near):
    response = api_client.get(URL, {"near": near, "radius_mi": 10})
    assert response.status_code == 200
    body = response.json()
    assert set(names(body)) == DALLAS_DEMO
    assert body["count"] == len(DALLAS_DEMO)
    distances = [result["distance_mi"] for result in body["results"]]
    assert distances == sorted(distances)
    assert all(0 <= d <= 10 for d in distances)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"near": "00000"}, "near", "We don't know the ZIP code 00000"),
        ({"near": "abc"}, "near", "Enter a 5-digit ZIP code"),
        ({}, "near", "Tell us where to search"),
        ({"near": "75201", "radius_mi": 0}, "radius_mi", "at least 1 mile"),
        ({"near": "75201", "radius_mi": 500}, "radius_mi", "at most 200 miles"),
        ({"near": "75201", "radius_mi": "far"}, "radius_mi", "number of miles"),
        ({"near": "75201", "category": "spa"}, "category", "Unknown category “spa”"),
        ({"near": "75201", "population": "x"}, "population", "Unknown population"),
        ({"near": "75201", "accessible": "x"}, "accessible", "Unknown accessibility feature"),
        ({"near": "75201", "language": "english"}, "language", "ISO 639"),
        ({"near": "75201", "open_now": "maybe"}, "open_now", "Use true or false"),
        ({"near": "75201", "page": "0"}, "page", "whole number"),
        ({"near": "75201", "q": "x" * 201}, "q", "at most 200 characters"),
    ],
)
def test_bad_input_gets_a_400_a_person_can_act_on(api_client, params, field, message):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert message in body["detail"]
    assert body["field"] == field
    assert body["code"]


def test_a_page_past_the_end_is_a_404_with_a_message(api_client, demo):
    response = api_client.get(URL, {"near": "75201", "page": 9})
    assert response.status_code == 404
    assert response.json() == {"detail": "There are no more results.", "code": "not_found"}


def test_an_empty_filter_is_the_same_as_none(api_client, demo):
    """As an HTML form sends a field left blank; the schema allows empty values for it."""
    plain = api_client.get(URL, {"near": "75201"}).json()
    filters = ("radius_mi", "q", "category", "population", "language", "accessible",
               "open_now", "has_beds", "page")  # fmt: skip
    empty = dict.fromkeys(filters, "")
    assert api_client.get(URL, {"near": "75201", **empty}).json() == plain


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get_is_allowed(api_client, method):
    response = getattr(api_client, method)(URL, {"near": "75201"})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_the_radius_limits_the_results(api_client, demo):
    near = api_client.get(URL, {"near": "75201", "radius_mi": 1}).json()
    far = api_client.get(URL, {"near": "75201", "radius_mi": 200}).json()
    assert 0 < near["count"] < far["count"]
    assert all(r["distance_mi"] <= 1 for r in near["results"])


def test_results_are_paginated(api_client, db, settings):
    for index in range(25):
        listed_location(
            name=f"Shelter {index:02d}", latitude=32.79 + index * 0.001, longitude=-96.80
        )
    first = api_client.get(URL, {"near": "32.79,-96.80"}).json()
    assert first["count"] == 25
    assert len(first["results"]) == settings.HAVEN_SEARCH_PAGE_SIZE
    assert first["previous"] is None
    assert "page=2" in first["next"]
    second = api_client.get(first["next"]).json()
    assert names(second) == [f"Shelter {i:02d}" for i in range(20, 25)]


def test_it_filters_by_category(api_client, demo):
    body = api_client.get(URL, {"near": "75201", "category": Category.SANE}).json()
    assert names(body) == ["Forensic Nursing Clinic"]


def test_it_filters_by_population(api_client, demo):
    body = api_client.get(URL, {"near": "92101", "population": Population.MEN}).json()
    assert set(names(body)) == {"Coalition Service Centre", "Coalition Men's Safe Home"}


def test_category_and_population_must_match_the_same_service(api_client, db):
    location = listed_location(category=Category.COUNSELLING)
    counselling = location.at_locations.get().service
    ServicePopulation.objects.create(service=counselling, population=Population.MEN)
    shelter = ServiceFactory(organization=location.organization)
    ServiceAtLocationFactory(service=shelter, location=location)
    ServicePopulation.objects.create(service=shelter, population=Population.WOMEN)
    reindex(location)
    # The location has a shelter and serves men, but not in the same service.
    assert (
        api_client.get(URL, {"near": "75201", "category": Category.EMERGENCY_SHELTER}).json()[
            "count"
        ]
        == 1
    )
    assert api_client.get(URL, {"near": "75201", "population": Population.MEN}).json()["count"] == 1
    body = api_client.get(
        URL, {"near": "75201", "category": Category.EMERGENCY_SHELTER, "population": Population.MEN}
    ).json()
    assert body["count"] == 0


def test_it_filters_by_language(api_client, demo):
    body = api_client.get(URL, {"near": "75201", "language": "vi"}).json()
    assert set(names(body)) == {
        "Trinity Safe Harbor Outreach Office",
        "Lone Star Legal Aid — Downtown",
    }


def test_it_filters_by_accessibility(api_client, demo):
    body = api_client.get(URL, {"near": "75201", "accessible": AccessibilityFeature.HEARING}).json()
    assert names(body) == ["Lone Star Legal Aid — Downtown"]


def test_it_filters_by_police_referrals(api_client, demo):
    body = api_client.get(URL, {"near": "75201", "accepts_police_referrals": "true"}).json()
    assert "Crisis Line Call Centre" not in names(body)
    assert "Freedom House Dallas" in names(body)


def test_it_searches_words_in_names_and_descriptions(api_client, demo):
    assert names(api_client.get(URL, {"near": "75201", "q": "visas"}).json()) == [
        "Lone Star Legal Aid — Downtown"
    ]
    assert names(api_client.get(URL, {"near": "75201", "q": "youth refuge"}).json()) == [
        "Oak Cliff Youth Refuge"
    ]


def test_inactive_services_and_unplaced_locations_are_not_listed(api_client, db):
    closed = listed_location(name="Closed")
    Service.objects.filter(at_locations__location=closed).update(status=Service.Status.DEFUNCT)
    reindex(closed)
    nowhere = Location.objects.create(organization=closed.organization, name="Nowhere")
    ServiceAtLocationFactory(location=nowhere, service=ServiceFactory())
    reindex(nowhere)
    assert api_client.get(URL, {"near": "75201"}).json()["count"] == 0


def test_a_result_has_the_documented_shape(api_client, demo):
    result = api_client.get(URL, {"near": "75201", "q": "legal"}).json()["results"][0]
    assert set(result) == {"distance_mi", "distance_approximate", "open_now", "beds", "location"}
    assert result["beds"] is None  # never for the public
    location = result["location"]
    assert {
        "id",
        "name",
        "confidential",
        "address",
        "latitude",
        "longitude",
        "phones",
        "services",
    } <= set(location)
    assert location["address"]["city"] == "Dallas"
    assert location["phones"][0]["number"] == "(214) 555-0121"
    assert location["services"][0]["category"] in Category.values
    assert location["url"] == f"/locations/{location['id']}/"


def test_a_bad_choice_is_explained_in_the_language_of_the_request(api_client):
    # The message is built when the filter class is defined, so it must stay lazy.
    response = api_client.get(URL, {"near": "75201", "category": "spa"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Valor desconocido para tipo de servicio: «spa».")
