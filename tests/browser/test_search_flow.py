"""An officer on a phone searches by ZIP, reads the results and opens a listing."""

import re

import pytest

from tests.browser.conftest import unlabelled_controls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_by_zip_then_open_a_listing(page, live_server, demo):
    page.goto(live_server.url + "/")
    assert page.get_attribute("html", "lang") == "en"
    for landmark in ("header", "nav", "main", "footer", "form[role=search]"):
        assert page.locator(landmark).count() >= 1, landmark
    assert unlabelled_controls(page) == []

    page.get_by_label("Near").fill("75201")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"near=75201"))

    heading = page.get_by_role("heading", level=2, name=re.compile("places found"))
    assert heading.is_visible()
    distances = [
        float(re.search(r"[\d.]+", text).group())
        for text in page.locator(".result .distance").all_inner_texts()
    ]
    assert len(distances) >= 7
    assert distances == sorted(distances)
    assert unlabelled_controls(page) == []

    page.get_by_role("link", name="Lone Star Legal Aid — Downtown").click()
    page.wait_for_url(re.compile(r"/locations/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Lone Star Legal Aid — Downtown"
    assert page.get_by_role("link", name=re.compile(r"Intake line: \(214\) 555-0121")).is_visible()
    assert page.locator("main").count() == 1


def test_a_bad_zip_shows_a_message_next_to_the_field(page, live_server, db):
    page.goto(live_server.url + "/?near=00000")
    alert = page.get_by_role("alert")
    assert "We don't know the ZIP code 00000" in alert.inner_text()
    assert page.locator(".field-error #id_near").count() == 1
