"""Hold throughput: 8 client processes placing and cancelling holds on 50 shelters at once.

Each client loops: place a hold on a random shelter, then cancel one of its own earlier holds,
so beds neither run out nor pile up. Counts every answer; afterwards checks every bed
invariant. Prints one JSON object. Run through ``python -m bench`` (PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import time
from typing import Any


def setup(shelters: int) -> list[int]:
    from directory.models import Capacity, Organization
    from directory.services import capacity_create
    from tests.factories import listed_location

    org = Organization.objects.create(name="Bench shelters")
    Organization.objects.get_or_create(name="Bench agency", kind=Organization.Kind.AGENCY)
    ids = []
    for n in range(shelters):
        location = listed_location(organization=org, name=f"Bench shelter {n}")
        ids.append(capacity_create(location=location, population="women", total=40, occupied=0).pk)
    assert Capacity.objects.filter(pk__in=ids).count() == shelters
    return ids


def client(args: tuple[list[int], float, int]) -> dict[str, Any]:
    capacity_ids, seconds, seed = args
    import django

    django.setup()
    from directory.models import Capacity, Hold, Organization
    from directory.services import BedConflict, hold_cancel, hold_place

    rng = random.Random(seed)
    agency = Organization.objects.get(name="Bench agency")
    capacities = list(Capacity.objects.filter(pk__in=capacity_ids))
    mine: list[Hold] = []
    placed = cancelled = refused = errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            mine.append(hold_place(capacity=rng.choice(capacities), agency=agency, placed_by=None))
            placed += 1
        except BedConflict:
            refused += 1
        except Exception:  # counted and reported, never hidden
            errors += 1
        if len(mine) > 5:
            try:
                hold_cancel(hold=mine.pop(rng.randrange(len(mine))))
                cancelled += 1
            except Exception:
                errors += 1
    return {"placed": placed, "cancelled": cancelled, "refused": refused, "errors": errors}


def invariants(capacity_ids: list[int] | None = None) -> list[str]:
    """Every bed invariant of DESIGN.md §5 that a capacity's row and its holds can show:
    held = its active holds, occupied ≤ total, available = total − occupied − held ≥ 0.
    ``None`` checks every capacity in the database (one query)."""
    from django.db.models import Count, Q

    from directory.models import Capacity, Hold

    capacities = (
        Capacity.objects.all()
        if capacity_ids is None
        else Capacity.objects.filter(pk__in=capacity_ids)
    )
    rows = capacities.annotate(
        active=Count("holds", filter=Q(holds__status=Hold.Status.ACTIVE))
    ).values_list("pk", "total", "occupied", "held", "active")
    problems = []
    for pk, total, occupied, held, active in rows.iterator(chunk_size=5000):
        if held != active:
            problems.append(f"capacity {pk}: held {held} != {active} active")
        if occupied > total:
            problems.append(f"capacity {pk}: occupied {occupied} > total {total}")
        if total - occupied - held < 0:
            problems.append(f"capacity {pk}: overbooked")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--shelters", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()

    import django

    django.setup()
    capacity_ids = setup(args.shelters)
    from django.db import connections

    connections.close_all()
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    with context.Pool(args.clients) as pool:
        outcomes = pool.map(
            client, [(capacity_ids, args.seconds, seed) for seed in range(args.clients)]
        )
    elapsed = time.perf_counter() - started
    totals = {key: sum(o[key] for o in outcomes) for key in outcomes[0]}
    problems = invariants(capacity_ids)
    print(
        json.dumps(
            {
                "clients": args.clients,
                "shelters": args.shelters,
                "seconds": round(args.seconds, 1),
                **totals,
                "holds_per_second": round(totals["placed"] / args.seconds, 1),
                "operations_per_second": round(
                    (totals["placed"] + totals["cancelled"]) / args.seconds, 1
                ),
                "wall_seconds": round(elapsed, 1),
                "invariant_violations": len(problems),
                "problems": problems[:5],
                "pid": os.getpid(),
            }
        )
    )


if __name__ == "__main__":
    main()
