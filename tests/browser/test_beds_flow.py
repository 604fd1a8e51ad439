"""A caseworker updates bed counts in three taps; an officer finds the shelter with free
beds, holds one, sees how long it is kept, and cancels."""

import re

import pytest

from directory.models import Hold
from tests.browser.conftest import sign_in
from tests.factories import MembershipFactory, shelter_with_beds

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_caseworker_updates_counts_then_officer_holds_and_cancels(page, browser, live_server):
    caseworker = MembershipFactory(organization__name="Shelter X", role="caseworker")
    officer = MembershipFactory(organization__name="Agency A", organization__kind="agency",
                                role="officer")  # fmt: skip
    beds = shelter_with_beds(caseworker.organization, total=4, occupied=4, name="Safe Harbor House",
                             latitude=32.7904, longitude=-96.8044)  # fmt: skip

    # The caseworker: Beds (1), one fewer occupied (2), done — the page says it is saved.
    sign_in(page, live_server.url, caseworker.user)
    page.get_by_role("link", name="Beds").click()  # tap 1
    page.get_by_role("button", name="One fewer occupied (Women)").click()  # tap 2
    assert page.get_by_text("Saved. Thank you").is_visible()
    assert page.get_by_text("1 free").is_visible()
    page.get_by_role("button", name="Sign out").click()
    beds.refresh_from_db()
    assert beds.occupied == 3

    # The officer, on another phone.
    officer_context = browser.new_context(viewport={"width": 390, "height": 844})
    officer_page = officer_context.new_page()
    sign_in(officer_page, live_server.url, officer.user)
    officer_page.goto(live_server.url + "/?near=75201")
    officer_page.get_by_text("More filters").click()
    officer_page.get_by_label("A bed free now").check()
    officer_page.get_by_role("button", name="Search").click()
    officer_page.wait_for_url(re.compile(r"has_beds=on"))
    assert officer_page.get_by_text("1 bed free").is_visible()
    officer_page.get_by_role("button", name="Hold a bed (Women)").click()
    officer_page.wait_for_url(re.compile(r"/holds/[0-9a-f-]+/$"))
    # Held for 90 minutes (Django writes "1 hour, 29 minutes" with non-breaking spaces).
    assert officer_page.get_by_text("Held until").is_visible()
    assert officer_page.get_by_text(re.compile(r"1\shour,\s(29|30)\sminutes\sleft")).is_visible()
    officer_page.get_by_role("button", name="Cancel the hold").click()
    assert officer_page.get_by_text("Hold cancelled; the bed is free again.").is_visible()
    assert Hold.objects.get().status == "cancelled"
    officer_context.close()
