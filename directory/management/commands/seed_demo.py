from typing import Any

from django.core.management.base import BaseCommand

from directory.demo import demo_directory_load


class Command(BaseCommand):
    help = "Load the demo directory (idempotent: a second run changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        changes = demo_directory_load()
        self.stdout.write(f"Demo directory ready ({changes} rows created or updated).")
