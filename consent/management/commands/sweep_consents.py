from typing import Any

from django.core.management.base import BaseCommand

from consent.services import consents_expire_sweep


class Command(BaseCommand):
    help = "Mark consents past their end as expired, for display (validity never waits for it)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{consents_expire_sweep()} consents marked expired.")
