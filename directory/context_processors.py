"""Which member pages the navigation offers (one query, only for signed-in members)."""

from __future__ import annotations

from django.http import HttpRequest

from directory.models import Organization
from directory.selectors import memberships_for, user_is_verified


def member_navigation(request: HttpRequest) -> dict[str, bool]:
    user = getattr(request, "user", None)
    if user is None or not user_is_verified(user):
        return {}
    kinds = set(memberships_for(user).values_list("organization__kind", flat=True))
    return {
        "nav_holds": bool(kinds),
        "nav_beds": Organization.Kind.PROVIDER in kinds,
        "nav_agency": Organization.Kind.AGENCY in kinds,
        "nav_steward": bool(user.is_staff),
    }
