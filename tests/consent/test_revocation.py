"""Revocation takes effect at once and announces itself through one extension point."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from consent import services
from consent.models import Consent, ConsentEvent, Disclosure
from consent.signals import consent_revoked

pytestmark = pytest.mark.django_db


def test_revoking_announces_itself_to_subscribers(granted):
    heard = []

    def receiver(sender, consent, at, **kwargs):
        heard.append((sender, consent.pk, consent.status, at))

    consent_revoked.connect(receiver)
    try:
        services.consent_revoke(consent=granted.consent, how=ConsentEvent.How.PORTAL)
    finally:
        consent_revoked.disconnect(receiver)
    ((sender, pk, status, at),) = heard
    assert (sender, pk, status) == (Consent, granted.consent.pk, "revoked")
    assert at == Consent.objects.get().ended_at


def test_a_failing_subscriber_undoes_the_revocation(granted):
    def receiver(**kwargs):
        raise RuntimeError("could not withdraw a referral")

    consent_revoked.connect(receiver)
    try:
        with pytest.raises(RuntimeError):
            services.consent_revoke(consent=granted.consent, how=ConsentEvent.How.PORTAL)
    finally:
        consent_revoked.disconnect(receiver)
    assert Consent.objects.get().status == "active"
    assert [e.kind for e in ConsentEvent.objects.all()] == ["granted"]


def test_a_revoked_consent_cannot_be_revoked_or_shortened_again(granted):
    services.consent_revoke(consent=granted.consent, how=ConsentEvent.How.PORTAL)
    with pytest.raises(Exception, match="already ended"):
        services.consent_revoke(consent=granted.consent, how=ConsentEvent.How.PORTAL)
    with pytest.raises(Exception, match="already ended"):
        services.consent_shorten(
            consent=granted.consent, expires_at=timezone.now() + timedelta(hours=1),
            how=ConsentEvent.How.PORTAL,
        )  # fmt: skip


def test_grant_shorten_and_revoke_are_audited_with_codes_only(granted):
    consent = granted.consent
    services.consent_shorten(
        consent=consent, expires_at=timezone.now() + timedelta(days=1), how="portal"
    )
    services.consent_revoke(consent=consent, how=ConsentEvent.How.PORTAL)
    events = AuditEvent.objects.filter(target=f"consent:{consent.code}").order_by("sequence")
    assert [e.action for e in events] == ["consent.granted", "consent.shortened", "consent.revoked"]
    survivor = f"survivor:{consent.receipt.reference}"
    assert {e.actor for e in events} == {survivor}


def test_the_ledger_keeps_what_happened_and_nothing_else(granted, cast):
    at = timezone.now()
    entry = services.disclosure_record(
        consent=granted.consent, kind=Disclosure.Kind.SENT, organization=cast.shelter_x, at=at,
        reference="referral:1234",
    )  # fmt: skip
    assert (entry.kind, entry.organization, entry.at, entry.reference) == (
        "sent",
        cast.shelter_x,
        at,
        "referral:1234",
    )
    assert {f.name for f in Disclosure._meta.concrete_fields} == {
        "id",
        "consent",
        "kind",
        "organization",
        "at",
        "reference",
    }
