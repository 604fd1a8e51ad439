from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.hsds_compat import AUTO, CHOICES
from directory.hsds_import import import_path
from directory.hsds_problems import ImportRefused


class Command(BaseCommand):
    help = (
        "Import an HSDS 3.1 or 3.0 directory (3.0 is read as 3.1): a JSON file "
        "(organization_full or service_full objects, a list, or an API page) or a tabular "
        "package (a directory or .zip with "
        "datapackage.json). Everything is validated first; any problem refuses the whole "
        "import and lists every problem found. Importing the same data again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report; write nothing"
        )
        parser.add_argument(
            "--allow-dangling",
            action="store_true",
            help="import a tabular package whose links point at rows it does not contain, "
            "leaving those links out (each is noted) instead of refusing it",
        )
        parser.add_argument(
            "--hsds-version",
            choices=CHOICES,
            default=AUTO,
            help="the HSDS version of the input; auto (the default) reads it as 3.1 if it holds "
            "anything HSDS 3.1 added, else as 3.0; the report says which was used",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        try:
            summary = import_path(
                path,
                dry_run=options["dry_run"],
                allow_dangling=options["allow_dangling"],
                hsds_version=options["hsds_version"],
            )
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"Nothing was imported: {len(refused.problems)} problem(s) to fix first."
            ) from None
        for note in summary.notes:
            self.stderr.write(f"note: {note}")
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(
            f"{verb} {summary.organizations} organisations, {summary.services} services, "
            f"{summary.locations} locations: {summary.created} records created, "
            f"{summary.updated} updated, {summary.unchanged} unchanged."
        )
