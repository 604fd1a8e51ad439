"""Street addresses to coordinates through a network geocoder (geopy), when one is configured.

Only this module talks to a geocoding service. Answers are cached in the database under a
keyed hash of the query; lookups go through geopy's rate limiter and a timeout, and every
failure becomes :class:`GeocoderUnavailable` so callers can answer the person plainly.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service

from geo.distance import Point
from geo.models import GeocodeResult

logger = logging.getLogger(__name__)


class GeocoderUnavailable(Exception):
    """The configured geocoder could not answer (timeout, quota, network)."""


def geocoder_configured() -> bool:
    return bool(settings.HAVEN_GEOCODER)


@functools.cache
def _geocode_callable() -> Callable[..., Any]:
    geocoder_class = get_geocoder_for_service(settings.HAVEN_GEOCODER)
    geocoder = geocoder_class(
        timeout=settings.HAVEN_GEOCODER_TIMEOUT, **settings.HAVEN_GEOCODER_OPTIONS
    )
    return RateLimiter(
        geocoder.geocode,
        min_delay_seconds=settings.HAVEN_GEOCODER_MIN_DELAY,
        max_retries=1,
        swallow_exceptions=False,
    )


def _digest(query: str) -> str:
    normalised = " ".join(query.casefold().split())
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, b"geocode:" + normalised.encode(), hashlib.sha256).hexdigest()


def geocode(query: str) -> Point | None:
    """Coordinates for a free-text address, or None when the geocoder found nothing."""
    digest = _digest(query)
    fresh_after = timezone.now() - timedelta(days=settings.HAVEN_GEOCODER_CACHE_DAYS)
    cached = GeocodeResult.objects.filter(query_digest=digest, created_at__gte=fresh_after).first()
    if cached is not None:
        if not cached.found or cached.latitude is None or cached.longitude is None:
            return None
        return Point(cached.latitude, cached.longitude)
    try:
        answer = _geocode_callable()(
            query, exactly_one=True, **settings.HAVEN_GEOCODER_QUERY_OPTIONS
        )
    except (GeopyError, OSError) as error:
        # Log the failure's type only: the query may be an address someone cares about.
        logger.warning("geocoder failed: %s", type(error).__name__)
        raise GeocoderUnavailable from error
    point = Point(answer.latitude, answer.longitude) if answer else None
    GeocodeResult.objects.update_or_create(
        query_digest=digest,
        defaults={
            "found": point is not None,
            "latitude": point.latitude if point else None,
            "longitude": point.longitude if point else None,
            "created_at": timezone.now(),
        },
    )
    return point
