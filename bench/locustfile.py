"""The `make load` scenario for locust (bench/load.py writes its plan and reads its results).

Every simulated client asks, by weight: 70 % directory searches (the search benchmark's query
mix, bench/search.py), 20 % listing pages (HTML), 10 % bed holds by an officer's agency
through its API token — placing one, or cancelling the one it holds. A 409 "no bed" is a
correct answer and is counted on its own, never as an error. Each client's requests arrive
as a Poisson process at ``LOAD_RATE_PER_USER`` a second (exponential gaps, scheduled ahead,
not after each answer), as independent people's do; the sum of all clients' is one too.
Every answer is recorded here (exact times, not locust's rounded buckets) and written to
``LOAD_RESULT`` when the run stops, with how many holds each capacity gained and gave back,
for the invariant check.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, events, task

SEARCH, LISTING, PLACE, NO_BED, CANCEL = (
    "search", "listing", "hold place", "hold place: 409 no bed", "hold cancel",
)  # fmt: skip
MAX_MESSAGES = 20

PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
SEARCH_URLS = ["/api/v1/search?" + urlencode(query) for query in PLAN["queries"]]
LISTING_URLS = [f"/locations/{code}/" for code in PLAN["locations"]]
TOKENS = itertools.cycle(PLAN["tokens"])

timings: dict[str, list[float]] = defaultdict(list)
failures: dict[str, int] = defaultdict(int)
messages: list[str] = []
placed: dict[str, int] = defaultdict(int)  # per "location/population"
cancelled: dict[str, int] = defaultdict(int)
starts: list[float] = []  # when each request was sent
window = {"first": float("inf"), "last": 0.0}


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _fail(response: Any) -> None:
    response.failure(f"{response.status_code} {(response.text or '')[:200]}")


@events.request.add_listener
def record(name: str, response_time: float, exception: Any = None, **_kwargs: Any) -> None:
    now = time.time()
    starts.append(now - response_time / 1000)
    window["first"] = min(window["first"], starts[-1])
    window["last"] = max(window["last"], now)
    if exception is None:
        timings[name].append(response_time)
        return
    failures[name] += 1
    if len(messages) < MAX_MESSAGES:
        messages.append(f"{name}: {exception}")


@events.test_stop.add_listener
def write_result(**_kwargs: Any) -> None:
    result = {
        "seconds": round(window["last"] - window["first"], 3),
        "timings_ms": timings,
        "failures": failures,
        "messages": messages,
        "placed": placed,
        "cancelled": cancelled,
        "starts": starts,
    }
    Path(os.environ["LOAD_RESULT"]).write_text(json.dumps(result))


class NetworkClient(FastHttpUser):
    """Someone using the network: mostly the public directory, sometimes an officer."""

    rate = float(os.environ.get("LOAD_RATE_PER_USER", "5"))
    next_at: float

    def wait_time(self) -> float:
        """Until this client's next arrival. Locust's constant_throughput schedules every
        client at its last start plus a fixed period; once one answer is late they all fire
        in the same instant, and the run measures bursts of 40 instead of a server."""
        now = time.monotonic()
        self.next_at = max(self.next_at + self.rng.expovariate(self.rate), now)
        return self.next_at - now

    def on_start(self) -> None:
        self.rng = random.Random()
        self.next_at = time.monotonic() + self.rng.expovariate(self.rate)
        self.token = next(TOKENS)
        self.held: tuple[str, str] | None = None  # (hold id, capacity key)

    @task(70)
    def search(self) -> None:
        with self.client.get(
            self.rng.choice(SEARCH_URLS), name=SEARCH, catch_response=True
        ) as response:
            if response.status_code != 200 or b'"results"' not in (response.content or b""):
                _fail(response)

    @task(20)
    def listing(self) -> None:
        with self.client.get(
            self.rng.choice(LISTING_URLS), name=LISTING, catch_response=True
        ) as response:
            if response.status_code != 200 or b"<h1" not in (response.content or b""):
                _fail(response)

    @task(10)
    def hold(self) -> None:
        """Cancel the bed this officer holds, or hold one."""
        auth = {"Authorization": f"Bearer {self.token}"}
        if self.held is not None:
            hold_id, key = self.held
            with self.client.post(
                f"/api/v1/holds/{hold_id}/cancel", headers=auth, name=CANCEL, catch_response=True
            ) as response:
                if response.status_code == 200 and _json(response).get("status") == "cancelled":
                    cancelled[key] += 1
                    self.held = None
                else:
                    _fail(response)
            return
        location, population = self.rng.choice(PLAN["capacities"])
        key = f"{location}/{population}"
        with self.client.post(
            "/api/v1/holds",
            json={"location": location, "population": population},
            headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
            name=PLACE,
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                placed[key] += 1
                self.held = (_json(response).get("id", ""), key)
            elif response.status_code == 409 and _json(response).get("code") == "no_bed":
                response.request_meta["name"] = NO_BED
                response.success()
            else:
                _fail(response)
