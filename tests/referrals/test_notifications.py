"""The outbox: delivered once, after failures, with backoff; tracking events recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from anymail.signals import AnymailTrackingEvent, tracking
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from referrals import services
from referrals.models import Notification
from tests.referrals.conftest import NAME, send

pytestmark = pytest.mark.django_db


class FlakyBackend(EmailBackend):
    """An ESP that fails ``failures`` times, then works (and gives a message id)."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise ConnectionError("ESP unavailable")
        for message in messages:
            message.anymail_status = type("Status", (), {"message_id": f"esp-{len(mail.outbox)}"})
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.referrals.test_notifications.FlakyBackend"
    FlakyBackend.failures = 3
    yield FlakyBackend
    FlakyBackend.failures = 0


def test_an_esp_failing_three_times_still_delivers_once(keyed, flaky):
    Notification.objects.filter(kind="key_changed").delete()
    referral = send(keyed)
    notification = Notification.objects.get(kind="new_referral", referral=referral)
    now = timezone.now()
    delivered = []
    for minute in range(60):
        with time_machine.travel(now + timedelta(minutes=minute)):
            delivered.append(services.notifications_deliver_due())
    notification.refresh_from_db()
    new_referral = [m for m in mail.outbox if m.to == ["intake@shelter-x.example.org"]]
    assert len(new_referral) == 1
    assert notification.status == "sent"
    assert notification.attempts == 4
    assert notification.last_error == "ConnectionError"
    assert NAME not in new_referral[0].body
    assert "Sign in" in new_referral[0].body
    # backoff doubled: the retries came at about 30 s, 60 s and 120 s after the first try
    assert services.notification_deliver(str(notification.code)) is False  # never twice


def test_an_esp_that_never_recovers_is_given_up_on(keyed, flaky, settings):
    settings.HAVEN_NOTIFY_MAX_ATTEMPTS = 2
    flaky.failures = 100
    send(keyed)
    now = timezone.now()
    for minute in range(10):
        with time_machine.travel(now + timedelta(minutes=minute)):
            services.notifications_deliver_due()
    assert Notification.objects.get(kind="new_referral").status == "failed"


def test_the_backoff_grows(keyed, flaky):
    send(keyed)
    notification = Notification.objects.get(kind="new_referral")
    waits = []
    for _ in range(3):
        before = notification.next_attempt_at
        with time_machine.travel(before):
            services.notification_deliver(str(notification.code))
        notification.refresh_from_db()
        waits.append(round((notification.next_attempt_at - before).total_seconds()))
    assert waits == [30, 60, 120]


def test_delivery_events_from_the_esp_are_recorded(keyed):
    send(keyed)
    notification = Notification.objects.get(kind="new_referral")
    services.notification_deliver(str(notification.code))
    Notification.objects.filter(pk=notification.pk).update(message_id="esp-42")
    event = AnymailTrackingEvent(
        event_type="bounced", message_id="esp-42", timestamp=timezone.now()
    )
    tracking.send(sender=object, event=event, esp_name="Test")
    notification.refresh_from_db()
    assert notification.delivery == "bounced"
    assert notification.delivery_at is not None
