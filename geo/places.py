"""Turning what a person typed in *near* into a place on the map.

Accepted, in this order: a ZIP code (``75201`` or ``75201-1234``), coordinates
(``32.78,-96.80``), a city and state (``Dallas, TX``, ``Dallas TX``, ``Dallas, Texas``) and,
only when a network geocoder is configured, a street address. Every refusal is a
:class:`NearError` whose message tells the person what to type instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from geo import geocoding
from geo.distance import Point
from geo.gazetteer import gazetteer, state_code, time_zone_at

MAX_NEAR_LENGTH = 200

_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")
_COORDINATES = re.compile(r"^(-?\d{1,3}(?:\.\d+)?)\s*[,\s]\s*(-?\d{1,3}(?:\.\d+)?)$")
_CITY_STATE = re.compile(r"^(?P<city>.+?)\s*,\s*(?P<state>[A-Za-z .]+)$")
_CITY_ST = re.compile(r"^(?P<city>.+?)\s+(?P<state>[A-Za-z]{2})$")


class NearError(ValueError):
    """The *near* text cannot be placed; ``str(error)`` is the message to show."""


@dataclass(frozen=True, slots=True)
class Place:
    point: Point
    label: str
    time_zone: str


def _examples() -> str:
    return _(
        'Enter a 5-digit ZIP code (75201), a city and state ("Dallas, TX") or coordinates '
        "(32.78,-96.80)."
    )


def parse_near(text: str) -> Place:
    """Place the *near* text, or raise :class:`NearError` with a message a person can act on."""
    near = " ".join(str(text).split())
    if not near:
        raise NearError(_("Tell us where to search. %(examples)s") % {"examples": _examples()})
    if len(near) > MAX_NEAR_LENGTH or "\x00" in near:
        raise NearError(
            _("That is too long to be a place. %(examples)s") % {"examples": _examples()}
        )

    if match := _ZIP.match(near):
        record = gazetteer().zip_code(match.group(1))
        if record is None:
            raise NearError(
                _("We don't know the ZIP code %(zip)s. Check it, or enter a city and state.")
                % {"zip": match.group(1)}
            )
        return Place(
            record.point, f"{record.zip_code} ({record.city}, {record.state})", record.time_zone
        )

    if match := _COORDINATES.match(near):
        latitude, longitude = float(match.group(1)), float(match.group(2))
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise NearError(
                _("Coordinates must be a latitude between -90 and 90 and a longitude between "
                  "-180 and 180, such as 32.78,-96.80.")
            )  # fmt: skip
        point = Point(latitude, longitude)
        return Place(point, f"{latitude:.4f}, {longitude:.4f}", time_zone_at(point))

    for pattern in (_CITY_STATE, _CITY_ST):
        if (match := pattern.match(near)) and (state := state_code(match.group("state"))):
            city = gazetteer().city(match.group("city"), state)
            if city is not None:
                return Place(city.point, f"{city.city}, {city.state}", city.time_zone)
            if not geocoding.geocoder_configured():
                raise NearError(
                    _("We don't know a city called %(city)s in %(state)s. Check the spelling, "
                      "or enter a ZIP code.") % {"city": match.group("city"), "state": state}
                )  # fmt: skip

    if not geocoding.geocoder_configured():
        raise NearError(
            _("We couldn't read that as a place. %(examples)s Street addresses can't be looked "
              "up on this Haven.") % {"examples": _examples()}
        )  # fmt: skip
    try:
        found = geocoding.geocode(near)
    except geocoding.GeocoderUnavailable as error:
        raise NearError(
            _("Address look-up is not answering right now. Enter a ZIP code or a city and "
              "state instead.")
        ) from error  # fmt: skip
    if found is None:
        raise NearError(
            _("We couldn't find that address. Check it, or enter a ZIP code or a city and state.")
        )
    return Place(found, _("the address you entered"), time_zone_at(found))
