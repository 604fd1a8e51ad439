"""The read-only HSDS 3.1 API: every payload validates against the official schemas, the public
never sees a confidential address, a position or a bed count, and members see what is theirs."""

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import token_issue
from directory.hsds import BED_UNIT_ID, PROFILE
from directory.models import Location, Organization, Service, ServiceAtLocation
from directory.services import hold_place
from tests.conftest import verify_session
from tests.directory import hsds_validation as hv
from tests.factories import (
    AddressFactory,
    PhoneFactory,
    ScheduleExceptionFactory,
    ScheduleFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
    ServicePopulationFactory,
    listed_location,
    reindex,
    shelter_with_beds,
)

pytestmark = pytest.mark.django_db

API = "/api/hsds"
CANARY_STREET = "4321 Canary Hideaway Lane"
CANARY_POINT = (32.812345, -96.812345)


def member_api(membership):
    return verify_session(APIClient(), membership.user)


def get(client, path, **params):
    response = client.get(f"{API}{path}", params)
    assert response.status_code == 200, response.content
    return response.json()


def everything(client):
    """Every list and detail document the API serves, as (path, validator name, body)."""
    pages = [
        ("/services", {}, "service_list"),
        ("/services", {"full": "true"}, "service"),
        ("/service_at_locations", {}, "service_at_location_list"),
        ("/service_at_locations", {"full": "true"}, "service_at_location"),
        ("/organizations", {}, "organization_list"),
        ("/organizations", {"full": "true"}, "organization"),
        ("/organizations", {"full": "true", "full_service": "true"}, "organization"),
    ]
    found = []
    for path, params, name in pages:
        body = get(client, path, per_page=100, **params)
        assert body["total_pages"] == 1
        found.append((path, name, body))
    for service in Service.objects.filter(status="active"):
        response = client.get(f"{API}/services/{service.code}")
        if response.status_code == 200:
            found.append(("/services/{id}", "service", response.json()))
    for row in ServiceAtLocation.objects.filter(location__search_listed=True):
        body = get(client, f"/service_at_locations/{row.code}")
        found.append(("/service_at_locations/{id}", "service_at_location", body))
    for org in Organization.objects.all():
        for params in ({}, {"full_service": "true"}):
            response = client.get(f"{API}/organizations/{org.code}", params)
            if response.status_code == 200:
                found.append(("/organizations/{id}", "organization", response.json()))
    return found


def assert_all_valid(found):
    for _path, name, body in found:
        if "contents" in body:
            hv.assert_page(body, hv.haven(name))
        else:
            hv.assert_valid(hv.haven(name), body)


@pytest.fixture
def vocabulary(demo):
    terms = hv.vocabulary()
    shelter = Service.objects.get(name="Emergency shelter for families")
    hv.tag(shelter.code, "service", terms["child"])
    hv.tag(shelter.organization.code, "organization", terms["parent"])
    return terms


@pytest.fixture
def hidden(cast):
    """A confidential shelter of Shelter X with beds, a street address and holiday hours."""
    capacity = shelter_with_beds(
        cast.shelter_x,
        total=6,
        occupied=2,
        name="Canary Safe House",
        latitude=CANARY_POINT[0],
        longitude=CANARY_POINT[1],
        confidential=True,
    )
    cast.shelter_x.intake_email = "canary-intake@shelter-x.example"
    cast.shelter_x.save()
    place = capacity.location
    place.transportation = "Bus 22 to Canary Hideaway Lane"
    place.save()
    AddressFactory(location=place, address_1=CANARY_STREET, postal_code="75299")
    PhoneFactory(location=place, number="(214) 555-0199", extension="12")
    ScheduleFactory(location=place)
    ScheduleExceptionFactory(location=place, start_date="2026-12-24", end_date="2026-12-25")
    reindex(place)
    return capacity


# --- The root and the profile ---------------------------------------------------------------


def test_the_root_declares_hsds_3_1_and_havens_profile(api_client, db):
    body = get(api_client, "/")
    assert body["version"] == "3.1"
    assert body["profile"] == "http://testserver/api/hsds/profile"
    assert body["profile_name"] == "Haven victim-services profile"
    assert body["openapi_url"].startswith("http://testserver/api/schema/")
    assert api_client.get(body["openapi_url"]).status_code == 200


