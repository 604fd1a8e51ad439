"""`make bench`: search, hold and referral benchmarks on SQLite and on PostgreSQL.

Seeds a large directory and times search on each database; hold throughput on PostgreSQL;
referral sends and packet opens on each, in a fresh database of their own.

    python -m bench [--locations 100000] [--queries 1000] [--databases sqlite,postgresql]
                    [--reuse] [--benchmarks search,holds,referrals,hsds] [--sends 400]

``--benchmarks`` runs only the ones named (``--benchmarks referrals`` seeds no directory).
``--benchmarks hsds`` times the HSDS tabular import of a seeded package (bench/hsds.py); its
PostgreSQL database is ``$BENCH_PG_URL_hsds`` (default haven_bench_hsds).

Each step runs in its own process so its time and peak memory are its own. Results are
printed as a Markdown table and written to var/bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/haven_bench"
BENCHMARKS = ("search", "holds", "referrals", "hsds")
# Referral targets: sends per second in one process, by database; packet open p95 in ms.
SENDS_TARGET = {"sqlite": 200, "postgresql": 150}
OPEN_P95_TARGET_MS = 10


def run(args: list[str], env: dict[str, str], *, quiet: bool = False) -> tuple[str, float, float]:
    """Run a child; return its stdout, wall seconds and peak RSS in MB. ``quiet`` drops what
    it writes to standard error."""
    started = time.perf_counter()
    child = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
        stderr=subprocess.DEVNULL if quiet else None,
    )  # fmt: skip
    assert child.stdout is not None
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed")
    return output, elapsed, usage.ru_maxrss / 1024


def environment(database_url: str) -> dict[str, str]:
    # One client asking a thousand times a minute is the benchmark, not an abuser.
    unlimited = "1000000/min"
    return {
        **os.environ, "HAVEN_ENV": "development", "DEBUG": "false",
        "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings",
        "HAVEN_THROTTLE_ANONYMOUS": unlimited, "HAVEN_THROTTLE_MEMBER": unlimited,
    }  # fmt: skip


def prepare(database: str, locations: int, reuse: bool) -> tuple[str, dict[str, Any]]:
    manage = [sys.executable, "manage.py"]
    if database == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"search-{locations}.sqlite3"
        url = f"sqlite:///{path}"
        if path.exists() and reuse:
            run([*manage, "migrate", "-v0"], environment(url))
            return url, {}
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        url = PG_BENCH
        if reuse and _pg_has_locations():
            run([*manage, "migrate", "-v0"], environment(url))
            return url, {}
        subprocess.run(["psql", PG_ADMIN, "-qc", "DROP DATABASE IF EXISTS haven_bench"], check=True)
        subprocess.run(["psql", PG_ADMIN, "-qc", "CREATE DATABASE haven_bench"], check=True)
    env = environment(url)
    run([*manage, "migrate", "-v0"], env)
    _out, seconds, rss = run(
        [*manage, "seed_directory", "--locations", str(locations), "--seed", "1", "--no-progress"],
        env,
    )
    if database == "postgresql":
        subprocess.run(["psql", PG_BENCH, "-qc", "VACUUM ANALYZE"], check=True)
    else:
        subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(path)!r})"
                        ".execute('ANALYZE')"], check=True)  # fmt: skip
    return url, {"seed_seconds": round(seconds, 1), "seed_peak_rss_mb": round(rss, 1)}


def hold_throughput() -> dict[str, Any]:
    """8 client processes on 50 shelters, in a database of their own."""
    admin = ["psql", PG_ADMIN, "-qc"]
    subprocess.run([*admin, "DROP DATABASE IF EXISTS haven_bench_holds"], check=True)
    subprocess.run([*admin, "CREATE DATABASE haven_bench_holds"], check=True)
    env = environment(PG_BENCH + "_holds")
    run([sys.executable, "manage.py", "migrate", "-v0"], env)
    output, _seconds, _rss = run([sys.executable, "-m", "bench.holds"], env)
    result: dict[str, Any] = json.loads(output)
    return result


def referral_throughput(database: str, sends: int) -> dict[str, Any]:
    """Referral sends and packet opens in one process, in a fresh database of their own."""
    if database == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / "referrals.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        admin = ["psql", PG_ADMIN, "-qc"]
        subprocess.run([*admin, "DROP DATABASE IF EXISTS haven_bench_referrals"], check=True)
        subprocess.run([*admin, "CREATE DATABASE haven_bench_referrals"], check=True)
        url = PG_BENCH + "_referrals"
    env = environment(url)
    run([sys.executable, "manage.py", "migrate", "-v0"], env)
    output, _seconds, _rss = run(
        [sys.executable, "-m", "bench.referrals", "--sends", str(sends)], env
    )
    result: dict[str, Any] = json.loads(output)
    return result


def hsds_import(database: str, folder: Path) -> dict[str, Any]:
    """Import the package into an empty database of its own, twice."""
    from bench import hsds

    if database == "sqlite":
        path = OUT / "hsds-import.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = os.environ.get("BENCH_PG_URL", PG_BENCH) + "_hsds"
        name = url.rsplit("/", 1)[1]
        admin = ["psql", PG_ADMIN, "-qc"]
        subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}"'], check=True)
        subprocess.run([*admin, f'CREATE DATABASE "{name}"'], check=True)
    run([sys.executable, "manage.py", "migrate", "-v0"], environment(url))
    result = hsds.import_twice(folder, url, run, environment)
    result["rows"] = hsds.counts(url, environment)
    return result


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {_memory_gb()} GB, "
        f"Python {platform.python_version()}"
    )


def _memory_gb() -> int:
    pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return round(pages * size / 2**30)


def _pg_has_locations() -> bool:
    probe = subprocess.run(
        ["psql", PG_BENCH, "-tAc", "SELECT count(*) FROM directory_location"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return probe.returncode == 0 and probe.stdout.strip() not in ("", "0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    parser.add_argument("--benchmarks", default=",".join(BENCHMARKS),
                        help=f"which to run, of {','.join(BENCHMARKS)}")  # fmt: skip
    parser.add_argument("--sends", type=int, default=400, help="referrals sent (and opened)")
    args = parser.parse_args()
    chosen = args.benchmarks.split(",")
    if unknown := set(chosen) - set(BENCHMARKS):
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")

    results: dict[str, Any] = {
        "machine": machine(),
        "locations": args.locations,
        "databases": {},
        "referrals": {},
    }
    sys.path.insert(0, str(ROOT))
    from bench.search import make_queries

    OUT.mkdir(parents=True, exist_ok=True)
    queries_file = OUT / "queries.json"
    if "search" in chosen:
        queries = [make_queries(100, 7), make_queries(args.queries, 2026)]
        queries_file.write_text(json.dumps(queries))
    if "hsds" in chosen:
        from bench import hsds

        print(f"== HSDS package of {args.locations} locations", file=sys.stderr)
        folder, made = hsds.package(OUT, args.locations, args.reuse, run, environment)
        results["hsds"] = {"package": {"path": str(folder), **made}}
    for database in args.databases.split(","):
        if "hsds" in chosen:
            print(f"== {database}: HSDS import, fresh and again", file=sys.stderr)
            results["hsds"][database] = hsds_import(database, folder)
        if "search" in chosen:
            print(f"== {database}: seeding {args.locations} locations", file=sys.stderr)
            url, seeded = prepare(database, args.locations, args.reuse)
            print(f"== {database}: {args.queries} searches", file=sys.stderr)
            output, _seconds, _rss = run(
                [sys.executable, "-m", "bench.search", str(queries_file)], environment(url)
            )
            results["databases"][database] = {**seeded, **json.loads(output)}
        if database == "postgresql" and "holds" in chosen:
            print("== postgresql: hold throughput", file=sys.stderr)
            results["holds"] = hold_throughput()
        if "referrals" in chosen:
            print(f"== {database}: {args.sends} referral sends and opens", file=sys.stderr)
            results["referrals"][database] = referral_throughput(database, args.sends)

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    if not results["databases"]:
        print(f"\n{results['machine']}")
    else:
        search_tables(results, args.locations, args.queries)
    if "holds" in results:
        h = results["holds"]
        print(
            f"\nHolds on PostgreSQL: {h['holds_per_second']} placed/s "
            f"({h['operations_per_second']} place + cancel/s), {h['clients']} clients, "
            f"{h['shelters']} shelters, {h['seconds']} s; errors {h['errors']}, "
            f"invariant violations {h['invariant_violations']}."
        )
    if results["referrals"]:
        referral_table(results["referrals"])
    if "hsds" in results:
        from bench import hsds

        hsds.table(results["hsds"], args.locations)


def _met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def referral_table(referrals: dict[str, dict[str, Any]]) -> None:
    first = next(iter(referrals.values()))
    print(f"\nReferrals, one process: {first['sends']} sends, then as many packet opens "
          f"({first['suite']} packets)\n")  # fmt: skip
    print("| database | sends/s | target | send p50 ms | send p95 ms | open p50 ms | "
          "open p95 ms | target | open p99 ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in referrals.items():
        sends_target = SENDS_TARGET.get(name, SENDS_TARGET["postgresql"])
        sends_ok = r["sends_per_second"] >= sends_target
        open_ok = r["open_p95_ms"] <= OPEN_P95_TARGET_MS
        print(
            f"| {name} | {r['sends_per_second']} | ≥ {sends_target} {_met(sends_ok)} | "
            f"{r['send_p50_ms']} | {r['send_p95_ms']} | {r['open_p50_ms']} | "
            f"{r['open_p95_ms']} | ≤ {OPEN_P95_TARGET_MS} {_met(open_ok)} | {r['open_p99_ms']} |"
        )


def search_tables(results: dict[str, Any], locations: int, queries: int) -> None:
    print(f"\n{results['machine']}; {locations} locations; {queries} searches\n")
    print("| database | seed s | seed RSS MB | p50 ms | p95 ms | p99 ms | search RSS MB | "
          "naive p50 ms | speed-up |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results["databases"].items():
        print(
            f"| {name} | {r.get('seed_seconds', '–')} | {r.get('seed_peak_rss_mb', '–')} | "
            f"{r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['peak_rss_mb']} | "
            f"{r['baseline_p50_ms']} | {r['speedup']}× |"
        )
    print("\n| database | has_beds p50 ms | p95 ms | p99 ms | mean results |")
    print("|---|---|---|---|---|")
    for name, r in results["databases"].items():
        print(
            f"| {name} | {r['has_beds_p50_ms']} | {r['has_beds_p95_ms']} | "
            f"{r['has_beds_p99_ms']} | {r['has_beds_mean_results']} |"
        )


if __name__ == "__main__":
    main()
