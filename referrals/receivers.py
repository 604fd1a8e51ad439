"""Referrals listen to the apps below them here — never the other way round."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking
from django.dispatch import receiver

from consent.models import Consent
from consent.signals import consent_revoked
from referrals import services


@receiver(consent_revoked, sender=Consent, dispatch_uid="referrals.consent_revoked")
def on_consent_revoked(sender: Any, consent: Consent, at: datetime, **kwargs: Any) -> None:
    services.referrals_on_consent_revoked(consent=consent, at=at)


@receiver(tracking, dispatch_uid="referrals.tracking")
def on_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    services.notification_tracked(
        message_id=event.message_id or "", event=event.event_type, at=event.timestamp
    )
