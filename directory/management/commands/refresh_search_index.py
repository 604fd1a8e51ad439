from typing import Any

from django.core.management.base import BaseCommand

from directory.models import Location
from directory.services import location_index_refresh


class Command(BaseCommand):
    help = "Rebuild every location's search index from its services, hours and features."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = location_index_refresh(
            location_ids=Location.objects.values_list("pk", flat=True).iterator()
        )
        self.stdout.write(f"Search index rebuilt ({changed} locations changed).")
