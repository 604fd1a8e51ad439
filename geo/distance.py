"""Distances on the sphere, bounding boxes and coordinate coarsening.

Search ranks by the straight-line *chord* between two points on the unit sphere. The chord is
a strictly increasing function of the great-circle distance, so ordering by it is ordering by
distance, yet it needs only additions and multiplications, which both SQLite and PostgreSQL
evaluate natively over pre-computed unit vectors (``ux``, ``uy``, ``uz``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_MI = 3958.7613
KM_PER_MI = 1.609344
MI_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_MI / 180.0


@dataclass(frozen=True, slots=True)
class Point:
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.latitude <= 90.0) or not (-180.0 <= self.longitude <= 180.0):
            raise ValueError("latitude must be within ±90 and longitude within ±180")


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """A latitude/longitude rectangle. ``min_lng > max_lng`` means it wraps the antimeridian."""

    min_lat: float
    max_lat: float
    min_lng: float
    max_lng: float

    @property
    def wraps(self) -> bool:
        return self.min_lng > self.max_lng


def unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    lat, lng = math.radians(latitude), math.radians(longitude)
    return (math.cos(lat) * math.cos(lng), math.cos(lat) * math.sin(lng), math.sin(lat))


def haversine_mi(a: Point, b: Point) -> float:
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlng = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_MI * math.asin(min(1.0, math.sqrt(h)))


def chord_squared_for_miles(miles: float) -> float:
    """The squared unit-sphere chord that corresponds to a great-circle distance in miles."""
    angle = min(math.pi, miles / EARTH_RADIUS_MI)
    return (2 * math.sin(angle / 2)) ** 2


def miles_for_chord_squared(chord_squared: float) -> float:
    half = math.sqrt(max(0.0, chord_squared)) / 2
    return 2 * EARTH_RADIUS_MI * math.asin(min(1.0, half))


def bounding_box(center: Point, miles: float) -> BoundingBox:
    """The smallest lat/lng rectangle that holds every point within ``miles`` of ``center``."""
    dlat = miles / MI_PER_DEGREE_LAT
    min_lat, max_lat = center.latitude - dlat, center.latitude + dlat
    if min_lat <= -90.0 or max_lat >= 90.0:
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    # The widest longitude span of a spherical cap is at the latitude where its edge is
    # tangent to a meridian: asin(sin(r) / cos(lat)).
    angular = miles / EARTH_RADIUS_MI
    ratio = math.sin(angular) / math.cos(math.radians(center.latitude))
    if ratio >= 1.0:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    dlng = math.degrees(math.asin(ratio))
    min_lng, max_lng = center.longitude - dlng, center.longitude + dlng
    if min_lng < -180.0:
        min_lng += 360.0
    if max_lng > 180.0:
        max_lng -= 360.0
    return BoundingBox(min_lat, max_lat, min_lng, max_lng)


def coarsen(point: Point, cell_km: float) -> Point:
    """Snap a point to the centre of its cell on a grid of roughly ``cell_km`` squares.

    The grid is fixed (rows of equal latitude height, each row cut into cells of equal width
    at that row's middle), so the same exact point always gives the same coarse point and an
    observer who measures distances from many places learns only which cell it is in.
    """
    cell_lat = cell_km / (MI_PER_DEGREE_LAT * KM_PER_MI)
    row = math.floor((point.latitude + 90.0) / cell_lat)
    centre_lat = min(90.0, -90.0 + (row + 0.5) * cell_lat)
    width = cell_lat / max(math.cos(math.radians(centre_lat)), 1e-6)
    column = math.floor((point.longitude + 180.0) / width)
    centre_lng = -180.0 + (column + 0.5) * width
    if centre_lng > 180.0:
        centre_lng -= 360.0
    return Point(round(centre_lat, 6), round(centre_lng, 6))