def test_the_profile_is_a_json_schema_of_every_haven_object(api_client, db):
    profile = get(api_client, "/profile")
    hv.Draft202012Validator.check_schema(profile)
    assert profile["$id"] == "http://testserver/api/hsds/profile"
    assert set(profile["$defs"]) >= set(hv.EXTENDED)
    assert "redacted" in profile["description"]


def test_the_documented_profile_schema_is_the_one_served():
    """docs/hsds-profile.schema.json is PROFILE as published (regenerate it from PROFILE)."""
    root = Path(__file__).resolve().parents[2]
    documented = json.loads((root / "docs" / "hsds-profile.schema.json").read_text())
    assert documented == json.loads(json.dumps(PROFILE))


# --- Every payload validates ----------------------------------------------------------------


def test_every_public_payload_validates_against_the_compiled_schemas(api_client, vocabulary):
    found = everything(api_client)
    assert {path for path, _name, _body in found} >= {
        "/services", "/services/{id}", "/service_at_locations", "/service_at_locations/{id}",
        "/organizations", "/organizations/{id}",
    }  # fmt: skip
    assert_all_valid(found)
    # The taxonomy reached the payloads through attributes.
    attributes = [a for _p, _n, body in found for a in hv.walk(body, "attributes")]
    assert any(a and a[0]["taxonomy_term"]["name"] == "Safe Housing" for a in attributes)


def test_every_payload_validates_for_a_member_with_beds(cast, hidden, vocabulary):
    found = everything(member_api(cast.caseworker_x))
    assert_all_valid(found)
    assert any(list(hv.walk(body, "capacities")) for _p, _n, body in found)


def test_public_payloads_break_the_official_schema_only_by_redacting_locations(api_client, demo):
    body = get(api_client, "/organizations", full="true", full_service="true", per_page=100)
    messages = {
        error.message
        for document in body["contents"]
        for error in hv.official("organization").iter_errors(document)
    }
    assert messages == {"'redacted' is not one of ['physical', 'postal', 'virtual']"}


def test_an_owners_organisation_validates_against_the_unchanged_official_schema(cast, hidden):
    client = member_api(cast.caseworker_x)
    body = get(client, f"/organizations/{cast.shelter_x.code}", full_service="true")
    hv.assert_valid(hv.official("organization"), body)
    service = body["services"][0]
    hv.assert_valid(hv.official("service"), get(client, f"/services/{service['id']}"))


def test_taxonomies_and_terms_validate(api_client, vocabulary):
    taxonomies = get(api_client, "/taxonomies")
    hv.assert_page(taxonomies, hv.single("taxonomy"))
    assert [t["name"] for t in taxonomies["contents"]] == ["Open Eligibility"]
    terms = get(api_client, "/taxonomy_terms")
    hv.assert_page(terms, hv.single("taxonomy_term"))
    child = next(t for t in terms["contents"] if t["name"] == "Safe Housing")
    assert child["parent_id"] == str(vocabulary["parent"].code)
    assert child["taxonomy_id"] == str(vocabulary["taxonomy"].code)
    assert child["code"] == "1102-01"
    one = get(api_client, f"/taxonomy_terms/{child['id']}")
    hv.assert_valid(hv.single("taxonomy_term"), one)
    hv.assert_valid(
        hv.single("taxonomy"), get(api_client, f"/taxonomies/{vocabulary['taxonomy'].code}")
    )
    tops = get(api_client, "/taxonomy_terms", top_only="true")["contents"]
    assert [t["name"] for t in tops] == ["Help Escape Violence"]
    children = get(api_client, "/taxonomy_terms", parent_id=str(vocabulary["parent"].code))
    assert [t["name"] for t in children["contents"]] == ["Safe Housing"]


# --- Confidential locations and beds --------------------------------------------------------


def confidential_canaries():
    """The street, ZIP-less, and the exact coordinates of every confidential location."""
    canaries = []
    for place in Location.objects.filter(confidential=True).prefetch_related("addresses"):
        canaries += [address.address_1 for address in place.addresses.all()]
        canaries += [json.dumps(place.latitude), json.dumps(place.longitude)]
    assert canaries
    return canaries


