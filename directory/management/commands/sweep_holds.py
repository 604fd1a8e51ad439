from typing import Any

from django.core.management.base import BaseCommand

from directory.services import holds_sweep


class Command(BaseCommand):
    help = "Mark overdue bed holds expired (run every few minutes, e.g. from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{holds_sweep()} overdue holds marked expired.")
