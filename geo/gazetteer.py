"""The offline gazetteer: US ZIP codes and cities from the ``zipcodes`` package.

Loaded once per process on first use (under a second) and kept in memory: a dict by ZIP,
a dict by (city, state) and a one-degree grid for nearest-ZIP look-ups (time zones).
"""

from __future__ import annotations

import functools
import gc
import math
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import zipcodes

from geo.distance import (
    MI_PER_DEGREE_LAT,
    Point,
    chord_squared_for_miles,
    miles_for_chord_squared,
    unit_vector,
)

STATE_NAMES = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA",
    "COLORADO": "CO", "CONNECTICUT": "CT", "DELAWARE": "DE", "DISTRICT OF COLUMBIA": "DC",
    "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID", "ILLINOIS": "IL",
    "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA",
    "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN",
    "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY",
    "NORTH CAROLINA": "NC", "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR",
    "PENNSYLVANIA": "PA", "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD",
    "TENNESSEE": "TN", "TEXAS": "TX", "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA",
    "WASHINGTON": "WA", "WEST VIRGINIA": "WV", "WISCONSIN": "WI", "WYOMING": "WY",
    "PUERTO RICO": "PR", "GUAM": "GU", "US VIRGIN ISLANDS": "VI", "VIRGIN ISLANDS": "VI",
    "AMERICAN SAMOA": "AS", "NORTHERN MARIANA ISLANDS": "MP",
}  # fmt: skip

_PREFIXES = {"ST": "SAINT", "STE": "SAINTE", "FT": "FORT", "MT": "MOUNT"}
_NON_ALNUM = re.compile(r"[^A-Z0-9 ]+")


def city_key(city: str) -> str:
    """Normalise a city name so that "St. Louis", "Saint Louis" and "ST LOUIS" agree."""
    words = _NON_ALNUM.sub(" ", city.upper()).split()
    if words and words[0] in _PREFIXES:
        words[0] = _PREFIXES[words[0]]
    return "".join(words)


@dataclass(frozen=True, slots=True)
class ZipRecord:
    zip_code: str
    city: str
    state: str
    point: Point
    time_zone: str
    standard: bool


@dataclass(frozen=True, slots=True)
class CityRecord:
    city: str
    state: str
    point: Point
    time_zone: str


