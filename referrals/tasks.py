"""Background tasks of referrals (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from referrals import services


@task()
def deliver_notification(code: str) -> bool:
    """Deliver one queued e-mail (enqueued when the transaction that wrote it commits)."""
    return services.notification_deliver(code)


@task()
def sweep_referrals() -> dict[str, int]:
    """Expire, purge and escalate referrals and retry due e-mails. Enqueue every minute."""
    counts = services.referrals_sweep()
    counts["delivered"] = services.notifications_deliver_due()
    return counts
