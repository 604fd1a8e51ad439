"""`make load`: gunicorn (2 workers) on loopback with PostgreSQL, under locust for 60 s.

    python -m bench.load [--seconds 60] [--users 40] [--rate 220] [--locations 100000]
                         [--port 0] [--database-url postgres://…/haven_load] [--reseed]
                         [--strict]

1. A fresh PostgreSQL database, copied from a template seeded once by the seed tools
   (``manage.py seed_directory``; the template is seeded again when the seeding code, the
   migrations or ``--locations`` change, or with ``--reseed``).
2. In it: officer agencies, each with an API token of scope ``holds:write``
   (accounts.services.token_issue, what ``manage.py issue_token`` calls), and the plan for
   the clients: searches (bench/search.py's query mix), listing pages, and the shelters whose
   beds are held, with their counts before.
3. ``gunicorn config.wsgi`` with 2 workers under production settings (``HAVEN_ENV=production``:
   secrets from the environment, Redis for rate limits, compressed static files), with two
   changes for a loopback run, both below in ``environment()``; warmed up, then driven by
   ``locust --headless`` with bench/locustfile.py for ``--seconds``.
4. Every bed invariant (bench/holds.py, over every capacity in the database), the holds
   the clients placed and cancelled against what the database counted, and the audit chain
   (``manage.py audit_verify``).

Prints the figures against the targets and writes var/load/results.json. Exits 1 on any
error, invariant violation or broken audit chain; with ``--strict`` also on a missed
throughput or latency target (those depend on the machine; on a busy one they are noise).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "load"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/haven_load"
# A Redis database of its own, so these rate-limit counters meet nobody else's.
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
TARGET_RPS = 200
TARGET_SEARCH_P95_MS = 50
AGENCIES = 8
KINDS = ("search", "listing", "hold place", "hold place: 409 no bed", "hold cancel")


def environment(database_url: str, redis_url: str, secret_key: str, kek: str) -> dict[str, str]:
    """Production settings, as a deployment would run them, except for two things a loopback
    run needs: no redirect to HTTPS (there is no TLS proxy in front), and a per-address API
    limit raised out of the way, because every simulated member of the public comes from the
    same address, 127.0.0.1, where a real deployment sees thousands of addresses. Token and
    member limits keep their production values: each agency's token stays well under its
    1,200 a minute."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("HAVEN_", "DJANGO_"))}
    for name in ("DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "REDIS_URL"):
        inherited.pop(name, None)
    return {
        **inherited,
        "HAVEN_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secret_key,
        "HAVEN_KEK": kek,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HAVEN_VAR_DIR": str(OUT),
        "HAVEN_PROXY_COUNT": "0",
        "SECURE_SSL_REDIRECT": "false",
        "HAVEN_THROTTLE_ANONYMOUS": "1000000/min",
        # Nothing in this run sends mail; if something did, it would not leave the machine.
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }


def _manage(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _psql(url: str, sql: str) -> str:
    done = subprocess.run(["psql", url, "-qtAc", sql], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"psql failed: {sql}\n{done.stderr}")
    return done.stdout.strip()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _seed_fingerprint(locations: int) -> str:
    """What the seeded template depends on: the seeding code, the migrations, the size."""
    digest = hashlib.sha256(f"locations={locations}".encode())
    digest.update((ROOT / "directory" / "seeding.py").read_bytes())
    for migration in sorted(ROOT.glob("*/migrations/0*.py")):
        digest.update(str(migration.relative_to(ROOT)).encode())
    return digest.hexdigest()[:16]


def prepare_database(url: str, locations: int, reseed: bool, env: dict[str, str]) -> str:
    """A fresh copy of the seeded template; seeds the template first when needed."""
    name = urlsplit(url).path.lstrip("/")
    template = f"{name}_seed"
    admin = _with_database(url, "postgres")
    fingerprint = _seed_fingerprint(locations)
    # The names come from --database-url, on this machine, typed by whoever runs this.
    found = _psql(
        admin,
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "  # noqa: S608
        f"WHERE datname = '{template}'",
    )
    if reseed or found != fingerprint:
        print(f"== seeding {locations} locations into {template}", file=sys.stderr)
        _psql(admin, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        _psql(admin, f'CREATE DATABASE "{template}"')
        seed_env = {**env, "DATABASE_URL": _with_database(url, template)}
        _manage("migrate", "--noinput", "-v0", env=seed_env)
        started = time.perf_counter()
        _manage("seed_directory", "--locations", str(locations), "--seed", "1", "--no-progress",
                env=seed_env)  # fmt: skip
        print(f"   seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        _psql(_with_database(url, template), "VACUUM ANALYZE")
        _psql(admin, f"COMMENT ON DATABASE \"{template}\" IS '{fingerprint}'")
    _psql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    _manage("migrate", "--noinput", "-v0", env=env)
    return fingerprint


def collect_static(env: dict[str, str]) -> None:
    """``collectstatic`` as a release does it, skipped when nothing it reads changed (it
    compresses every file twice, which takes minutes on a busy machine)."""
    digest = hashlib.sha256((ROOT / "constraints.txt").read_bytes())
    for path in sorted((ROOT / "static").rglob("*")):
        if path.is_file():
            digest.update(f"{path.relative_to(ROOT)} {path.stat().st_size} {path.stat().st_mtime}"
                          .encode())  # fmt: skip
    stamp = OUT / "static" / ".collected"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    print("== collectstatic", file=sys.stderr)
    _manage("collectstatic", "--noinput", "-v0", env=env)
    stamp.write_text(digest.hexdigest())


# --- Steps run in a child process with Django set up (python -m bench.load plan|check) --------


def write_plan(path: Path, *, shelters: int, seed: int) -> None:
    """Agencies and their tokens, and what the clients ask for."""
    import random

    import django

    django.setup()
    from accounts.services import token_issue
    from bench.search import make_queries
    from directory.models import Capacity, Location, Organization

    rng = random.Random(seed)
    tokens, agencies = [], []
    for n in range(AGENCIES):
        agency = Organization.objects.create(
            name=f"Load test agency {n + 1}", kind=Organization.Kind.AGENCY
        )
        agencies.append(str(agency.code))
        issued = token_issue(organization=agency, name="load test", scopes=["holds:write"],
                             issuer=None)  # fmt: skip
        tokens.append(issued.secret)
    listed = list(Location.objects.filter(search_listed=True).values_list("code", flat=True))
    capacities = list(
        Capacity.objects.filter(status=Capacity.Status.ACCEPTING, location__search_listed=True)
        .order_by("pk")
        .values_list("pk", "location__code", "population", "total", "occupied", "held")
    )
    chosen = rng.sample(capacities, min(shelters, len(capacities)))
    plan = {
        "queries": make_queries(1000, 2026),
        "warm_up": make_queries(200, 7),
        "locations": [str(code) for code in rng.sample(listed, min(2000, len(listed)))],
        "capacities": [[str(location), population] for _pk, location, population, *_ in chosen],
        "before": {
            f"{location}/{population}": {"pk": pk, "total": t, "occupied": o, "held": h}
            for pk, location, population, t, o, h in chosen
        },
        "tokens": tokens,
        "agencies": agencies,
    }
    path.write_text(json.dumps(plan))


def check(plan_path: Path, result_path: Path) -> None:
    """Every bed invariant, and what the clients did against what the database counted."""
    import django

    django.setup()
    from bench.holds import invariants
    from directory.models import Capacity, Hold

    plan = json.loads(plan_path.read_text())
    result = json.loads(result_path.read_text())
    problems = invariants()
    now = {
        pk: (total, occupied, held)
        for pk, total, occupied, held in Capacity.objects.filter(
            pk__in=[b["pk"] for b in plan["before"].values()]
        ).values_list("pk", "total", "occupied", "held")
    }
    for key, before in plan["before"].items():
        total, occupied, held = now[before["pk"]]
        gained = result["placed"].get(key, 0) - result["cancelled"].get(key, 0)
        # Each hold placed took exactly one bed, each cancel gave exactly one back (§5.2–3).
        if held - before["held"] != gained:
            problems.append(f"{key}: held {before['held']} → {held}, clients netted {gained}")
        if (total, occupied) != (before["total"], before["occupied"]):
            problems.append(f"{key}: total/occupied changed without a shelter update")
    holds = Hold.objects.filter(agency__code__in=plan["agencies"])
    placed, cancelled = sum(result["placed"].values()), sum(result["cancelled"].values())
    counted = {
        "placed": holds.count(),
        "cancelled": holds.filter(status=Hold.Status.CANCELLED).count(),
        "active": holds.filter(status=Hold.Status.ACTIVE).count(),
    }
    expected = {"placed": placed, "cancelled": cancelled, "active": placed - cancelled}
    if counted != expected:
        problems.append(f"hold rows {counted}, clients saw {expected}")
    print(json.dumps({"capacities": Capacity.objects.count(), "holds": counted,
                      "problems": problems}))  # fmt: skip


# --- The run ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 (loopback only)
            answer.read()
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def start_server(
    port: int, env: dict[str, str], log: Path, access_log: Path
) -> subprocess.Popen[bytes]:
    """``gunicorn config.wsgi`` with 2 (sync) workers. Its access log keeps, for each request,
    only the method, the path without its query, the status and the time the worker took."""
    handle = log.open("wb")
    access_log.unlink(missing_ok=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "--access-logfile", str(access_log), "--access-logformat", "%(m)s %(U)s %(s)s %(D)s"],
        cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start; see {log}")
        try:
            if _get(base + "/healthz") == 200:
                return server
        except OSError:
            pass
        time.sleep(0.25)
    stop_server(server)
    raise SystemExit(f"gunicorn did not answer on {base} within 60 s; see {log}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def warm_up(base: str, plan: dict[str, Any], seconds: float) -> None:
    """Both workers load the gazetteer and the database's pages are in memory before timing:
    searches and listing pages from four threads (no holds, so nothing is counted twice)."""
    urls = [f"{base}/api/v1/search?{urlencode(q)}" for q in plan["warm_up"] + plan["queries"]]
    urls += [f"{base}/locations/{code}/" for code in plan["locations"][:500]]
    deadline = time.monotonic() + seconds
    bad: list[str] = []

    def worker(start: int) -> None:
        index = start
        while time.monotonic() < deadline and not bad:
            status = _get(urls[index % len(urls)])
            if status != 200:
                bad.append(f"{status} {urls[index % len(urls)]}")
            index += 4

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if bad:
        raise SystemExit(f"warm-up failed: {bad[0]}")


def server_errors(log: Path) -> list[str]:
    """What the server itself logged as going wrong (Django logs 5xx answers at ERROR)."""
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if " ERROR " in line or line.startswith("Traceback")]


def server_times(access_log: Path, offset: int) -> dict[str, list[float]]:
    """Milliseconds each request took inside a worker (from the access log, after the warm-up):
    the client's time less the wait for a free worker."""
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with access_log.open("rb") as handle:
        handle.seek(offset)
        for line in handle.read().decode(errors="replace").splitlines():
            _method, path, status, micros = line.rsplit(" ", 3)
            if path == "/api/v1/search":
                kind = "search"
            elif path.startswith("/locations/"):
                kind = "listing"
            elif path == "/api/v1/holds":
                kind = "hold place: 409 no bed" if status == "409" else "hold place"
            elif path.endswith("/cancel"):
                kind = "hold cancel"
            else:
                continue
            times[kind].append(int(micros) / 1000)
    return times


def summarise(result: dict[str, Any], inside: dict[str, list[float]]) -> dict[str, Any]:
    from bench.search import percentile

    seconds = result["seconds"] or 1.0
    rows = {}
    all_times: list[float] = []
    for kind in KINDS:
        times = result["timings_ms"].get(kind, [])
        failed = result["failures"].get(kind, 0)
        all_times += times
        rows[kind] = _row(times, failed, seconds, percentile)
        rows[kind].update(_inside(inside[kind], percentile))
    rows["all"] = _row(all_times, sum(result["failures"].values()), seconds, percentile)
    rows["all"].update(_inside([t for kind in KINDS for t in inside[kind]], percentile))
    return rows


def arrivals(starts: list[float], window_ms: int = 10) -> dict[str, float]:
    """How the clients' requests arrived, in 10 ms windows: the mean, the most in one, and
    variance over mean (the index of dispersion: 1 for independent arrivals, far above 1
    for bursts), so a run can show it offered the server traffic and not synchronised
    bursts."""
    import statistics

    if len(starts) < 2:
        return {}
    first = min(starts)
    counts = [0] * (int((max(starts) - first) * 1000 // window_ms) + 1)
    for start in starts:
        counts[int((start - first) * 1000 // window_ms)] += 1
    mean = statistics.mean(counts)
    return {
        "window_ms": window_ms,
        "mean": round(mean, 2),
        "most": max(counts),
        "dispersion": round(statistics.pvariance(counts) / mean, 2),
    }


def _inside(times: list[float], percentile: Any) -> dict[str, Any]:
    if not times:
        return {}
    return {
        "server_p50_ms": round(percentile(times, 0.50), 1),
        "server_p95_ms": round(percentile(times, 0.95), 1),
    }


def _row(times: list[float], failed: int, seconds: float, percentile: Any) -> dict[str, Any]:
    if not times:
        return {"count": failed, "per_second": 0, "errors": failed}
    return {
        "count": len(times) + failed,
        "per_second": round((len(times) + failed) / seconds, 1),
        "p50_ms": round(percentile(times, 0.50), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "p99_ms": round(percentile(times, 0.99), 1),
        "max_ms": round(max(times), 1),
        "errors": failed,
    }


def report(results: dict[str, Any]) -> bool:
    """Print the tables; True when every correctness check passed."""
    rows, checked = results["requests"], results["checked"]
    print(f"\n{results['machine']}; PostgreSQL; {results['locations']} locations; "
          f"gunicorn 2 workers; {results['users']} clients offering {results['offered_rps']} "
          f"requests/s for {results['seconds']} s\n")  # fmt: skip
    print("| request | count | share | per s | p50 ms | p95 ms | p99 ms | max ms | errors | "
          "in worker p50 / p95 ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    total = rows["all"]["count"] or 1
    for kind, row in rows.items():
        share = f"{100 * row['count'] / total:.1f} %"
        print(f"| {kind} | {row['count']} | {share} | {row['per_second']} | "
              f"{row.get('p50_ms', '–')} | {row.get('p95_ms', '–')} | {row.get('p99_ms', '–')} | "
              f"{row.get('max_ms', '–')} | {row['errors']} | "
              f"{row.get('server_p50_ms', '–')} / {row.get('server_p95_ms', '–')} |")  # fmt: skip
    errors = rows["all"]["errors"] + len(results["server_errors"])
    violations = len(checked["problems"])
    audit_ok = results["audit"]["ok"]
    rps, p95 = rows["all"]["per_second"], rows["search"].get("p95_ms", float("inf"))
    lines = [
        ("requests/s", f"≥ {TARGET_RPS}", rps, rps >= TARGET_RPS),
        ("search p95", f"≤ {TARGET_SEARCH_P95_MS} ms", f"{p95} ms", p95 <= TARGET_SEARCH_P95_MS),
        ("errors (409 no bed is an answer)", "0", errors, errors == 0),
        ("bed invariant violations", "0", violations, violations == 0),
        ("audit chain", "intact", results["audit"]["summary"], audit_ok),
    ]
    print("\n| | target | measured | |\n|---|---|---|---|")
    for name, target, measured, ok in lines:
        print(f"| {name} | {target} | {measured} | {'met' if ok else '**missed**'} |")
    if spread := results["arrivals"]:
        print(f"\nArrivals in {spread['window_ms']} ms windows: {spread['mean']} on average, "
              f"at most {spread['most']}; variance / mean {spread['dispersion']} (1 for "
              "independent arrivals).")  # fmt: skip
    holds = checked["holds"]
    print(f"\nHolds: {holds['placed']} placed, {holds['cancelled']} cancelled, "
          f"{holds['active']} still held; invariants checked on all {checked['capacities']} "
          "capacities.")  # fmt: skip
    for problem in checked["problems"][:10]:
        print(f"  violation: {problem}")
    for message in results["messages"][:10] + results["server_errors"][:10]:
        print(f"  error: {message}")
    results["targets_met"] = lines[0][3] and lines[1][3]
    return errors == 0 and violations == 0 and audit_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="timed run (default 60)")
    parser.add_argument("--users", type=int, default=40, help="simulated clients (default 40)")
    parser.add_argument("--rate", type=float, default=220,
                        help="requests per second offered by all clients together")  # fmt: skip
    parser.add_argument("--locations", type=int, default=100_000)
    parser.add_argument("--shelters", type=int, default=100, help="capacities officers hold in")
    parser.add_argument("--warm-up", type=float, default=15, help="seconds, untimed")
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: any free)")
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL",
                                                                 DEFAULT_DATABASE))  # fmt: skip
    parser.add_argument("--redis-url", default=os.environ.get("LOAD_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--reseed", action="store_true", help="seed the template again")
    parser.add_argument("--strict", action="store_true", help="fail on a missed target too")
    args = parser.parse_args()
    if urlsplit(args.database_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--database-url must be on this machine")

    sys.path.insert(0, str(ROOT))
    from bench.__main__ import machine

    OUT.mkdir(parents=True, exist_ok=True)
    env = environment(
        args.database_url,
        args.redis_url,
        secret_key=secrets.token_urlsafe(64),
        kek=base64.b64encode(secrets.token_bytes(32)).decode(),
    )
    prepare_database(args.database_url, args.locations, args.reseed, env)
    collect_static(env)
    plan_path, result_path, log = OUT / "plan.json", OUT / "locust.json", OUT / "gunicorn.log"
    access_log = OUT / "access.log"
    result_path.unlink(missing_ok=True)
    subprocess.run([sys.executable, "-m", "bench.load", "plan", str(plan_path),
                    "--shelters", str(args.shelters)], cwd=ROOT, env=env, check=True)  # fmt: skip
    plan = json.loads(plan_path.read_text())

    port = args.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"== gunicorn on {base}; warm-up {args.warm_up:.0f} s", file=sys.stderr)
    server = start_server(port, env, log, access_log)
    try:
        warm_up(base, plan, args.warm_up)
        time.sleep(1)  # the access log is written after each answer
        timed_from = access_log.stat().st_size
        print(f"== locust: {args.users} clients, {args.seconds} s", file=sys.stderr)
        locust_env = {
            **os.environ, "LOAD_PLAN": str(plan_path), "LOAD_RESULT": str(result_path),
            "LOAD_RATE_PER_USER": str(args.rate / args.users),
        }  # fmt: skip
        with (OUT / "locust.log").open("wb") as locust_log:
            subprocess.run(
                [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"),
                 "--headless", "--host", base, "--users", str(args.users),
                 "--spawn-rate", str(args.users), "--run-time", f"{args.seconds}s",
                 "--stop-timeout", "10", "--only-summary", "--loglevel", "WARNING"],
                cwd=ROOT, env=locust_env, stdout=locust_log, stderr=subprocess.STDOUT,
            )  # fmt: skip
    finally:
        stop_server(server)
    if not result_path.exists():
        raise SystemExit(f"locust wrote no results; see {OUT / 'locust.log'}")
    result = json.loads(result_path.read_text())

    print("== checking bed invariants and the audit chain", file=sys.stderr)
    checked = json.loads(
        subprocess.run(
            [sys.executable, "-m", "bench.load", "check", str(plan_path), str(result_path)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    audit = subprocess.run([sys.executable, "manage.py", "audit_verify"], cwd=ROOT, env=env,
                           capture_output=True, text=True)  # fmt: skip
    summary = (audit.stdout or audit.stderr).strip()
    results = {
        "machine": machine(),
        "locations": args.locations,
        "users": args.users,
        "offered_rps": args.rate,
        "seconds": result["seconds"],
        "requests": summarise(result, server_times(access_log, timed_from)),
        "arrivals": arrivals(result["starts"]),
        "messages": result["messages"],
        "server_errors": server_errors(log),
        "checked": checked,
        "audit": {"ok": audit.returncode == 0, "summary": summary.split(";")[0]},
    }
    ok = report(results)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"\nRaw figures: {OUT / 'results.json'}; server log {log}; locust {OUT / 'locust.log'}")
    if not ok or (args.strict and not results["targets_met"]):
        raise SystemExit(1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "plan":
        sub = argparse.ArgumentParser()
        sub.add_argument("step")
        sub.add_argument("path", type=Path)
        sub.add_argument("--shelters", type=int, default=100)
        sub.add_argument("--seed", type=int, default=1)
        options = sub.parse_args()
        write_plan(options.path, shelters=options.shelters, seed=options.seed)
    elif len(sys.argv) > 1 and sys.argv[1] == "check":
        check(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()
