import sys
import time
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from directory.hsds_compat import AUTO, CHOICES
from directory.hsds_import import import_path
from directory.hsds_problems import ImportRefused

STAGES = {
    "reading": "reading rows",
    "checking": "checking records",
    "writing": "writing records",
}


class BarProgress:
    """A progress bar per stage on a terminal (tqdm, which the seeder uses too)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar: tqdm | None = None

    def stage(self, name: str, total: int | None) -> None:
        self.close()
        unit = "row" if name == "reading" else "org"
        self.bar = tqdm(total=total, desc=_(STAGES.get(name, name)), unit=unit,
                        file=self.stream, leave=True, dynamic_ncols=True)  # fmt: skip

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class LineProgress:
    """Without a terminal (a log file, a cron job): one plain line per stage, with how many
    it did and how long it took."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.name: str | None = None
        self.done = 0
        self.started = 0.0

    def stage(self, name: str, total: int | None) -> None:
        self.close()
        self.name, self.done, self.started = name, 0, time.perf_counter()

    def advance(self, count: int) -> None:
        self.done += count

    def close(self) -> None:
        if self.name is not None:
            seconds = time.perf_counter() - self.started
            label = _(STAGES.get(self.name, self.name))
            self.stream.write(f"{label}: {self.done} in {seconds:.1f} s\n")
            self.stream.flush()
            self.name = None


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
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress report (by default a bar on a terminal, else a line per stage)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        stream = getattr(self.stderr, "_out", sys.stderr)
        progress: BarProgress | LineProgress | None = None
        if not options["no_progress"]:
            terminal = hasattr(stream, "isatty") and stream.isatty()
            progress = BarProgress(stream) if terminal else LineProgress(stream)
        try:
            summary = import_path(
                path,
                dry_run=options["dry_run"],
                allow_dangling=options["allow_dangling"],
                hsds_version=options["hsds_version"],
                progress=progress,
            )
        except ImportRefused as refused:
            if progress is not None:
                progress.close()
            for problem in refused.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"Nothing was imported: {len(refused.problems)} problem(s) to fix first."
            ) from None
        if progress is not None:
            progress.close()
        for note in summary.notes:
            self.stderr.write(f"note: {note}")
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(
            f"{verb} {summary.organizations} organisations, {summary.services} services, "
            f"{summary.locations} locations: {summary.created} records created, "
            f"{summary.updated} updated, {summary.unchanged} unchanged."
        )
