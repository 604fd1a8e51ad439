"""The pages: a caseworker's bed counts, an officer's holds."""

import pytest

from directory.models import Hold
from directory.services import hold_place
from tests.factories import shelter_with_beds

pytestmark = pytest.mark.django_db


@pytest.fixture
def beds(cast):
    return shelter_with_beds(cast.shelter_x, total=3, occupied=1, name="Shelter X House")


def test_a_caseworker_sees_and_changes_counts_one_tap_at_a_time(cast, signed_in, beds):
    caseworker = signed_in(cast.caseworker_x.user)
    page = caseworker.get("/beds/")
    assert page.status_code == 200
    assert "Shelter X House" in page.content.decode()
    response = caseworker.post(f"/beds/{beds.code}/", {"adjust": "occupied:-1"})
    assert response.status_code == 302
    beds.refresh_from_db()
    assert beds.occupied == 0
    caseworker.post(f"/beds/{beds.code}/", {"adjust": "total:+1"})
    caseworker.post(f"/beds/{beds.code}/", {"status": "waitlist"})
    caseworker.post(f"/beds/{beds.code}/", {"confirm": "1"})
    beds.refresh_from_db()
    assert (beds.total, beds.status) == (4, "waitlist")
    assert beds.snapshots.count() == 5


def test_a_refused_change_says_why(cast, signed_in, beds):
    hold_place(capacity=beds, agency=cast.agency_a, placed_by=None)
    caseworker = signed_in(cast.caseworker_x.user)
    caseworker.post(f"/beds/{beds.code}/", {"adjust": "occupied:+1"})
    response = caseworker.post(f"/beds/{beds.code}/", {"adjust": "occupied:+1"})
    assert response["X-Haven-Outcome"] == "409"
    page = caseworker.get("/beds/").content.decode()
    assert "Occupied can" in page
    assert "held for someone on the way" in page


@pytest.mark.parametrize(("who", "status"), [("caseworker_y", 404), ("officer_a", 404)])
def test_others_cannot_change_counts(cast, signed_in, beds, who, status):
    response = signed_in(getattr(cast, who).user).post(
        f"/beds/{beds.code}/", {"adjust": "occupied:+1"}
    )
    assert response.status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client, beds):
    assert client.get("/beds/")["Location"].startswith("/accounts/sign-in/")
    assert client.post(f"/beds/{beds.code}/", {"confirm": "1"})["Location"].startswith(
        "/accounts/sign-in/"
    )


def test_nonsense_changes_are_refused(cast, signed_in, beds):
    caseworker = signed_in(cast.caseworker_x.user)
    response = caseworker.post(f"/beds/{beds.code}/", {"adjust": "occupied:+100"})
    assert response["X-Haven-Outcome"] == "400"
    assert caseworker.get(f"/beds/{beds.code}/").status_code == 405


def test_an_officer_holds_from_the_listing_then_cancels(cast, signed_in, beds):
    officer = signed_in(cast.officer_a.user)
    listing = officer.get(beds.location.get_absolute_url()).content.decode()
    assert "Hold a bed (Women)" in listing
    response = officer.post(
        "/holds/place/", {"location": beds.location.code, "population": "women"}
    )
    hold = Hold.objects.get()
    assert response["Location"] == f"/holds/{hold.code}/"
    page = officer.get(f"/holds/{hold.code}/").content.decode()
    assert "Held until" in page
    assert "They arrived" not in page  # that is the shelter's button
    officer.post(f"/holds/{hold.code}/cancel/")
    hold.refresh_from_db()
    assert hold.status == "cancelled"
    assert "Hold cancelled" in officer.get(f"/holds/{hold.code}/").content.decode()


def test_the_shelter_confirms_an_arrival_from_the_hold_page(cast, signed_in, beds):
    hold = hold_place(capacity=beds, agency=cast.agency_a, placed_by=cast.officer_a)
    caseworker = signed_in(cast.caseworker_x.user)
    assert "They arrived" in caseworker.get(f"/holds/{hold.code}/").content.decode()
    caseworker.post(f"/holds/{hold.code}/confirm/")
    hold.refresh_from_db()
    assert hold.status == "confirmed"
    assert signed_in(cast.officer_a.user).post(f"/holds/{hold.code}/confirm/").status_code == 403


def test_caseworkers_do_not_get_hold_buttons(cast, signed_in, beds):
    listing = (
        signed_in(cast.caseworker_y.user).get(beds.location.get_absolute_url()).content.decode()
    )
    assert "Hold a bed" not in listing
    response = signed_in(cast.caseworker_y.user).post(
        "/holds/place/", {"location": beds.location.code, "population": "women"}
    )
    assert response.status_code == 403


def test_a_full_shelter_says_so_on_the_listing(cast, signed_in, beds):
    hold_place(capacity=beds, agency=cast.agency_a, placed_by=None)
    hold_place(capacity=beds, agency=cast.agency_a, placed_by=None)
    officer = signed_in(cast.officer_a.user)
    response = officer.post(
        "/holds/place/", {"location": beds.location.code, "population": "women"}
    )
    assert response["Location"] == beds.location.get_absolute_url()
    assert "No bed is free" in officer.get(response["Location"]).content.decode()


def test_the_holds_list_shows_my_agencys_holds_only(cast, signed_in, beds):
    mine = hold_place(capacity=beds, agency=cast.agency_a, placed_by=None)
    theirs = hold_place(capacity=beds, agency=cast.agency_b, placed_by=None)
    page = signed_in(cast.officer_a.user).get("/holds/").content.decode()
    assert str(mine.code) in page
    assert str(theirs.code) not in page
    assert signed_in(cast.officer_a.user).get(f"/holds/{theirs.code}/").status_code == 404