def test_the_public_never_sees_a_confidential_address_position_or_beds(api_client, hidden, demo):
    found = everything(api_client)
    text = json.dumps([body for _p, _n, body in found])
    # (No ZIP code here: five digits turn up in random UUIDs. Redacted locations carry no
    # address at all, which the loop below checks.)
    for canary in [*confidential_canaries(), "Canary Hideaway", "canary-intake@"]:
        assert not hv.leaked(canary, text), canary
    assert "capacities" not in text
    assert "service_capacity" not in text
    redacted = [
        place
        for _p, _n, body in found
        for place in hv.locations_in(body)
        if place["haven"]["confidential"]
    ]
    assert len(redacted) > 10
    for place in redacted:
        assert place["location_type"] == "redacted"
        assert not place.get("addresses")
        assert {"latitude", "longitude", "transportation"}.isdisjoint(place)
        assert place["haven"]["city"]  # the area stays, as on the listing page
    # The way in stays: the intake phone.
    assert "(214) 555-0199" in text


def test_members_of_the_owning_organisation_see_the_address_and_the_beds(cast, hidden):
    client = member_api(cast.caseworker_x)
    service = ServiceAtLocation.objects.get(location=hidden.location).service
    body = get(client, f"/services/{service.code}")
    (place,) = hv.locations_in(body)
    assert place["location_type"] == "physical"
    assert place["latitude"] == CANARY_POINT[0]
    assert place["longitude"] == CANARY_POINT[1]
    assert place["addresses"][0]["address_1"] == CANARY_STREET
    assert place["transportation"].startswith("Bus 22")
    (capacity,) = body["capacities"]
    assert capacity["id"] == str(hidden.code)
    assert capacity["unit"] == {"id": str(BED_UNIT_ID), "name": "Bed", "identifier": "bed"}
    assert capacity["unit_id"] == str(BED_UNIT_ID)
    assert (capacity["available"], capacity["maximum"]) == (4, 6)
    assert capacity["haven"]["population"] == "women"
    assert capacity["haven"]["freshness"] == "fresh"
    hv.assert_valid(hv.official("service"), body)
    assert body["organization"]["haven"]["intake_email"] == "canary-intake@shelter-x.example"


