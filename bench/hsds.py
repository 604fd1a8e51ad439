"""The HSDS import benchmark: a 100,000-location tabular package made by the seeder, imported
into an empty database, then imported again (which must change nothing).

    python -m bench --benchmarks hsds [--locations 100000] [--databases sqlite,postgresql]

The package is made once (seed a scratch SQLite database, ``export_hsds --format csv``) and
kept in var/bench/ for later runs with ``--reuse``. Each import runs in its own process; its
wall time and peak RSS (``ru_maxrss``) are what the targets are about.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

SECONDS_TARGET = 120
RSS_TARGET_MB = 500
SUMMARY = re.compile(
    r"Imported (\d+) organisations, (\d+) services, (\d+) locations: (\d+) records created, "
    r"(\d+) updated, (\d+) unchanged"
)

Runner = Callable[..., tuple[str, float, float]]


def package(
    out: Path,
    locations: int,
    reuse: bool,
    run: Runner,
    environment: Callable[[str], dict[str, str]],
) -> tuple[Path, dict[str, Any]]:
    """The package folder (made from a freshly seeded scratch database unless reused)."""
    folder = out / f"hsds-{locations}"
    if reuse and (folder / "datapackage.json").exists():
        return folder, {}
    shutil.rmtree(folder, ignore_errors=True)
    database = out / f"hsds-{locations}-seed.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    env = environment(f"sqlite:///{database}")
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "-v0"], env)
    run([*manage, "seed_directory", "--locations", str(locations), "--seed", "1",
         "--no-progress"], env)  # fmt: skip
    _out, seconds, rss = run(
        [*manage, "export_hsds", "--format", "csv", "--output", str(folder)], env
    )
    rows = sum(
        max(0, sum(1 for _ in path.open("rb")) - 1) for path in folder.glob("*.csv")
    )  # physical lines; a quoted value over several lines counts more than once
    size = sum(path.stat().st_size for path in folder.iterdir())
    return folder, {
        "export_seconds": round(seconds, 1), "export_peak_rss_mb": round(rss, 1),
        "package_lines": rows, "package_mb": round(size / 2**20, 1),
    }  # fmt: skip


def import_twice(
    folder: Path, database_url: str, run: Runner, environment: Callable[[str], dict[str, str]]
) -> dict[str, Any]:
    """A fresh import into the (empty, migrated) database, then the same package again."""
    env = environment(database_url)
    command = [sys.executable, "manage.py", "import_hsds", str(folder), "--no-progress"]
    result: dict[str, Any] = {}
    for name in ("fresh", "again"):
        output, seconds, rss = run(command, env, quiet=True)  # thousands of notes
        found = SUMMARY.search(output)
        if found is None:
            raise SystemExit(f"import_hsds said: {output[-500:]}")
        orgs, services, places, created, updated, unchanged = map(int, found.groups())
        result[name] = {
            "seconds": round(seconds, 1), "peak_rss_mb": round(rss, 1),
            "organizations": orgs, "services": services, "locations": places,
            "created": created, "updated": updated, "unchanged": unchanged,
        }  # fmt: skip
    again = result["again"]
    result["again_changed_nothing"] = again["created"] == 0 and again["updated"] == 0
    return result


def counts(database_url: str, environment: Callable[[str], dict[str, str]]) -> dict[str, int]:
    code = (
        "import django; django.setup(); import json; from directory.models import *; "
        "print(json.dumps({m.__name__: m.objects.count() for m in "
        "(Organization, Location, Service, Metadata)}))"
    )
    root = Path(__file__).resolve().parent.parent
    probe = subprocess.run(
        [sys.executable, "-c", code], env=environment(database_url), capture_output=True,
        text=True, check=True, cwd=root,
    )  # fmt: skip
    return dict(json.loads(probe.stdout.strip().splitlines()[-1]))


def table(results: dict[str, Any], locations: int) -> None:
    def met(ok: bool) -> str:
        return "met" if ok else "**missed**"

    print(f"\nHSDS tabular import, {locations} locations\n")
    print("| database | import | wall s | target | peak RSS MB | target | created | updated | "
          "unchanged |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for database, r in results.items():
        if database == "package":
            continue
        for name in ("fresh", "again"):
            x = r[name]
            print(
                f"| {database} | {name} | {x['seconds']} | ≤ {SECONDS_TARGET} "
                f"{met(x['seconds'] <= SECONDS_TARGET)} | {x['peak_rss_mb']} | ≤ {RSS_TARGET_MB} "
                f"{met(x['peak_rss_mb'] <= RSS_TARGET_MB)} | {x['created']} | {x['updated']} | "
                f"{x['unchanged']} |"
            )
        print(
            f"| {database} | re-import changed nothing | {r['again_changed_nothing']} | | | | | | |"
        )


def environ_url(default: str) -> str:
    return os.environ.get("BENCH_PG_URL", default)
