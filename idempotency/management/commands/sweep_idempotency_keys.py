from typing import Any

from django.core.management.base import BaseCommand

from idempotency.services import idempotency_keys_sweep


class Command(BaseCommand):
    help = "Forget Idempotency-Keys and their stored answers after 24 hours (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{idempotency_keys_sweep()} expired idempotency keys deleted.")