@pytest.mark.parametrize("who", ["caseworker_y", "officer_a", "token"])
def test_other_members_see_beds_but_not_the_address(cast, hidden, who):
    if who == "token":
        issued = token_issue(
            organization=cast.shelter_y, name="t", scopes=["directory:read"], issuer=None
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    else:
        client = member_api(getattr(cast, who))
    service = ServiceAtLocation.objects.get(location=hidden.location).service
    body = get(client, f"/services/{service.code}")
    (place,) = hv.locations_in(body)
    assert place["location_type"] == "redacted"
    assert CANARY_STREET not in json.dumps(body)
    assert "intake_email" not in body["organization"]["haven"]
    assert body["capacities"][0]["available"] == 4
    hv.assert_valid(hv.haven("service"), body)


def test_a_token_without_directory_read_sees_no_beds(cast, hidden):
    issued = token_issue(organization=cast.agency_a, name="h", scopes=["holds:write"], issuer=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    body = get(client, "/services", full="true")
    assert "capacities" not in json.dumps(body)


def test_a_signed_in_person_without_the_second_factor_is_the_public(cast, hidden):
    client = APIClient()
    client.force_login(cast.caseworker_x.user)
    text = json.dumps(get(client, "/organizations", full="true", full_service="true"))
    assert CANARY_STREET not in text
    assert "capacities" not in text


def test_active_holds_count_against_free_beds(cast, hidden):
    hold_place(capacity=hidden, agency=cast.agency_a, placed_by=cast.officer_a)
    body = get(member_api(cast.officer_a), "/services", full="true")
    (capacity,) = [c for s in body["contents"] for c in s.get("capacities", [])]
    assert capacity["available"] == 3
    assert capacity["haven"]["held"] == 1


def test_a_count_too_old_to_trust_is_left_out(cast, hidden):
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        body = get(member_api(cast.caseworker_x), "/services", full="true")
    assert body["contents"][0]["capacities"] == []


def test_profile_fields_are_published(api_client, demo):
    body = get(api_client, "/services", search="Emergency shelter for families")
    (service,) = body["contents"]
    assert service["haven"]["category"] == "emergency_shelter"
    assert "trans_inclusive" in service["haven"]["populations"]
    assert service["haven"]["accepts_police_referrals"] is True
    assert service["haven"]["accompanying_boys_max_age"] == 17
    assert service["organization"]["haven"] == {"kind": "provider"}
    validator = hv.Draft202012Validator(PROFILE["$defs"]["service"])
    assert not list(validator.iter_errors(service["haven"]))


def test_hours_and_holiday_closures_are_published(cast, hidden):
    body = get(member_api(cast.caseworker_x), "/service_at_locations", full="true")
    place = body["contents"][0]["location"]
    assert place["schedules"][0] | {"id": ""} == {
        "id": "", "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "09:00",
        "closes_at": "17:00", "description": "Mon, Tue, Wed, Thu, Fri: 09:00–17:00",
    }  # fmt: skip
    (closure,) = place["haven"]["schedule_exceptions"]
    assert (closure["start_date"], closure["end_date"], closure["closed"]) == (
        "2026-12-24", "2026-12-25", True,
    )  # fmt: skip
    phone = next(p for p in place["phones"] if p["number"] == "(214) 555-0199")
    assert phone["extension"] == 12


# --- What is listed -------------------------------------------------------------------------


def test_only_what_the_public_directory_lists_is_published(api_client, cast):
    listed = listed_location(organization=cast.shelter_x, name="Listed House")
    offered = listed.at_locations.get().service
    inactive = ServiceFactory(organization=cast.shelter_y, status="inactive", name="Closed")
    ServiceAtLocationFactory(service=inactive, location=listed)
    unplaced = listed_location(organization=cast.shelter_y, latitude=None, longitude=None)
    assert not unplaced.search_listed
    services = get(api_client, "/services")["contents"]
    assert [s["name"] for s in services] == [offered.name]
    organizations = get(api_client, "/organizations")["contents"]
    assert [o["name"] for o in organizations] == ["Shelter X"]
    rows = get(api_client, "/service_at_locations")["contents"]
    assert [r["location"]["name"] for r in rows] == ["Listed House"]
    for path in (
        f"/services/{inactive.code}",
        f"/organizations/{cast.agency_a.code}",
        f"/organizations/{cast.shelter_y.code}",
    ):
        assert api_client.get(f"{API}{path}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/services/{}",
        "/service_at_locations/{}",
        "/organizations/{}",
        "/taxonomies/{}",
        "/taxonomy_terms/{}",
    ],
)
def test_unknown_ids_are_a_json_404(api_client, db, path):
    response = api_client.get(API + path.format(uuid.uuid4()))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_malformed_ids_are_a_404(api_client, db):
    assert api_client.get(f"{API}/services/not-a-uuid").status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "101"}, "per_page"),
        ({"organization_id": "nope"}, "organization_id"),
        ({"modified_after": "yesterday"}, "modified_after"),
        ({"full": "perhaps"}, "full"),
    ],
)
def test_bad_parameters_are_a_400_that_says_which(api_client, db, params, field):
    response = api_client.get(f"{API}/services", params)
    assert response.status_code == 400
    assert response.json()["field"] == field


def test_it_is_read_only(api_client, db):
    for path in ("/", "/services", "/organizations", "/taxonomy_terms"):
        assert api_client.post(f"{API}{path}", {}, format="json").status_code == 405


# --- Pages and filters ----------------------------------------------------------------------


