"""Sending: consent-gated, sealed, all or nothing (DESIGN.md §7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from consent.models import ConsentEvent, Disclosure
from consent.services import consent_revoke
from directory.models import Hold
from referrals import crypto, services
from referrals.models import Notification, OrganizationKey, Packet, Referral
from tests.consent.conftest import grant
from tests.referrals.conftest import NAME, PHONE, a_hold, send

pytestmark = pytest.mark.django_db


def rows() -> dict[str, int]:
    return {
        "referrals": Referral.objects.count(),
        "packets": Packet.objects.count(),
        "ledger": Disclosure.objects.count(),
        "outbox": Notification.objects.exclude(kind="key_changed").count(),
        "linked holds": Referral.objects.exclude(hold=None).count(),
    }


def test_a_referral_is_sealed_to_the_recipients_key_and_recorded(keyed):
    hold = a_hold(keyed)
    referral = send(keyed, hold=hold)
    packet = referral.packet
    key = OrganizationKey.objects.get(organization=keyed.shelter_x, status="active")
    assert packet.key == key
    assert (packet.kem_id, packet.kdf_id, packet.aead_id) == (32, 1, 2)
    sealed = bytes(packet.sealed)
    assert NAME.encode() not in sealed
    assert PHONE.encode() not in sealed
    assert len(sealed) == 32 + 1024 + 16
    assert referral.hold == hold
    assert referral.status == Referral.Status.SENT
    assert referral.decide_by == referral.created_at + timedelta(hours=4)
    assert list(Disclosure.objects.values_list("kind", "reference")) == [
        ("sent", str(referral.code))
    ]
    mail = Notification.objects.get(kind="new_referral")
    assert mail.to == "intake@shelter-x.example.org"
    assert mail.referral == referral
    assert "urgent" in mail.body
    assert NAME not in mail.body + mail.subject
    assert AuditEvent.objects.filter(action="referral.sent").count() == 1


def test_without_a_consent_for_this_recipient_nothing_is_sent(keyed):
    consent = grant(keyed.officer_a, keyed.shelter_y).consent
    with pytest.raises(ValidationError) as error:
        send(keyed, consent=consent, recipient=keyed.shelter_x)
    assert error.value.code == "other_recipient"
    assert rows() == dict.fromkeys(rows(), 0)


def test_an_expired_consent_refuses_the_send(keyed):
    consent = grant(
        keyed.officer_a, keyed.shelter_x, expires_at=timezone.now() + timedelta(hours=1)
    ).consent
    with (
        time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)),
        pytest.raises(ValidationError) as error,
    ):
        send(keyed, consent=consent)
    assert error.value.code == "expired"
    assert rows() == dict.fromkeys(rows(), 0)


def test_a_revoked_consent_refuses_the_send(keyed):
    consent = grant(keyed.officer_a, keyed.shelter_x).consent
    consent_revoke(consent=consent, how=ConsentEvent.How.PORTAL)
    with pytest.raises(ValidationError) as error:
        send(keyed, consent=consent)
    assert error.value.code == "revoked"
    assert rows() == dict.fromkeys(rows(), 0)


def test_an_item_outside_the_consent_is_refused(keyed):
    consent = grant(keyed.officer_a, keyed.shelter_x, items=("name",)).consent
    with pytest.raises(ValidationError) as error:
        send(keyed, consent=consent, items={"name": NAME, "contact": PHONE})
    assert error.value.code == "item_not_consented"
    assert "safe way to contact" in error.value.messages[0]
    assert rows() == dict.fromkeys(rows(), 0)


def test_another_agencys_consent_cannot_be_used(keyed):
    consent = grant(keyed.officer_a, keyed.shelter_x).consent
    with pytest.raises(ValidationError):
        send(keyed, consent=consent, officer=keyed.officer_b)
    assert rows() == dict.fromkeys(rows(), 0)


def test_a_recipient_without_a_key_cannot_be_sent_to(cast):
    with pytest.raises(ValidationError) as error:
        send(cast)
    assert error.value.code == "no_key"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"urgency": "whenever"}, "urgency"),
        ({"services": []}, "services"),
        ({"services": ["legal_aid"]}, "services"),  # not what the consent is for
        ({"household": {"adults": 0}}, "household"),
        ({"household": {"adults": 1, "pets": 2}}, "household"),
        ({"needs": ["jetpack"]}, "needs"),
        ({"safety": ["unknown"]}, "safety"),
        ({"callback": ""}, "callback"),
    ],
)
def test_tier_one_is_coded_and_checked(keyed, overrides, field):
    with pytest.raises(ValidationError) as error:
        send(keyed, **overrides)
    assert field in error.value.message_dict
    assert rows() == dict.fromkeys(rows(), 0)


def test_empty_and_overlong_items_are_refused(keyed):
    with pytest.raises(ValidationError) as error:
        send(keyed, items={"name": "  ", "contact": "x" * 301})
    assert set(error.value.message_dict) == {"name", "contact"}


def test_a_hold_of_another_agency_or_shelter_is_refused(keyed):
    other_agency = a_hold(keyed, officer=keyed.officer_b)
    other_shelter = a_hold(keyed, shelter=keyed.shelter_y)
    for hold in (other_agency, other_shelter):
        with pytest.raises(ValidationError) as error:
            send(keyed, hold=hold)
        assert "hold" in error.value.message_dict
    assert rows() == dict.fromkeys(rows(), 0)


def test_a_failure_in_the_middle_of_sending_leaves_nothing_behind(keyed, monkeypatch):
    hold = a_hold(keyed)
    consent = grant(keyed.officer_a, keyed.shelter_x).consent
    audits = AuditEvent.objects.count()

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "notification_add", broken)
    with pytest.raises(RuntimeError):
        send(keyed, hold=hold, consent=consent)
    assert rows() == dict.fromkeys(rows(), 0)
    assert AuditEvent.objects.count() == audits
    hold.refresh_from_db()
    assert hold.status == Hold.Status.ACTIVE


def test_the_sender_cannot_read_the_packet_back(keyed):
    referral = send(keyed)
    with pytest.raises(services.ReferralConflict):
        services.packet_open(referral=referral, by=keyed.officer_a)


def test_the_hybrid_suite_works_end_to_end(keyed, settings):
    settings.HAVEN_PACKET_SUITE = "mlkem768-x25519"
    key = services.org_key_create(organization=keyed.shelter_x)
    referral = send(keyed)
    assert referral.packet.key == key
    assert referral.packet.kem_id == 0x647A
    services.referral_accept(referral=referral, by=keyed.caseworker_x)
    assert services.packet_open(referral=referral, by=keyed.caseworker_x) == {
        "name": NAME, "contact": PHONE,
    }  # fmt: skip


def test_rotation_keeps_old_packets_openable_then_destroys_the_old_key(keyed):
    referral = send(keyed)
    old = referral.packet.key
    new = services.org_key_create(organization=keyed.shelter_x, by=keyed.admin_x)
    old.refresh_from_db()
    assert old.status == "retired"
    assert new.status == "active"
    assert send(keyed).packet.key == new
    services.referral_accept(referral=referral, by=keyed.caseworker_x)
    assert services.packet_open(referral=referral, by=keyed.caseworker_x)["name"] == NAME
    services.referral_complete(referral=referral, by=keyed.caseworker_x)
    assert services.referrals_sweep()["keys_destroyed"] == 1
    old.refresh_from_db()
    assert old.status == "destroyed"
    assert old.wrapped_private_key is None
    assert AuditEvent.objects.filter(action="key.rotated").count() == 1
    announced = Notification.objects.filter(kind="key_changed", to="admin.x@example.org")
    assert announced.count() == 2  # the first key, then the rotation
    assert crypto.fingerprint(bytes(new.public_key)) in announced.last().body
