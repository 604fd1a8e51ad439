"""The referral commands: first keys, rotation, the sweep — and a wrong key-encryption key."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from referrals.models import OrganizationKey
from referrals.services import referral_accept
from tests.referrals.conftest import NAME, send

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_every_provider_gets_one_first_key(cast):
    assert "2 organisations" in run("ensure_org_keys")
    assert "0 organisations" in run("ensure_org_keys")
    assert OrganizationKey.objects.filter(status="active").count() == 2
    assert not OrganizationKey.objects.filter(organization__kind="agency").exists()


def test_rotation_by_command_prints_the_fingerprint(keyed):
    output = run("rotate_org_key", str(keyed.shelter_x.code), "--suite", "mlkem768-x25519")
    key = OrganizationKey.objects.get(organization=keyed.shelter_x, status="active")
    assert key.suite == "mlkem768-x25519"
    assert key.key_id in output
    assert "Fingerprint:" in output
    with pytest.raises(CommandError, match="No organisation"):
        run("rotate_org_key", "not-a-uuid")
    with pytest.raises(CommandError, match="service provider"):
        run("rotate_org_key", str(keyed.agency_a.code))


def test_without_a_key_encryption_key_the_command_refuses_clearly(cast, settings):
    settings.HAVEN_KEK, settings.HAVEN_KEK_FILE = "", ""
    with pytest.raises(CommandError, match="no key-encryption key"):
        run("ensure_org_keys")
    assert not OrganizationKey.objects.exists()


def test_the_sweep_reports_what_it_did(keyed):
    assert "expired: 0" in run("sweep_referrals")


def test_a_wrong_key_encryption_key_is_a_clear_refusal_not_a_crash(keyed, signed_in, settings):
    referral = send(keyed)
    referral_accept(referral=referral, by=keyed.caseworker_x)
    settings.HAVEN_KEK = base64.b64encode(bytes(32)).decode()
    caseworker = signed_in(keyed.caseworker_x.user)
    response = caseworker.post(
        reverse("referrals:open", kwargs={"code": referral.code}), follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot be opened on this server right now" in page
    assert NAME not in page
