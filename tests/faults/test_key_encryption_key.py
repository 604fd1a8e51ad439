"""The deployment's key-encryption key is missing or is the wrong one (a restore onto a
server configured for another network, a secret that failed to mount): Haven refuses
plainly, never crashes, and never falls back to anything unsealed."""

from __future__ import annotations

import base64
import os

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from audit.models import AuditEvent
from consent.models import Disclosure
from referrals.models import OrganizationKey, Packet
from referrals.services import referral_accept
from tests.referrals.conftest import NAME, PHONE, send

pytestmark = pytest.mark.django_db

REFUSAL = "cannot be opened on this server right now"


def _another_kek() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(params=["wrong", "missing"])
def broken_kek(request, settings):
    """Applied after the keys were made under the right one."""

    def apply() -> None:
        if request.param == "wrong":
            settings.HAVEN_KEK, settings.HAVEN_KEK_FILE = _another_kek(), ""
        else:
            settings.HAVEN_KEK, settings.HAVEN_KEK_FILE = "", ""

    return apply


def test_opening_a_packet_is_refused_plainly_and_nothing_is_shown(keyed, signed_in, broken_kek):
    referral = send(keyed)
    referral_accept(referral=referral, by=keyed.caseworker_x)
    opened_before = Disclosure.objects.filter(kind=Disclosure.Kind.OPENED).count()
    audited_before = AuditEvent.objects.filter(action="packet.opened").count()
    broken_kek()

    caseworker = signed_in(keyed.caseworker_x.user)
    response = caseworker.post(reverse("referrals:open", kwargs={"code": referral.code}),
                               follow=True)  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200
    assert REFUSAL in page
    assert "Tell your network steward" in page
    assert NAME not in page
    assert PHONE not in page
    # Nothing was opened, so nothing says it was; the packet is still there, still sealed.
    assert Disclosure.objects.filter(kind=Disclosure.Kind.OPENED).count() == opened_before
    assert AuditEvent.objects.filter(action="packet.opened").count() == audited_before
    packet = Packet.objects.get(referral=referral)
    assert NAME.encode() not in bytes(packet.sealed)


def test_sending_still_seals_to_the_public_key(keyed, broken_kek):
    broken_kek()
    referral = send(keyed)
    sealed = bytes(Packet.objects.get(referral=referral).sealed)
    assert NAME.encode() not in sealed
    assert PHONE.encode() not in sealed
    assert len(sealed) >= 1024  # padded ciphertext, not a plaintext fallback


def test_making_a_key_is_refused_on_the_page_and_on_the_command_line(keyed, signed_in, broken_kek):
    broken_kek()
    keys_before = OrganizationKey.objects.count()
    admin = signed_in(keyed.admin_x.user)
    url = reverse("referrals:keys", kwargs={"organization_code": keyed.shelter_x.code})
    response = admin.post(url, {"confirm": "yes"}, follow=True)
    assert response.status_code == 200
    assert "The server cannot make keys right now" in response.content.decode()
    with pytest.raises(CommandError):
        call_command("rotate_org_key", str(keyed.shelter_x.code))
    assert OrganizationKey.objects.count() == keys_before
