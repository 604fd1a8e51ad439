from typing import Any

from django.core.management.base import BaseCommand

from referrals.services import notifications_deliver_due, referrals_sweep


class Command(BaseCommand):
    help = (
        "Expire undecided referrals past their time, destroy packets past their keeping time, "
        "escalate urgent referrals nobody viewed, and deliver due e-mails. Run every minute."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = referrals_sweep()
        counts["delivered"] = notifications_deliver_due()
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
