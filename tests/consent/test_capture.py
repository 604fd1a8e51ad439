"""Asking and agreeing: the officer's request, the survivor's pages on their phone or the
officer's, the receipt shown once — and survivor-page safety on every one of them."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from consent.models import Acknowledgement, Consent, ConsentRequest
from tests.consent.conftest import PIN, grant, request_start

pytestmark = pytest.mark.django_db

CAPTURE = reverse("consent:capture")


def agree_data(**overrides):
    data = {
        "items": ["name", "contact"], "days": "7", "acknowledgements": list(Acknowledgement.values),
        "pin": PIN, "pin2": PIN, "signature": "A. B.",
    }  # fmt: skip
    data.update(overrides)
    return data


def open_link(client: Client, secret: str):
    return client.get(reverse("consent:link", kwargs={"secret": secret}))


def test_an_officer_starts_a_request_and_gets_a_qr_code_and_a_link(cast, signed_in):
    officer = signed_in(cast.officer_a.user)
    response = officer.post(
        reverse("consent:request-new"),
        {"recipient": cast.shelter_x.code, "services": ["emergency_shelter", "counselling"]},
    )
    consent_request = ConsentRequest.objects.get()
    assert response["Location"] == reverse("consent:request", kwargs={"code": consent_request.code})
    page = officer.get(response["Location"]).content.decode()
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn here, no third party
    link = re.search(r"http://[^<\s\"]+/c/([0-9A-Z]+)/", page)
    assert link is not None
    # The link's code is shown to this officer's session only, and stored only as a digest.
    assert link.group(1) not in consent_request.link_digest
    assert "/c/" not in signed_in(cast.officer_a.user).get(response["Location"]).content.decode()


def test_only_officers_start_requests(cast, signed_in):
    caseworker = signed_in(cast.caseworker_x.user)
    assert caseworker.get(reverse("consent:request-new")).status_code == 403
    assert Client().get(reverse("consent:request-new")).status_code == 302


def test_another_agency_cannot_see_a_request(cast, signed_in):
    consent_request, _ = request_start(cast.officer_a, cast.shelter_x)
    url = reverse("consent:request", kwargs={"code": consent_request.code})
    assert signed_in(cast.officer_b.user).get(url).status_code == 404


def test_the_link_moves_its_code_out_of_the_address(cast):
    _request, secret = request_start(cast.officer_a, cast.shelter_x)
    client = Client()
    response = open_link(client, secret)
    assert response.status_code == 302
    assert response["Location"] == CAPTURE
    page = client.get(CAPTURE).content.decode()
    assert "Shelter X" in page
    assert "Please read this first" in page
    assert secret not in page


def test_a_survivor_can_type_the_code_instead(cast):
    _request, secret = request_start(cast.officer_a, cast.shelter_x)
    client = Client()
    typed = f"{secret[:4].lower()} {secret[4:]}"
    response = client.post(reverse("consent:start"), {"code": typed})
    assert response["Location"] == CAPTURE
    wrong = Client().post(reverse("consent:start"), {"code": "ZZZZZZZZ"})
    assert wrong.status_code == 400
    assert "Ask the officer for a new one" in wrong.content.decode()


def test_agreeing_on_the_survivors_phone_shows_the_receipt_once(cast):
    _request, secret = request_start(cast.officer_a, cast.shelter_x)
    client = Client()
    open_link(client, secret)
    response = client.post(CAPTURE, agree_data())
    assert response.status_code == 200
    page = response.content.decode()
    code = re.search(r'class="receipt-code">([0-9A-Z-]{19})<', page).group(1)
    consent = Consent.objects.get()
    assert consent.method == "survivor_device"
    assert consent.items == ["contact", "name"]
    assert "Shelter X" not in page  # discreet unless the survivor asks for the name
    # The code works in the portal, and it is not shown again anywhere.
    assert Client().post(reverse("consent:portal"), {"code": code, "pin": PIN}).status_code == 302
    assert client.get(CAPTURE).status_code == 404
    assert code not in client.get(reverse("consent:portal")).content.decode()


def test_the_receipt_names_the_organisation_only_when_asked(cast):
    _request, secret = request_start(cast.officer_a, cast.shelter_x)
    client = Client()
    open_link(client, secret)
    page = client.post(CAPTURE, agree_data(show_recipient="on")).content.decode()
    assert "Shelter X" in page.split('class="receipt-card"')[1]


def test_agreeing_on_the_officers_device_is_recorded_as_such(cast, signed_in):
    _request, secret = request_start(cast.officer_a, cast.shelter_x)
    officer = signed_in(cast.officer_a.user)
    open_link(officer, secret)
    assert officer.post(CAPTURE, agree_data()).status_code == 200
    assert Consent.objects.get().method == "officer_device"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"items": []}, "Choose at least one thing you agree to share."),
        ({"days": ""}, "Choose when this ends."),
        ({"days": "365"}, "Select a valid choice."),
        ({"acknowledgements": ["revocable"]}, "Please read and tick each point"),
        ({"pin2": "482916"}, "The two PINs are not the same."),
        ({"pin": "111111", "pin2": "111111"}, "Choose a PIN of 6 to 12 digits"),
        ({"signature": "  "}, "This field is required."),
    ],
)
def test_a_mistake_is_explained_and_nothing_is_kept(cast, overrides, message):
    _request, secret = request_start(cast.officer_a, cast.shelter_x)
    client = Client()
    open_link(client, secret)
    response = client.post(CAPTURE, agree_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Consent.objects.exists()
    assert client.post(CAPTURE, agree_data()).status_code == 200  # and it can be put right


def test_survivor_pages_are_not_kept_nor_referred_nor_indexed(cast, granted):
    _request, secret = request_start(cast.officer_a, cast.shelter_x)
    client = Client()
    open_link(client, secret)
    client.post(reverse("consent:portal"), {"code": granted.receipt_code, "pin": PIN})
    for url in (reverse("consent:start"), CAPTURE, reverse("consent:portal"),
                reverse("consent:portal-consents")):  # fmt: skip
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert response["Referrer-Policy"] == "no-referrer", url
        assert response["X-Robots-Tag"] == "noindex, nofollow", url
        html = response.content.decode()
        # Quick exit is the first thing a keyboard reaches.
        first = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", html.split("<body", 1)[1])
        assert 'id="quick-exit"' in first.group(0), url
        # Nothing is fetched from anywhere else.
        for asset in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not asset.startswith(("http:", "https:", "//")) or asset in (
                "https://weather.com/",
                "http://testserver/my/",
            ), (url, asset)
        assert "What is quick exit" in html or "cannot wipe" in html


def test_with_javascript_each_step_replaces_the_page(cast):
    _request, secret = request_start(cast.officer_a, cast.shelter_x)
    client = Client()
    open_link(client, secret)
    response = client.post(reverse("consent:portal"), {"code": "x", "pin": "1"},
                           headers={"X-Haven-Replace": "1"})  # fmt: skip
    assert response.status_code == 400  # a page to show in place
    granted = grant(cast.officer_a, cast.shelter_y)
    response = client.post(
        reverse("consent:portal"), {"code": granted.receipt_code, "pin": PIN},
        headers={"X-Haven-Replace": "1"},
    )  # fmt: skip
    assert response.json() == {"location": reverse("consent:portal-consents")}


def test_the_survivor_chooses_the_language(cast):
    _request, secret = request_start(cast.officer_a, cast.shelter_x)
    client = Client()
    open_link(client, secret)
    client.post(reverse("consent:language"), {"language": "es", "next": CAPTURE})
    page = client.get(CAPTURE)
    assert page["Content-Language"] == "es"
    assert 'lang="es"' in page.content.decode()
    client.post(CAPTURE, agree_data())
    assert Consent.objects.get().language == "es"


def test_the_language_switch_only_returns_to_survivor_pages(cast):
    response = Client().post(reverse("consent:language"),
                             {"language": "es", "next": "https://example.com/"})  # fmt: skip
    assert response["Location"] == reverse("consent:portal")


def test_staff_of_both_sides_see_the_consent_and_nobody_else(cast, granted, signed_in):
    url = reverse("consent:detail", kwargs={"code": granted.consent.code})
    for member in (cast.officer_a, cast.caseworker_x):
        page = signed_in(member.user).get(url)
        assert page.status_code == 200
        assert "The name or alias to use" in page.content.decode()
    for member in (cast.officer_b, cast.caseworker_y):
        assert signed_in(member.user).get(url).status_code == 404
    listing = signed_in(cast.officer_b.user).get(reverse("consent:list")).content.decode()
    assert str(granted.consent.code) not in listing


def test_staff_record_a_revocation_asked_for_by_phone(cast, granted, signed_in):
    caseworker = signed_in(cast.caseworker_x.user)
    url = reverse("consent:revoke-by-phone", kwargs={"code": granted.consent.code})
    caseworker.post(url, {})  # without confirming, nothing happens
    granted.consent.refresh_from_db()
    assert granted.consent.status == "active"
    caseworker.post(url, {"confirm": "yes"})
    granted.consent.refresh_from_db()
    assert granted.consent.status == "revoked"
    event = granted.consent.events.last()
    assert (event.kind, event.how, event.recorded_by) == ("revoked", "phone", cast.caseworker_x)
