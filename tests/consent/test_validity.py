"""consent_is_valid: the one check referrals make at every send and every packet open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from consent import services
from consent.models import Consent, ConsentEvent
from consent.services import consent_is_valid
from tests.consent.conftest import grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(time_machine):
    now = timezone.now().replace(microsecond=0)
    time_machine.move_to(now, tick=False)
    return now


def test_valid_for_its_recipient_and_items(cast, frozen):
    consent = grant(cast.officer_a, cast.shelter_x, expires_at=frozen + timedelta(days=1)).consent
    assert consent_is_valid(consent, cast.shelter_x, ["name"], frozen)
    assert consent_is_valid(consent, cast.shelter_x, {"name", "contact"}, frozen)
    assert consent_is_valid(consent, cast.shelter_x, [], frozen)


def test_not_yet_valid_before_it_starts(cast, frozen):
    consent = grant(cast.officer_a, cast.shelter_x, expires_at=frozen + timedelta(days=1)).consent
    verdict = consent_is_valid(consent, cast.shelter_x, ["name"], frozen - timedelta(seconds=1))
    assert not verdict
    assert verdict.reason == "not_yet_valid"


def test_expired_by_one_second_with_no_sweep(cast, frozen, time_machine):
    end = frozen + timedelta(days=1)
    consent = grant(cast.officer_a, cast.shelter_x, expires_at=end).consent
    assert consent_is_valid(consent, cast.shelter_x, ["name"], end - timedelta(seconds=1))
    verdict = consent_is_valid(consent, cast.shelter_x, ["name"], end)
    assert not verdict
    assert verdict.reason == "expired"
    time_machine.move_to(end + timedelta(seconds=1), tick=False)
    consent.refresh_from_db()
    assert consent.status == "active"  # nothing has swept it yet, and it is invalid anyway
    assert not consent_is_valid(consent, cast.shelter_x, ["name"], timezone.now())


def test_revoked_is_invalid_at_once(cast, frozen):
    consent = grant(cast.officer_a, cast.shelter_x).consent
    services.consent_revoke(consent=consent, how=ConsentEvent.How.PORTAL)
    consent.refresh_from_db()
    verdict = consent_is_valid(consent, cast.shelter_x, ["name"], frozen)
    assert not verdict
    assert verdict.reason == "revoked"


def test_another_recipient_or_another_item_is_invalid(cast, frozen):
    consent = grant(cast.officer_a, cast.shelter_x, items=("name",)).consent
    assert consent_is_valid(consent, cast.shelter_y, ["name"], frozen).reason == "other_recipient"
    assert consent_is_valid(consent, cast.shelter_x, ["medical"], frozen).reason == (
        "item_not_consented"
    )


def test_shortening_takes_effect_by_the_clock(cast, frozen):
    consent = grant(cast.officer_a, cast.shelter_x, expires_at=frozen + timedelta(days=7)).consent
    end = frozen + timedelta(hours=2)
    services.consent_shorten(consent=consent, expires_at=end, how=ConsentEvent.How.PORTAL)
    consent.refresh_from_db()
    assert consent_is_valid(consent, cast.shelter_x, ["name"], end - timedelta(seconds=1))
    assert not consent_is_valid(consent, cast.shelter_x, ["name"], end)


def test_a_consent_can_be_shortened_but_never_lengthened(cast, frozen):
    consent = grant(cast.officer_a, cast.shelter_x, expires_at=frozen + timedelta(days=2)).consent
    with pytest.raises(Exception, match="before the current end"):
        services.consent_shorten(
            consent=consent, expires_at=frozen + timedelta(days=3), how=ConsentEvent.How.PORTAL
        )
    consent.refresh_from_db()
    assert consent.expires_at == frozen + timedelta(days=2)


def test_the_sweep_marks_ended_consents_for_display_only(cast, frozen, time_machine):
    ending = grant(cast.officer_a, cast.shelter_x, expires_at=frozen + timedelta(hours=1)).consent
    lasting = grant(cast.officer_a, cast.shelter_x, expires_at=frozen + timedelta(days=3)).consent
    time_machine.move_to(frozen + timedelta(hours=1), tick=False)
    assert services.consents_expire_sweep() == 1
    assert services.consents_expire_sweep() == 0
    ending.refresh_from_db()
    lasting.refresh_from_db()
    assert (ending.status, ending.ended_at) == ("expired", ending.expires_at)
    assert [e.kind for e in ending.events.all()] == ["granted", "expired"]
    assert lasting.status == Consent.Status.ACTIVE
