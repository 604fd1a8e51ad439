"""Deciding, opening, completing, revoking and expiring — and what the survivor's ledger says."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from audit.models import AuditEvent
from consent.models import ConsentEvent, Disclosure
from consent.services import consent_revoke
from directory.models import Hold
from directory.services import holds_sweep
from referrals import services
from referrals.models import Notification, Packet, Referral
from tests.referrals.conftest import NAME, PHONE, a_hold, send

pytestmark = pytest.mark.django_db


def ledger(referral: Referral) -> list[str]:
    return list(
        Disclosure.objects.filter(reference=str(referral.code)).values_list("kind", flat=True)
    )


def beds(hold: Hold) -> tuple[int, int, int]:
    capacity = hold.capacity
    capacity.refresh_from_db()
    return capacity.occupied, capacity.held, capacity.available


def test_view_accept_open_complete(keyed):
    hold = a_hold(keyed)
    referral = send(keyed, hold=hold)
    services.referral_mark_viewed(referral=referral, by=keyed.caseworker_x)
    services.referral_accept(referral=referral, by=keyed.caseworker_x)
    hold.refresh_from_db()
    assert hold.status == Hold.Status.CONFIRMED
    assert beds(hold) == (1, 0, 2)
    opened = services.packet_open(referral=referral, by=keyed.caseworker_x)
    assert opened == {"name": NAME, "contact": PHONE}
    services.referral_complete(referral=referral, by=keyed.caseworker_x)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COMPLETED
    assert not Packet.objects.exists()
    assert ledger(referral) == ["sent", "viewed", "accepted", "opened", "destroyed"]
    assert AuditEvent.objects.filter(action="packet.opened").count() == 1
    with pytest.raises(services.ReferralConflict):
        services.packet_open(referral=referral, by=keyed.caseworker_x)


def test_a_packet_opens_only_after_acceptance(keyed):
    referral = send(keyed)
    with pytest.raises(services.ReferralConflict) as error:
        services.packet_open(referral=referral, by=keyed.caseworker_x)
    assert error.value.code == "not_accepted"


def test_a_decline_gives_the_bed_back_and_destroys_the_packet(keyed):
    hold = a_hold(keyed)
    referral = send(keyed, hold=hold)
    with pytest.raises(ValidationError):
        services.referral_decline(referral=referral, by=keyed.caseworker_x, reason="bored")
    services.referral_decline(referral=referral, by=keyed.caseworker_x, reason="at_capacity")
    referral.refresh_from_db()
    hold.refresh_from_db()
    assert referral.status == "declined"
    assert referral.decline_reason == "at_capacity"
    assert hold.status == Hold.Status.CANCELLED
    assert beds(hold) == (0, 0, 3)
    assert not Packet.objects.exists()
    assert ledger(referral) == ["sent", "destroyed", "declined"]


def test_the_second_decision_is_told_it_came_too_late(keyed):
    referral = send(keyed)
    services.referral_accept(referral=referral, by=keyed.caseworker_x)
    with pytest.raises(services.ReferralConflict) as error:
        services.referral_accept(referral=referral, by=keyed.admin_x)
    assert error.value.code == "already_decided"
    assert "accepted" in error.value.message
    with pytest.raises(services.ReferralConflict):
        services.referral_withdraw(referral=referral, by=keyed.officer_a)


def test_the_sender_withdraws_before_acceptance(keyed):
    hold = a_hold(keyed)
    referral = send(keyed, hold=hold)
    services.referral_withdraw(referral=referral, by=keyed.officer_a)
    referral.refresh_from_db()
    assert referral.status == "withdrawn"
    assert referral.withdrawal == "sender"
    assert not Packet.objects.exists()
    assert beds(hold) == (0, 0, 3)


def test_revocation_before_acceptance_destroys_the_packet(keyed):
    hold = a_hold(keyed)
    referral = send(keyed, hold=hold)
    packet_pk = referral.packet.pk
    consent_revoke(consent=referral.consent, how=ConsentEvent.How.PORTAL)
    referral.refresh_from_db()
    assert referral.status == "withdrawn"
    assert referral.withdrawal == "consent_revoked"
    assert not Packet.objects.filter(pk=packet_pk).exists()
    assert beds(hold) == (0, 0, 3)
    assert ledger(referral) == ["sent", "destroyed", "withdrawn"]
    with pytest.raises(services.ReferralConflict):
        services.referral_accept(referral=referral, by=keyed.caseworker_x)


def test_revocation_after_acceptance_refuses_opening_and_tells_the_recipient(keyed):
    referral = send(keyed)
    services.referral_accept(referral=referral, by=keyed.caseworker_x)
    consent_revoke(consent=referral.consent, how=ConsentEvent.How.PORTAL)
    with pytest.raises(services.ReferralConflict) as error:
        services.packet_open(referral=referral, by=keyed.caseworker_x)
    assert error.value.code == "consent_revoked"
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert referral.consent_withdrawn_at is not None
    assert not Packet.objects.exists()
    assert ledger(referral) == ["sent", "accepted", "destroyed", "refused"]
    told = Notification.objects.get(kind="consent_withdrawn")
    assert told.to == "intake@shelter-x.example.org"
    assert NAME not in told.body


def test_an_expired_consent_stops_the_packet_opening(keyed):
    referral = send(keyed)
    services.referral_accept(referral=referral, by=keyed.caseworker_x)
    with (
        time_machine.travel(referral.consent.expires_at + timedelta(seconds=1)),
        pytest.raises(services.ReferralConflict) as error,
    ):
        services.packet_open(referral=referral, by=keyed.caseworker_x)
    assert error.value.code == "consent_expired"


def test_an_undecided_referral_expires_by_time_alone(keyed):
    hold = a_hold(keyed)
    referral = send(keyed, hold=hold)
    with time_machine.travel(referral.decide_by + timedelta(seconds=1)):
        with pytest.raises(services.ReferralConflict) as error:
            services.referral_accept(referral=referral, by=keyed.caseworker_x)
        assert error.value.code == "expired"
        referral.refresh_from_db()
        assert referral.status == "expired"
        assert not Packet.objects.exists()
        holds_sweep()
        assert beds(hold) == (0, 0, 3)  # the hold ran out before the decision did


def test_the_sweep_expires_referrals_and_purges_old_packets(keyed):
    waiting, accepted = send(keyed), send(keyed)
    services.referral_accept(referral=accepted, by=keyed.caseworker_x)
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        counts = services.referrals_sweep()
    assert counts["expired"] == 1
    assert counts["purged"] == 1
    waiting.refresh_from_db()
    accepted.refresh_from_db()
    assert waiting.status == "expired"
    assert accepted.packet_destroyed_at is not None
    assert not Packet.objects.exists()


def test_an_urgent_referral_nobody_viewed_escalates_once(keyed):
    referral = send(keyed)
    send(keyed, urgency="standard")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert services.referrals_sweep()["escalated"] == 1
        assert services.referrals_sweep()["escalated"] == 0
    escalation = Notification.objects.get(kind="escalation")
    assert escalation.to == "on-call@shelter-x.example.org"
    assert escalation.referral == referral
    assert NAME not in escalation.body


def test_a_viewed_referral_does_not_escalate(keyed):
    referral = send(keyed)
    services.referral_mark_viewed(referral=referral, by=keyed.caseworker_x)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert services.referrals_sweep()["escalated"] == 0


def test_e_mails_to_the_shelter_never_carry_the_survivors_language(keyed, settings):
    """A survivor who withdraws consent on the Spanish pages: the shelter's notice is in the
    deployment's language, so it does not tell them which language the person chose."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("es"):
        referral = send(keyed)  # an officer working in Spanish
        services.referral_accept(referral=referral, by=keyed.caseworker_x)
        consent_revoke(consent=referral.consent, how=ConsentEvent.How.PORTAL)
    sent = Notification.objects.get(kind="new_referral")
    told = Notification.objects.get(kind="consent_withdrawn")
    assert sent.subject == "A new referral is waiting"
    assert told.subject == "Consent was withdrawn for a referral"
    with translation.override(
        "es"
    ):  # the catalogue has them: English was chosen, not fallen back to
        assert translation.gettext("A new referral is waiting") != sent.subject
