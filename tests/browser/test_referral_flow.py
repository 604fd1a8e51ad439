"""A referral in a real browser: the officer sends it, the shelter's caseworker accepts and
opens it, the officer sees "Accepted", and the survivor's portal shows every step."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.consent.conftest import PIN, grant
from tests.referrals.conftest import NAME, PHONE, a_hold, keyed  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_sends_caseworker_accepts_and_opens_survivor_sees_the_ledger(
    open_page,
    live_server,
    keyed,  # noqa: F811
):
    granted = grant(keyed.officer_a, keyed.shelter_x)
    hold = a_hold(keyed)

    officer = open_page()
    sign_in(officer, live_server.url, keyed.officer_a.user)
    officer.goto(live_server.url + reverse("consent:detail", kwargs={"code": granted.consent.code}))
    officer.get_by_role("link", name="Send a referral under this consent").click()
    officer.get_by_label("Urgent", exact=True).check()
    officer.get_by_label("Emergency shelter").check()
    officer.get_by_label("Bed hold to link").select_option(index=1)
    officer.get_by_label("Children 0–5").fill("1")
    officer.get_by_label("Your callback phone or e-mail").fill("Dispatch +1 214 555 0100")
    officer.get_by_label("The name or alias to use").fill(NAME)
    officer.get_by_label("A safe way to contact you, and safe times").fill(PHONE)
    officer.get_by_role("button", name="Seal and send").click()
    expect(officer.locator("#referral-status")).to_have_text("Sent")
    assert NAME not in officer.content()

    caseworker = open_page()
    sign_in(caseworker, live_server.url, keyed.caseworker_x.user)
    caseworker.get_by_role("link", name="Referrals received").click()
    caseworker.get_by_role("link", name="Urgent").click()
    expect(caseworker.locator("#referral-status")).to_have_text("Waiting for your decision")
    assert NAME not in caseworker.content()
    caseworker.get_by_role("button", name="Accept").click()
    expect(caseworker.get_by_text("Accepted. The bed held")).to_be_visible()
    caseworker.get_by_role("button", name="Open the sealed details").click()
    expect(caseworker.locator("#packet")).to_contain_text(NAME)
    expect(caseworker.locator("#packet")).to_contain_text(PHONE)
    hold.refresh_from_db()
    assert hold.status == "confirmed"

    officer.reload()
    expect(officer.locator("#referral-status")).to_have_text("Accepted")
    assert NAME not in officer.content()

    survivor = open_page()
    survivor.goto(live_server.url + reverse("consent:portal"))
    survivor.get_by_label("Receipt code").fill(granted.receipt_code)
    survivor.get_by_label("PIN").fill(PIN)
    survivor.get_by_role("button", name="Open").click()
    ledger = survivor.locator("ul.ledger")
    expect(ledger).to_contain_text("Sent: Shelter X")
    expect(ledger).to_contain_text("Accepted: Shelter X")
    expect(ledger).to_contain_text("Your details opened by intake staff: Shelter X")
