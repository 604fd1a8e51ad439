"""A survivor's consent in a real browser: signing on their own phone in Spanish, quick exit,
taking it back in the portal, and an automated accessibility check of every survivor page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, Route, expect

from consent.models import Consent
from tests.browser.conftest import sign_in
from tests.consent.conftest import PIN, grant
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXIT = "https://weather.example/today"


@pytest.fixture(autouse=True)
def _site(settings, live_server):
    settings.SITE_URL = live_server.url
    settings.HAVEN_QUICK_EXIT_URL = EXIT


def off_the_machine(page: Page) -> Page:
    """The quick-exit page lives elsewhere on the internet: answer for it here."""

    def weather(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body="<h1>Weather</h1>")

    page.context.route("https://weather.example/**", weather)
    return page


def agree(page: Page, *, items: list[str], days: str, acknowledgements: list[str]) -> str:
    for label in items:
        page.get_by_label(label).check()
    page.get_by_label(days).check()
    for label in acknowledgements:
        page.get_by_label(label).check()
    return page.content()


def test_a_survivor_agrees_on_their_own_phone_in_spanish(open_page, live_server):
    officer = MembershipFactory(organization__name="Agency A", organization__kind="agency",
                                role="officer")  # fmt: skip
    OrganizationFactory(name="Casa Esperanza")
    officer_page = open_page()
    sign_in(officer_page, live_server.url, officer.user)
    officer_page.get_by_role("link", name="Consents").click()
    officer_page.get_by_role("link", name="Ask for consent").click()
    officer_page.get_by_label("Organisation that will receive the referral").select_option(
        label="Casa Esperanza"
    )
    officer_page.get_by_label("Emergency shelter").check()
    officer_page.get_by_role("button", name="Create the request").click()
    expect(officer_page.get_by_role("img", name="QR code of the link")).to_be_visible()
    link = officer_page.locator("code.secret").inner_text()
    assert link.startswith(live_server.url + "/c/")

    # The survivor's phone, set to Spanish, as if it had scanned the QR code.
    phone = off_the_machine(open_page(locale="es-US"))
    phone.goto(link)
    assert phone.url == live_server.url + reverse("consent:capture")  # the code left the address
    expect(phone.get_by_role("heading", name="Lea esto primero, por favor")).to_be_visible()
    assert "Casa Esperanza" in phone.locator("section.notice-text").inner_text()
    agree(
        phone,
        items=[
            "El nombre o alias que se debe usar",
            "Una forma segura de contactarle, y los horarios seguros",
        ],
        days="1 semana",
        acknowledgements=[
            "Decir que no, no le impide recibir ayuda.",
            "Puede retirar esto en cualquier momento.",
            "Algunas leyes se siguen aplicando (por ejemplo, denunciar daños a un menor).",
            "La organización no puede pasarlo a nadie más.",
        ],
    )  # fmt: skip
    phone.get_by_label("Elija un PIN").fill(PIN)
    phone.get_by_label("El mismo PIN otra vez").fill(PIN)
    phone.get_by_label("Firme: escriba su nombre o sus iniciales").fill("M. R.")
    phone.get_by_role("button", name="Acepto").click()
    expect(phone.get_by_role("heading", name="Su recibo")).to_be_visible()
    code = phone.locator(".receipt-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
    assert "Casa Esperanza" not in phone.locator(".receipt-card").inner_text()
    consent = Consent.objects.get()
    assert (consent.language, consent.method, consent.items) == (
        "es",
        "survivor_device",
        ["contact", "name"],
    )

    # Later, the portal, still in Spanish.
    phone.goto(live_server.url + reverse("consent:portal"))
    phone.get_by_label("Código de recibo").fill(code.lower().replace("-", " "))
    phone.get_by_label("PIN").fill(PIN)
    phone.get_by_role("button", name="Abrir").click()
    expect(phone.get_by_role("heading", name="Lo que compartió")).to_be_visible()
    expect(phone.get_by_text("Refugio de emergencia")).to_be_visible()
    expect(phone.get_by_text("Vigente")).to_be_visible()
    # The officer's page now says the person agreed.
    officer_page.reload()
    expect(officer_page.get_by_text("The person has agreed.")).to_be_visible()


def test_quick_exit_comes_first_and_leaves_no_portal_page_behind(open_page, live_server, cast):
    granted = grant(cast.officer_a, cast.shelter_x)
    page = off_the_machine(open_page())
    page.goto(live_server.url + reverse("consent:portal"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit"
    page.get_by_label("Receipt code").fill(granted.receipt_code)
    page.get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="Open").click()
    page.wait_for_url(re.compile(r"/my/consents/$"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit"

    page.keyboard.press("Escape")
    page.wait_for_url(EXIT)
    expect(page.get_by_role("heading", name="Weather")).to_be_visible()
    # Back goes to where the browser was before the portal, never to a portal page.
    history = page.evaluate("history.length")
    page.go_back()
    assert not page.url.startswith(live_server.url), (page.url, history)

    # Without JavaScript the link still works (it is a plain link).
    plain = off_the_machine(open_page(java_script_enabled=False))
    plain.goto(live_server.url + reverse("consent:portal"))
    plain.get_by_role("link", name="Leave this site now").click()
    plain.wait_for_url(EXIT)


def test_the_survivor_takes_it_back_in_the_portal(open_page, live_server, cast):
    granted = grant(cast.officer_a, cast.shelter_x)
    page = open_page()
    page.goto(live_server.url + reverse("consent:portal"))
    page.get_by_label("Receipt code").fill(granted.receipt_code)
    page.get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="Open").click()
    page.get_by_role("button", name="Take it back from Shelter X").click()
    expect(page.get_by_text("Done. It is taken back, from now on.")).to_be_visible()
    expect(page.get_by_text("Taken back", exact=True).first).to_be_visible()
    assert page.get_by_role("button", name="Take it back from Shelter X").count() == 0
    assert Consent.objects.get().status == "revoked"


def test_survivor_pages_pass_an_automated_accessibility_check(
    open_page, live_server, cast, serious_violations
):
    _granted = grant(cast.officer_a, cast.shelter_x)
    from tests.consent.conftest import request_start

    _request, secret = request_start(cast.officer_a, cast.shelter_y)
    found = {}
    for locale in ("en-US", "es-US"):
        page = open_page(locale=locale, bypass_csp=True)
        page.goto(live_server.url + reverse("consent:start"))
        found[f"start {locale}"] = serious_violations(page)
        page.goto(live_server.url + reverse("consent:portal"))
        found[f"portal {locale}"] = serious_violations(page)
        page.get_by_role("button").last.click()  # an empty form: the error summary
        found[f"portal errors {locale}"] = serious_violations(page)
    page = open_page(bypass_csp=True)
    page.goto(live_server.url + reverse("consent:link", kwargs={"secret": secret}))
    found["capture"] = serious_violations(page)
    page.get_by_role("button", name="I agree").click()
    found["capture errors"] = serious_violations(page)
    page.get_by_label("The name or alias to use").check()
    page.get_by_label("1 week").check()
    for box in page.locator("input[name=acknowledgements]").all():
        box.check()
    page.get_by_label("Choose a PIN").fill(PIN)
    page.get_by_label("The same PIN again").fill(PIN)
    page.get_by_label("Sign: type your name or initials").fill("A")
    page.get_by_role("button", name="I agree").click()
    page.get_by_role("heading", name="Your receipt").wait_for()
    found["receipt"] = serious_violations(page)
    code = page.locator(".receipt-code").inner_text()
    page.goto(live_server.url + reverse("consent:portal"))
    page.get_by_label("Receipt code").fill(code)
    page.get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="Open").click()
    page.wait_for_url(re.compile(r"/my/consents/$"))
    found["consents"] = serious_violations(page)
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_accessibility_check_can_fail(open_page, serious_violations):
    page = open_page(bypass_csp=True)
    page.set_content("<html><body><main><input type='text'></main></body></html>")
    found = serious_violations(page)
    assert any(problem.startswith("label (critical)") for problem in found), found
