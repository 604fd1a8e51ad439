"""The referral pages: officer sends, caseworker decides and opens; access is by organisation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from referrals.models import Packet, Referral
from referrals.services import referral_accept
from tests.consent.conftest import grant
from tests.referrals.conftest import NAME, PHONE, a_hold, send

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "urgency": "urgent", "services": ["emergency_shelter"], "adults": "1",
        "children_0_5": "1", "children_6_12": "0", "children_13_17": "0",
        "needs": ["interpreter"], "language": "es", "callback": "Desk, +1 214 555 0100",
        "item_name": NAME, "item_contact": PHONE,
    }  # fmt: skip
    data.update(overrides)
    return data


def test_an_officer_sends_from_the_consent_and_sees_only_the_state(keyed, signed_in):
    consent = grant(keyed.officer_a, keyed.shelter_x).consent
    hold = a_hold(keyed)
    officer = signed_in(keyed.officer_a.user)
    detail = officer.get(reverse("consent:detail", kwargs={"code": consent.code}))
    send_url = reverse("referrals:new", kwargs={"consent_code": consent.code})
    assert send_url in detail.content.decode()
    page = officer.get(send_url)
    assert page.status_code == 200
    assert "item_age" not in page.content.decode()  # only consented items are offered
    response = officer.post(send_url, form_data(hold=str(hold.code)))
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("referrals:detail", kwargs={"code": referral.code})
    assert referral.hold == hold
    shown = officer.get(response.url).content.decode()
    assert "Sent" in shown
    assert NAME not in shown
    assert PHONE not in shown
    assert (
        officer.post(reverse("referrals:open", kwargs={"code": referral.code})).status_code == 403
    )


def test_the_officer_sees_acceptance_never_arrival(keyed, signed_in):
    hold = a_hold(keyed)
    referral = send(keyed, hold=hold)
    referral_accept(referral=referral, by=keyed.caseworker_x)
    shown = signed_in(keyed.officer_a.user).get(
        reverse("referrals:detail", kwargs={"code": referral.code})
    )
    page = shown.content.decode()
    assert "Accepted" in page
    assert "Confirmed by the shelter" in page  # the bed is theirs now: nothing about the person
    assert "Arrived" not in page


def test_a_bad_form_is_a_400_with_messages_and_nothing_sent(keyed, signed_in):
    consent = grant(keyed.officer_a, keyed.shelter_x).consent
    officer = signed_in(keyed.officer_a.user)
    url = reverse("referrals:new", kwargs={"consent_code": consent.code})
    response = officer.post(url, form_data(adults="0", callback="", services=[]))
    assert response.status_code == 400
    assert not Referral.objects.exists()
    assert "no-store" in response["Cache-Control"]  # what was typed is never kept by caches


def test_the_caseworker_accepts_opens_and_completes(keyed, signed_in):
    referral = send(keyed)
    caseworker = signed_in(keyed.caseworker_x.user)
    inbox = caseworker.get(reverse("referrals:inbox")).content.decode()
    assert str(referral.code) in inbox
    assert NAME not in inbox
    detail = caseworker.get(reverse("referrals:detail", kwargs={"code": referral.code}))
    assert NAME not in detail.content.decode()
    referral.refresh_from_db()
    assert referral.status == "viewed"
    caseworker.post(reverse("referrals:accept", kwargs={"code": referral.code}))
    opened = caseworker.post(reverse("referrals:open", kwargs={"code": referral.code}))
    assert opened.status_code == 200
    assert NAME in opened.content.decode()
    assert PHONE in opened.content.decode()
    assert "no-store" in opened["Cache-Control"]
    assert (
        caseworker.get(reverse("referrals:open", kwargs={"code": referral.code})).status_code == 405
    )
    caseworker.post(reverse("referrals:complete", kwargs={"code": referral.code}))
    assert not Packet.objects.exists()


def test_other_organisations_get_a_404(keyed, signed_in):
    referral = send(keyed)
    for member in (keyed.caseworker_y, keyed.officer_b):
        client = signed_in(member.user)
        for name in ("detail",):
            assert (
                client.get(reverse(f"referrals:{name}", kwargs={"code": referral.code})).status_code
                == 404
            )
        for name in ("accept", "decline", "withdraw", "open", "complete"):
            assert (
                client.post(
                    reverse(f"referrals:{name}", kwargs={"code": referral.code})
                ).status_code
                == 404
            )
    referral.refresh_from_db()
    assert referral.status == "sent"


def test_decline_needs_a_reason_and_the_officer_sees_it(keyed, signed_in):
    referral = send(keyed)
    caseworker = signed_in(keyed.caseworker_x.user)
    url = reverse("referrals:decline", kwargs={"code": referral.code})
    caseworker.post(url, {"reason": "nonsense"})
    referral.refresh_from_db()
    assert referral.status == "sent"
    caseworker.post(url, {"reason": "not_eligible"})
    officer = signed_in(keyed.officer_a.user)
    page = officer.get(reverse("referrals:sent")).content.decode()
    assert "Declined: Not eligible" in page


def test_admins_see_fingerprints_and_rotate(keyed, signed_in):
    admin = signed_in(keyed.admin_x.user)
    url = reverse("referrals:keys", kwargs={"organization_code": keyed.shelter_x.code})
    page = admin.get(url).content.decode()
    key = keyed.shelter_x.keys.get()
    assert key.key_id in page
    admin.post(url, {"confirm": "yes"})
    assert keyed.shelter_x.keys.count() == 2
    caseworker = signed_in(keyed.caseworker_x.user)
    assert caseworker.post(url, {"confirm": "yes"}).status_code == 403
    outsider = signed_in(keyed.caseworker_y.user)
    assert outsider.get(url).status_code == 404


def test_admins_set_where_referrals_are_announced(keyed, signed_in):
    url = reverse("referrals:keys", kwargs={"organization_code": keyed.shelter_x.code})
    admin = signed_in(keyed.admin_x.user)
    bad = admin.post(url, {"action": "contacts", "intake_email": "not an address"})
    assert bad.status_code == 400
    admin.post(
        url,
        {"action": "contacts", "intake_email": "desk@x.example.org", "on_call_email": ""},
    )
    keyed.shelter_x.refresh_from_db()
    assert keyed.shelter_x.intake_email == "desk@x.example.org"
    assert keyed.shelter_x.on_call_email == ""
    caseworker = signed_in(keyed.caseworker_x.user)
    assert (
        caseworker.post(url, {"action": "contacts", "intake_email": "a@b.org"}).status_code == 403
    )
