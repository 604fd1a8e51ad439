from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.hsds_export import export_csv, export_json


class Command(BaseCommand):
    help = (
        "Export the listed directory as Open Referral HSDS 3.1: JSON (a list of fully nested "
        "organisations) or CSV (a tabular data package directory). Public data unless --members."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument(
            "--output",
            help="a file for JSON (default: standard output); a directory for CSV (required)",
        )
        parser.add_argument(
            "--members",
            action="store_true",
            help="include bed counts (service_capacity), for members of the network; "
            "confidential locations stay redacted in every export",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        members, output = options["members"], options["output"]
        if options["format"] == "csv":
            if not output:
                raise CommandError("--output DIRECTORY is required for --format csv")
            summary = export_csv(Path(output), members=members)
            self.stderr.write(f"Wrote {summary.organizations} organisations to {output}.")
            return
        if output:
            with Path(output).open("w", encoding="utf-8") as stream:
                summary = export_json(stream, members=members)
        else:
            self.stdout.ending = ""  # the document is written in pieces
            summary = export_json(self.stdout, members=members)
        if output or options["verbosity"] > 1:
            self.stderr.write(f"Wrote {summary.organizations} organisations.")