def test_pages_follow_the_hsds_page_fields(api_client, demo):
    total = get(api_client, "/services", per_page=100)["total_items"]
    assert total == Service.objects.filter(status="active").count()
    first = get(api_client, "/services", per_page=10)
    assert (first["page_number"], first["size"], first["total_pages"]) == (1, 10, -(-total // 10))
    assert (first["first_page"], first["last_page"], first["empty"]) == (True, False, False)
    last = get(api_client, "/services", per_page=10, page=first["total_pages"])
    assert (last["first_page"], last["last_page"]) == (False, True)
    assert last["size"] == total - 10 * (first["total_pages"] - 1)
    seen = {s["id"] for p in range(1, first["total_pages"] + 1)
            for s in get(api_client, "/services", per_page=10, page=p)["contents"]}  # fmt: skip
    assert len(seen) == total
    beyond = get(api_client, "/services", per_page=10, page=99)
    assert (beyond["empty"], beyond["size"], beyond["contents"]) == (True, 0, [])
    hv.assert_page(beyond, hv.haven("service_list"))


def test_an_empty_directory_is_an_empty_page(api_client, db):
    body = get(api_client, "/services")
    assert body == {
        "total_items": 0, "total_pages": 0, "page_number": 1, "size": 0, "first_page": True,
        "last_page": True, "empty": True, "contents": [],
    }  # fmt: skip


def test_filters(api_client, vocabulary):
    trinity = Organization.objects.get(name="Trinity Safe Harbor")
    by_org = get(api_client, "/services", organization_id=str(trinity.code))["contents"]
    assert {s["organization_id"] for s in by_org} == {str(trinity.code)}
    assert len(by_org) == 3
    by_term = get(api_client, "/services", taxonomy_term_id=str(vocabulary["child"].code))
    assert [s["name"] for s in by_term["contents"]] == ["Emergency shelter for families"]
    by_taxonomy = get(api_client, "/organizations", taxonomy_id=str(vocabulary["taxonomy"].code))
    assert [o["name"] for o in by_taxonomy["contents"]] == ["Trinity Safe Harbor"]
    words = get(api_client, "/service_at_locations", search="hotline")["contents"]
    assert [r["service"]["name"] for r in words] == ["24-hour crisis hotline"]
    later = (timezone.now() + timedelta(minutes=5)).isoformat()
    assert get(api_client, "/services", modified_after=later)["total_items"] == 0


# --- Queries --------------------------------------------------------------------------------


def many_services(cast, count):
    for n in range(count):
        capacity = shelter_with_beds(
            cast.shelter_x if n % 2 else cast.shelter_y, confidential=bool(n % 3),
            latitude=32.7 + n / 1000, longitude=-96.8,
        )  # fmt: skip
        place = capacity.location
        AddressFactory(location=place)
        PhoneFactory(location=place)
        ScheduleFactory(location=place)
        service = place.at_locations.get().service
        ServicePopulationFactory(service=service, population="men")
        PhoneFactory(location=None, service=service)


def test_a_page_of_fifty_full_services_takes_a_few_queries(cast, django_assert_max_num_queries):
    many_services(cast, 50)
    client = member_api(cast.caseworker_x)
    client.get(f"{API}/services")  # sign-in bookkeeping (session, device) out of the count
    with django_assert_max_num_queries(20):  # 18: 3 for the member, 15 for the page
        body = get(client, "/services", full="true", per_page=50)
    assert body["size"] == 50
    assert all(s["capacities"] for s in body["contents"])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/services", {"full": "true"}),
        ("/services", {}),
        ("/service_at_locations", {"full": "true"}),
        ("/organizations", {"full": "true", "full_service": "true"}),
    ],
)
def test_queries_do_not_grow_with_the_page(cast, path, params):
    many_services(cast, 12)
    client = member_api(cast.caseworker_x)
    client.get(f"{API}{path}")

    def queries(per_page):
        with CaptureQueriesContext(connection) as captured:
            get(client, path, per_page=per_page, **params)
        return len(captured)

    assert queries(2) == queries(12)


def test_the_openapi_schema_documents_the_hsds_api(api_client, db):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    for path in ("/", "/services", "/services/{id}", "/organizations/{id}", "/taxonomy_terms"):
        assert f"/api/hsds{path}" in schema["paths"], path
    parameters = {p["name"] for p in schema["paths"]["/api/hsds/services"]["get"]["parameters"]}
    assert {"page", "per_page", "search", "full", "organization_id"} <= parameters
