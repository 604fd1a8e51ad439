import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from directory.seeding import directory_seed


class Command(BaseCommand):
    help = (
        "Add N synthetic locations spread like the US population (for benchmarks and load "
        "tests). Deterministic for a given --seed; each run adds to what is there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--locations", type=int, required=True, help="how many to add")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["locations"]
        if count < 1:
            self.stderr.write("--locations must be at least 1")
            raise SystemExit(2)
        started = time.perf_counter()
        with tqdm(total=count, unit="loc", disable=options["no_progress"]) as bar:
            made = directory_seed(locations=count, seed=options["seed"], progress=bar.update)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Added {made} locations in {elapsed:.1f} s.")
