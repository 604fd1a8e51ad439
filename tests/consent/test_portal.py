"""The survivor portal: receipt code and PIN, one answer for every failure, lockouts,
revoking and shortening — and nobody sees anybody else's consent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import Consent
from tests.consent.conftest import PIN, grant

pytestmark = pytest.mark.django_db

PORTAL = reverse("consent:portal")
CONSENTS = reverse("consent:portal-consents")


def sign_in(client: Client, code: str, pin: str = PIN, ip: str = "198.51.100.7"):
    return client.post(PORTAL, {"code": code, "pin": pin}, REMOTE_ADDR=ip)


def _answer(response) -> str:
    """What a person sees, without the per-render CSRF token and the code they typed."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'(name="code"[^>]*?) value="[^"]*"', r"\1", html)


def test_code_and_pin_open_the_portal(granted):
    client = Client()
    response = sign_in(client, granted.receipt_code)
    assert response.status_code == 302
    assert response["Location"] == CONSENTS
    page = client.get(CONSENTS)
    assert page.status_code == 200
    assert "Shelter X" in page.content.decode()
    assert "The name or alias to use" in page.content.decode()


def test_codes_are_forgiving_about_case_spaces_and_look_alike_letters(granted):
    typed = granted.receipt_code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert sign_in(Client(), typed).status_code == 302


def test_a_wrong_pin_and_a_wrong_code_get_the_same_answer(granted):
    wrong_pin = sign_in(Client(), granted.receipt_code, pin="000000")
    wrong_code = sign_in(Client(), "ABCD-EFGH-JKMN-PQRS")
    assert wrong_pin.status_code == wrong_code.status_code == 400
    assert _answer(wrong_pin) == _answer(wrong_code)
    assert "do not match" in _answer(wrong_pin)


def test_a_receipt_rests_after_repeated_wrong_pins(granted, settings, time_machine):
    settings.HAVEN_PORTAL_RECEIPT_LIMIT = 5
    settings.HAVEN_PORTAL_LOCK_MINUTES = 30
    time_machine.move_to(timezone.now(), tick=False)
    for attempt in range(5):
        # From different addresses: the receipt itself counts.
        wrong = sign_in(Client(), granted.receipt_code, "000000", f"198.51.100.{attempt}")
        assert wrong.status_code == 400
    locked = sign_in(Client(), granted.receipt_code, PIN, "203.0.113.9")
    assert locked.status_code == 400  # even the right PIN, and the same answer as any failure
    assert _answer(locked) == _answer(sign_in(Client(), "ABCD-EFGH-JKMN-PQRS", ip="203.0.113.10"))
    time_machine.shift(timedelta(minutes=30, seconds=1))
    assert sign_in(Client(), granted.receipt_code, PIN, "203.0.113.9").status_code == 302


def test_an_address_that_keeps_failing_is_stopped(granted, settings):
    settings.HAVEN_PORTAL_ADDRESS_LIMIT = 20
    for n in range(20):
        sign_in(Client(), f"ZZZZ-ZZZZ-ZZZZ-{n:04d}", ip="192.0.2.1")
    assert sign_in(Client(), granted.receipt_code, ip="192.0.2.1").status_code == 400
    assert sign_in(Client(), granted.receipt_code, ip="192.0.2.2").status_code == 302


def test_sign_ins_are_audited_with_codes_only(granted):
    sign_in(Client(), granted.receipt_code, pin="000000")
    sign_in(Client(), granted.receipt_code)
    failed, ok = AuditEvent.objects.filter(action__startswith="consent.portal").order_by("sequence")
    reference = granted.consent.receipt.reference
    assert (failed.action, failed.actor) == (
        "consent.portal_sign_in_failed",
        f"survivor:{reference}",
    )
    assert (ok.action, ok.actor) == ("consent.portal_sign_in", f"survivor:{reference}")
    assert ok.ip_address is None
    assert failed.ip_address is None


def test_revoking_in_the_portal_takes_one_step(granted):
    client = Client()
    sign_in(client, granted.receipt_code)
    consent = granted.consent
    response = client.post(reverse("consent:portal-revoke", kwargs={"code": consent.code}))
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.status == "revoked"
    assert consent.ended_at is not None
    assert [(e.kind, e.how) for e in consent.events.all()][-1] == ("revoked", "portal")
    assert "Taken back" in client.get(CONSENTS).content.decode()
    assert AuditEvent.objects.filter(action="consent.revoked", target=f"consent:{consent.code}")


def test_revoke_all_takes_everything_back(cast):
    first = grant(cast.officer_a, cast.shelter_x)
    second = grant(cast.officer_a, cast.shelter_y)
    # The second grant has its own receipt; move it onto the first, as one survivor's.
    Consent.objects.filter(pk=second.consent.pk).update(receipt=first.consent.receipt)
    client = Client()
    sign_in(client, first.receipt_code)
    assert client.post(reverse("consent:portal-revoke-all")).status_code == 302
    assert set(Consent.objects.values_list("status", flat=True)) == {"revoked"}


def test_shortening_in_the_portal(granted):
    client = Client()
    sign_in(client, granted.receipt_code)
    consent = granted.consent
    before = consent.expires_at
    url = reverse("consent:portal-shorten", kwargs={"code": consent.code})
    assert client.post(url, {"days": "1"}).status_code == 302
    consent.refresh_from_db()
    assert consent.expires_at < before
    assert [e.kind for e in consent.events.all()][-1] == "shortened"
    client.post(url, {"days": "30"})  # later than now: refused, nothing changes
    after = Consent.objects.get(pk=consent.pk).expires_at
    assert after == consent.expires_at


def test_a_survivor_never_sees_or_touches_another_survivors_consent(cast):
    mine = grant(cast.officer_a, cast.shelter_x)
    theirs = grant(cast.officer_b, cast.shelter_y, pin="731946")
    client = Client()
    sign_in(client, mine.receipt_code)
    page = client.get(CONSENTS).content.decode()
    assert "Shelter X" in page
    assert "Shelter Y" not in page
    assert str(theirs.consent.code) not in page
    for name, data in (("portal-revoke", {}), ("portal-shorten", {"days": "1"})):
        url = reverse(f"consent:{name}", kwargs={"code": theirs.consent.code})
        assert client.post(url, data).status_code == 404
    theirs.consent.refresh_from_db()
    assert theirs.consent.status == "active"


@pytest.mark.parametrize("method", ["get", "post"])
def test_portal_pages_need_a_signed_in_receipt(granted, method):
    urls = [CONSENTS, reverse("consent:portal-revoke", kwargs={"code": granted.consent.code}),
            reverse("consent:portal-revoke-all")]  # fmt: skip
    for url in urls:
        response = getattr(Client(), method)(url)
        assert response.status_code in (302, 405)
        if response.status_code == 302:
            assert response["Location"] == PORTAL
    assert Consent.objects.get().status == "active"


def test_the_portal_closes_itself(granted, settings, time_machine):
    settings.HAVEN_PORTAL_MINUTES = 15
    time_machine.move_to(timezone.now(), tick=True)
    client = Client()
    sign_in(client, granted.receipt_code)
    assert client.get(CONSENTS).status_code == 200
    time_machine.shift(timedelta(minutes=16))
    assert client.get(CONSENTS)["Location"] == PORTAL


def test_looking_is_logged_once_per_visit(granted):
    client = Client()
    sign_in(client, granted.receipt_code)
    client.get(CONSENTS)
    client.get(CONSENTS)
    assert [e.kind for e in granted.consent.events.all()] == ["granted", "viewed"]


def test_closing_the_portal(granted):
    client = Client()
    sign_in(client, granted.receipt_code)
    client.post(reverse("consent:portal-sign-out"))
    assert client.get(CONSENTS)["Location"] == PORTAL
