from typing import Any

from django.core.management.base import BaseCommand, CommandError

from audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit non-zero at the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(f"Audit chain broken at event #{report.broken_at}: {report.problem}")
        self.stdout.write(
            f"Audit chain intact: {report.events} events; head {report.head_hash}. "
            "Record the head somewhere else to detect a rewrite of the whole log."
        )
