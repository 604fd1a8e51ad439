"""Reads from the directory. One search selector feeds the HTML page and the API."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.forms import Form
from django.http import Http404
from django.utils import timezone

from directory.filters import LocationSearchFilter
from directory.hours import open_now_annotation
from directory.models import (
    Address,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
)


class SearchInvalid(Exception):
    """The search parameters did not validate; ``form`` carries every field's errors."""

    def __init__(self, form: Form) -> None:
        super().__init__("invalid search")
        self.form = form

    @property
    def message(self) -> str:
        for errors in self.form.errors.values():
            return str(errors[0])
        return ""

    @property
    def field(self) -> str:
        return next(iter(self.form.errors), "")

    @property
    def code(self) -> str:
        for errors in self.form.errors.as_data().values():
            return errors[0].code or "invalid"
        return "invalid"


def location_search(*, filters: Mapping[str, Any]) -> QuerySet[Location]:
    """Active locations near a place that match the filters, nearest first.

    Raises :class:`SearchInvalid` for input that cannot be searched (unknown ZIP, radius out
    of range, unknown category…); each location carries ``chord2`` for its distance.
    """
    filterset = LocationSearchFilter(
        data=filters, queryset=Location.objects.select_related("organization")
    )
    if not filterset.is_valid():
        raise SearchInvalid(filterset.form)
    return filterset.qs


def location_get_public(*, code: uuid.UUID | str) -> Location:
    """A listing anyone may see (every listed location is public; its details are redacted
    by :func:`location_views` when confidential)."""
    try:
        return Location.objects.select_related("organization").get(code=code)
    except (Location.DoesNotExist, ValueError):
        raise Http404 from None


@dataclass(frozen=True)
class LocationView:
    """What one viewer may see of one location. The only place confidentiality is applied."""

    location: Location
    exact_visible: bool
    address: Address | None
    latitude: float | None
    longitude: float | None
    area: str
    distance_mi: float | None
    distance_approximate: bool
    open_now: bool | None
    phones: list[Phone]
    services: list[Service]
    languages: list[str]
    accessibility: list[str]
    schedules: list[Schedule]
    last_verified: date | None

    @property
    def confidential(self) -> bool:
        return self.location.confidential

    @property
    def directions_url(self) -> str | None:
        if not self.exact_visible or self.latitude is None:
            return None
        return (
            "https://www.openstreetmap.org/directions?to="
            f"{self.latitude:.6f}%2C{self.longitude:.6f}"
        )


def _prefetch(locations: Sequence[Location]) -> None:
    active = (
        ServiceAtLocation.objects.filter(service__status=Service.Status.ACTIVE)
        .select_related("service")
        .prefetch_related("service__populations", "service__languages", "service__phones")
        .order_by("service__name")
    )
    prefetch_related_objects(
        list(locations),
        "addresses",
        "phones",
        "languages",
        "accessibility",
        "schedules",
        Prefetch("at_locations", queryset=active),
    )


def location_views(
    locations: Sequence[Location],
    *,
    viewer_organization_ids: Collection[int] = frozenset(),
    at: datetime | None = None,
) -> list[LocationView]:
    """Present locations to a viewer, redacting confidential ones unless the viewer belongs
    to the owning organisation. Distances come from ``chord2`` when search annotated it."""
    at = at or timezone.now()
    _prefetch(locations)
    open_flags = dict(
        Location.objects.filter(pk__in=[loc.pk for loc in locations])
        .annotate(open_now=open_now_annotation(at, {loc.time_zone for loc in locations}))
        .values_list("pk", "open_now")
    )
    views = []
    for location in locations:
        exact = not location.confidential or location.organization_id in viewer_organization_ids
        address = next(iter(location.addresses.all()), None)
        services = [sal.service for sal in location.at_locations.all()]
        languages = sorted(
            {lang.iso_code for svc in services for lang in svc.languages.all()}
            | {lang.iso_code for lang in location.languages.all()}
        )
        # Set by search: tenths of a mile, or whole miles from a coarse cell when confidential.
        distance: float | None = getattr(location, "distance_mi", None)
        verified = [svc.assured_date for svc in services if svc.assured_date]
        views.append(
            LocationView(
                location=location,
                exact_visible=exact,
                address=address if exact else None,
                latitude=location.latitude if exact else None,
                longitude=location.longitude if exact else None,
                area=f"{address.city}, {address.state_province}" if address else "",
                distance_mi=distance,
                distance_approximate=location.confidential,
                open_now=open_flags.get(location.pk),
                phones=list(location.phones.all()),
                services=services,
                languages=languages,
                accessibility=sorted(a.get_feature_display() for a in location.accessibility.all()),
                schedules=list(location.schedules.all()),
                last_verified=min(verified) if verified else None,
            )
        )
    return views