def _valid_time_zone(name: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return name


class Gazetteer:
    def __init__(self, rows: Iterable[dict[str, object]]) -> None:
        self._zips: dict[str, ZipRecord] = {}
        # Per one-degree cell: each ZIP with its unit vector, so the nearest one is found with
        # squared chords (a few multiplications) instead of a haversine (several trig calls).
        self._grid: dict[tuple[int, int], list[tuple[float, float, float, ZipRecord]]] = (
            defaultdict(list)
        )
        untimed: list[dict[str, object]] = []
        for row in rows:
            if row["zip_code_type"] == "MILITARY" or not row["lat"]:
                continue
            tz = _valid_time_zone(str(row["timezone"]))
            if tz is None:
                untimed.append(row)
                continue
            self._add(row, tz)
        # A handful of rows carry no usable zone: borrow the nearest neighbour's.
        for row in untimed:
            point = Point(float(str(row["lat"])), float(str(row["long"])))
            nearest = self.nearest(point)
            if nearest is not None:
                self._add(row, nearest.time_zone)
        self._cities = self._build_cities()
        self._zones_around: dict[tuple[int, int], str | None] = {}

    def _add(self, row: dict[str, object], time_zone: str) -> None:
        record = ZipRecord(
            zip_code=str(row["zip_code"]),
            city=str(row["city"]),
            state=str(row["state"]),
            point=Point(float(str(row["lat"])), float(str(row["long"]))),
            time_zone=time_zone,
            standard=row["zip_code_type"] == "STANDARD",
        )
        self._zips[record.zip_code] = record
        x, y, z = unit_vector(record.point.latitude, record.point.longitude)
        self._grid[self._cell(record.point)].append((x, y, z, record))

    def _build_cities(self) -> dict[tuple[str, str], CityRecord]:
        members: dict[tuple[str, str], list[ZipRecord]] = defaultdict(list)
        for record in self._zips.values():
            members[(city_key(record.city), record.state)].append(record)
        cities = {}
        for key, records in members.items():
            chosen = [r for r in records if r.standard] or records
            lat = sum(r.point.latitude for r in chosen) / len(chosen)
            lng = sum(r.point.longitude for r in chosen) / len(chosen)
            cities[key] = CityRecord(
                city=chosen[0].city,
                state=chosen[0].state,
                point=Point(round(lat, 5), round(lng, 5)),
                time_zone=chosen[0].time_zone,
            )
        return cities

    @staticmethod
    def _cell(point: Point) -> tuple[int, int]:
        return (math.floor(point.latitude), math.floor(point.longitude))

    def zip_code(self, code: str) -> ZipRecord | None:
        return self._zips.get(code[:5])

    def city(self, city: str, state: str) -> CityRecord | None:
        return self._cities.get((city_key(city), state.upper()))

    def zips(self) -> Iterator[ZipRecord]:
        return iter(self._zips.values())

    def nearest(self, point: Point, *, max_rings: int = 6) -> ZipRecord | None:
        """The ZIP whose centroid is closest to ``point``, searching outward ring by ring."""
        lat0, lng0 = self._cell(point)
        px, py, pz = unit_vector(point.latitude, point.longitude)
        best: ZipRecord | None = None
        best_chord = math.inf  # squared chord: a strictly increasing function of distance
        for ring in range(max_rings + 1):
            for dlat in range(-ring, ring + 1):
                for dlng in range(-ring, ring + 1):
                    if max(abs(dlat), abs(dlng)) != ring:
                        continue
                    for x, y, z, record in self._grid.get((lat0 + dlat, lng0 + dlng), ()):
                        chord = (x - px) * (x - px) + (y - py) * (y - py) + (z - pz) * (z - pz)
                        if chord < best_chord:
                            best_chord, best = chord, record
            # Every cell of the next ring is at least `ring` whole degrees away; stop once even
            # that is farther than the best match found.
            if best is not None:
                shrink = math.cos(math.radians(min(89.0, abs(point.latitude) + ring + 1)))
                if ring * MI_PER_DEGREE_LAT * shrink > miles_for_chord_squared(best_chord):
                    return best
        return best

    def time_zone_near(self, point: Point) -> str | None:
        """The time zone of the ZIP ``nearest`` finds, often without looking for it: when
        every ZIP in the 3 × 3 cells around the point shares one zone, and one ZIP in its
        own cell is close enough that ``nearest`` stops after the first ring, the nearest ZIP
        is one of those, whichever it is."""
        cell = self._cell(point)
        if cell not in self._zones_around:
            zones = {
                record.time_zone
                for dlat in (-1, 0, 1)
                for dlng in (-1, 0, 1)
                for *_unit, record in self._grid.get((cell[0] + dlat, cell[1] + dlng), ())
            }
            self._zones_around[cell] = zones.pop() if len(zones) == 1 else None
        zone = self._zones_around[cell]
        if zone is not None:
            shrink = math.cos(math.radians(min(89.0, abs(point.latitude) + 2)))
            # The first ring's stopping distance, with a margin for rounding.
            limit = chord_squared_for_miles(MI_PER_DEGREE_LAT * shrink) * 0.999
            px, py, pz = unit_vector(point.latitude, point.longitude)
            for x, y, z, _record in self._grid.get(cell, ()):
                if (x - px) * (x - px) + (y - py) * (y - py) + (z - pz) * (z - pz) < limit:
                    return zone
        record = self.nearest(point)
        return record.time_zone if record else None


def _zip_rows() -> Iterator[dict[str, object]]:
    """Every ZIP of the ``zipcodes`` package, one first digit at a time. Its ``list_all()``
    would keep all 42,000 of its dicts (about 140 MB, four times the gazetteer built from
    them) alive for as long as the process runs."""
    for digit in "0123456789":
        yield from zipcodes.similar_to(digit)


@functools.cache
def gazetteer() -> Gazetteer:
    built = Gazetteer(_zip_rows())
    # A few hundred thousand long-lived objects: without this, every full garbage collection
    # walks them all (about 0.2 s, seen as latency spikes in search). They never die, so move
    # them, and whatever else has survived until now, out of the collector's sight.
    gc.collect()
    gc.freeze()
    return built


def state_code(text: str) -> str | None:
    """ "TX", "tx" or "Texas" → "TX"; anything else → None."""
    upper = " ".join(text.upper().replace(".", "").split())
    if len(upper) == 2 and upper in STATE_NAMES.values():
        return upper
    return STATE_NAMES.get(upper)


def time_zone_at(point: Point, default: str = "America/Chicago") -> str:
    """The IANA time zone of the nearest ZIP centroid: right for any place a shelter serves."""
    return _time_zone_at(point.latitude, point.longitude) or default


@functools.lru_cache(maxsize=65_536)
def _time_zone_at(latitude: float, longitude: float) -> str | None:
    # Imports and seeds place many locations on the same ZIP centroids.
    return gazetteer().time_zone_near(Point(latitude, longitude))
