"""Writes to the directory. Every write that moves a location goes through ``location_place``."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from directory.models import Location
from geo.distance import Point, coarsen, unit_vector
from geo.gazetteer import time_zone_at


@dataclass(frozen=True, slots=True)
class SearchPlacement:
    search_latitude: float | None
    search_longitude: float | None
    ux: float | None
    uy: float | None
    uz: float | None


def search_placement(*, point: Point | None, confidential: bool) -> SearchPlacement:
    """Where search puts a location: its point, or its coarse grid cell when confidential."""
    if point is None:
        return SearchPlacement(None, None, None, None, None)
    if confidential:
        point = coarsen(point, settings.HAVEN_CONFIDENTIAL_GRID_KM)
    ux, uy, uz = unit_vector(point.latitude, point.longitude)
    return SearchPlacement(point.latitude, point.longitude, ux, uy, uz)


def apply_placement(location: Location) -> None:
    """Fill the derived search columns and time zone of an unsaved or changed location."""
    point = (
        Point(location.latitude, location.longitude)
        if location.latitude is not None and location.longitude is not None
        else None
    )
    placement = search_placement(point=point, confidential=location.confidential)
    location.search_latitude = placement.search_latitude
    location.search_longitude = placement.search_longitude
    location.ux, location.uy, location.uz = placement.ux, placement.uy, placement.uz
    if point is not None:
        location.time_zone = time_zone_at(point)


@transaction.atomic
def location_place(
    *, location: Location, point: Point | None, confidential: bool | None = None
) -> Location:
    """Move a location (or mark it confidential) and re-derive where search places it."""
    location.latitude = point.latitude if point else None
    location.longitude = point.longitude if point else None
    if confidential is not None:
        location.confidential = confidential
    apply_placement(location)
    location.full_clean()
    location.save()
    return location
