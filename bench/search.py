"""Search benchmark, run in its own process against a seeded database (see bench/__main__.py).

1,000 API searches in-process through Django's test client — random US ZIP codes weighted by
population, radius 25 mi, a mix of filters, first page — timed after one untimed pass of the
same set (steady state: caches warm), then the same queries (a sample) by a naive baseline
that loads every location and sorts by geodesic distance in Python.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import statistics
import time
from typing import Any


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


FILTER_MIX: list[tuple[float, dict[str, Any]]] = [
    (0.40, {}),
    (0.12, {"category": ["emergency_shelter", "counselling", "legal_aid", "medical", "safe_home"]}),
    (0.12, {"population": ["women", "men", "adults_with_children", "domestic_violence",
                           "sex_trafficking"]}),
    (0.08, {"language": ["es", "vi", "zh", "ase"]}),
    (0.10, {"open_now": ["true"]}),
    (0.08, {"accepts_police_referrals": ["true"]}),
    (0.05, {"accessible": ["wheelchair", "hearing"]}),
    (0.05, {"category": ["emergency_shelter"], "population": ["women", "men"]}),
]  # fmt: skip


def make_queries(count: int, seed: int) -> list[dict[str, Any]]:
    from geo.population import PopulationSampler

    rng = random.Random(seed)
    sampler = PopulationSampler(rng)
    weights = [weight for weight, _ in FILTER_MIX]
    queries = []
    for _ in range(count):
        params: dict[str, Any] = {"near": sampler.zip_code(), "radius_mi": 25}
        (_weight, choices) = rng.choices(FILTER_MIX, weights)[0]
        for name, options in choices.items():
            params[name] = rng.choice(options)
        queries.append(params)
    return queries


def naive_search(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Load every location, measure geodesic distance in Python, sort, present page one."""
    from geopy.distance import geodesic

    from directory.models import Location
    from directory.selectors import SearchHit, present
    from geo.places import parse_near

    place = parse_near(params["near"])
    origin = (place.point.latitude, place.point.longitude)
    rows = Location.objects.filter(search_latitude__isnull=False).values_list(
        "pk", "organization_id", "search_latitude", "search_longitude", "card__body"
    )
    near = []
    for pk, organization_id, latitude, longitude, card in rows:
        miles = geodesic(origin, (latitude, longitude)).miles
        if miles <= params["radius_mi"]:
            near.append((miles, pk, organization_id, card))
    near.sort(key=lambda row: (row[0], row[1]))
    hits = [SearchHit(pk, org, round(miles, 1), card) for miles, pk, org, card in near[:20]]
    return present(hits)


def has_beds_timings(queries: list[dict[str, Any]]) -> dict[str, Any]:
    """The same places, asked by a signed-in officer for a bed free now (half of them for a
    given group)."""
    from django.test import Client

    from directory.models import Membership, Organization
    from tests.conftest import verify_session
    from tests.factories import UserFactory

    agency, _ = Organization.objects.get_or_create(
        name="Bench agency", kind=Organization.Kind.AGENCY
    )
    officer = UserFactory.create(email=f"bench-{time.time_ns()}@example.org")
    Membership.objects.create(user=officer, organization=agency, role=Membership.Role.OFFICER)
    client = verify_session(Client(), officer)
    rng = random.Random(5)
    asks = []
    for params in queries:
        ask = {"near": params["near"], "radius_mi": 25, "has_beds": "true"}
        if rng.random() < 0.5:
            ask["population"] = rng.choice(["women", "men", "adults_with_children", "minors"])
        asks.append(ask)
    for ask in asks:
        client.get("/api/v1/search", ask)
    timings, found = [], []
    for ask in asks:
        started = time.perf_counter()
        response = client.get("/api/v1/search", ask)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"has_beds search failed: {response.status_code}")
        found.append(response.json()["count"])
    return {
        "has_beds_queries": len(timings),
        "has_beds_p50_ms": round(percentile(timings, 0.50), 2),
        "has_beds_p95_ms": round(percentile(timings, 0.95), 2),
        "has_beds_p99_ms": round(percentile(timings, 0.99), 2),
        "has_beds_mean_results": round(statistics.mean(found), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("queries", help="JSON file of queries (bench/__main__.py writes it)")
    parser.add_argument("--baseline", type=int, default=5, help="queries for the naive run")
    args = parser.parse_args()
    # The queries were drawn by the parent, so the population data never weighs on this
    # process: its peak memory is the server's.
    with open(args.queries) as handle:
        warm_up, queries = json.load(handle)

    import django

    django.setup()
    from django.test import Client

    from geo.gazetteer import gazetteer

    gazetteer()
    client = Client()
    # Warm up, as a server is after it has been answering for a while: every filter and code
    # path, and the whole query set once, so the database's pages are in memory (a cold
    # PostgreSQL buffer cache alone can triple a query's time). Then time the same set.
    for params in warm_up + queries:
        client.get("/api/v1/search", params)
    gc.collect()
    gc.freeze()

    timings, counts = [], []
    for params in queries:
        started = time.perf_counter()
        response = client.get("/api/v1/search", params)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"search failed: {response.status_code} {response.content[:200]!r}")
        counts.append(response.json()["count"])
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    beds = has_beds_timings(queries[:300])

    sample = queries[:: max(1, len(queries) // args.baseline)][: args.baseline]
    naive, fast = [], []
    for params in sample:
        started = time.perf_counter()
        naive_results = naive_search(params)
        naive.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        response = client.get("/api/v1/search", {"near": params["near"], "radius_mi": 25})
        fast.append((time.perf_counter() - started) * 1000)
        api_ids = [r["location"]["id"] for r in response.json()["results"]]
        naive_ids = [r["location"]["id"] for r in naive_results]
        # Geodesic (ellipsoid) and great-circle distances may order near-ties differently.
        overlap = len(set(api_ids) & set(naive_ids)) / max(1, len(api_ids))
        if overlap < 0.8:
            raise SystemExit(f"baseline disagrees with search for {params}: {overlap:.0%}")

    print(
        json.dumps(
            {
                "queries": len(timings),
                "p50_ms": round(percentile(timings, 0.50), 2),
                "p95_ms": round(percentile(timings, 0.95), 2),
                "p99_ms": round(percentile(timings, 0.99), 2),
                "max_ms": round(max(timings), 2),
                "mean_results": round(statistics.mean(counts), 1),
                "peak_rss_mb": round(peak_rss_mb, 1),
                "baseline_queries": len(sample),
                "baseline_p50_ms": round(percentile(naive, 0.5), 1),
                "search_p50_ms_same_queries": round(percentile(fast, 0.5), 2),
                "speedup": round(statistics.median(naive) / statistics.median(fast), 1),
                **beds,
            }
        )
    )


if __name__ == "__main__":
    main()
