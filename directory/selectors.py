"""Reads from the directory. One search selector feeds the HTML page and the API.

Search answers from each location's search index (see directory.services): the database
counts and ranks candidates from one index, then the page's twenty cards are read in one query.
Confidentiality is applied here and only here: cards never hold a confidential street address
or position, and :func:`_reveal_exact` adds them back for the owning organisation's members.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import Count, Q, QuerySet, Window
from django.forms import Form
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from directory.beds import beds_for_locations
from directory.filters import LocationSearchFilter
from directory.hours import card_open_at
from directory.models import (
    Address,
    Capacity,
    Hold,
    Location,
    LocationCard,
    Membership,
    Organization,
)
from directory.services import ADDRESS_CARD_FIELDS


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


class BedsForMembersOnly(Exception):
    """Someone who may not see bed counts asked to filter by them."""


def location_search(
    *, filters: Mapping[str, Any], can_see_beds: bool = False
) -> QuerySet[Location]:
    """Listed locations near a place that match the filters, nearest first.

    Raises :class:`SearchInvalid` for input that cannot be searched (unknown ZIP, radius out
    of range, unknown category…) and :class:`BedsForMembersOnly` when the public asks for
    free beds. Each row is annotated with ``distance_mi`` as shown.
    """
    filterset = LocationSearchFilter(data=filters, queryset=Location.objects.all())
    if not filterset.is_valid():
        raise SearchInvalid(filterset.form)
    if filterset.form.cleaned_data.get("has_beds") and not can_see_beds:
        raise BedsForMembersOnly
    return filterset.qs


@dataclass(frozen=True, slots=True)
class SearchHit:
    pk: int
    organization_id: int
    distance_mi: float | None
    card: dict[str, Any]


MAX_PAGE = 100_000


class SearchPaginator(Paginator):
    """Ranks, counts and reads the page's cards in one statement.

    The page's keys come with ``COUNT(*) OVER ()``, the number of all matches, so a search
    walks its candidates once rather than once to count and once to rank; the twenty cards
    are joined to that page in the same statement (one round trip, one plan).
    """

    object_list: QuerySet[Location]

    def page(self, number: int | str) -> Page:
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        if number > MAX_PAGE:
            # Past any directory's end, and before an OFFSET the database cannot hold.
            raise EmptyPage(_("That page contains no results"))
        bottom = (number - 1) * self.per_page
        # Only what the search index holds, so PostgreSQL ranks from the index alone.
        ranked = self.object_list.annotate(total=Window(Count("*"))).values_list(
            "pk", "distance_mi", "chord2", "total"
        )[bottom : bottom + self.per_page]
        rows = _with_cards(ranked)
        if rows:
            self.__dict__["count"] = rows[0][3]  # Paginator.count is a cached property
        elif number > 1:
            raise EmptyPage(_("That page contains no results"))
        else:
            self.__dict__["count"] = 0
        hits = [SearchHit(pk, org, distance, card) for pk, distance, _c, _t, org, card in rows]
        return Page(hits, number, self)


def _with_cards(ranked: QuerySet[Any, Any]) -> list[tuple[Any, ...]]:
    """The ranked page's rows, each followed by its organisation and card, in rank order.

    Plain SQL around the ORM's own statement and its parameters; only table and column
    names from the models are added. The joins may reorder rows, so they are put back in
    rank order here.
    """
    connection = connections[ranked.db]
    sql, params = ranked.query.sql_with_params()
    quote = connection.ops.quote_name
    location, card = Location._meta, LocationCard._meta
    organization, body = location.get_field("organization"), card.get_field("body")
    statement = (
        f"SELECT ranked.*, place.{quote(str(organization.column))}, "  # noqa: S608
        f"card.{quote(str(body.column))} FROM ({sql}) ranked "
        f"JOIN {quote(location.db_table)} place ON place.{quote(str(location.pk.column))} "
        f"= ranked.pk JOIN {quote(card.db_table)} card "
        f"ON card.{quote(str(card.pk.column))} = ranked.pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        # The card arrives as JSON text on both databases; orjson reads it as json would.
        rows = [(*row[:5], orjson.loads(row[5])) for row in cursor]
    rows.sort(key=lambda row: (row[1], row[2], row[0]))  # distance shown, exact, key
    return rows


def location_get_public(*, code: uuid.UUID | str) -> SearchHit:
    """A listing anyone may see; confidential details are handled by :func:`present`."""
    row = (
        LocationCard.objects.filter(location__code=code)
        .values_list("location_id", "location__organization_id", "body")
        .first()
    )
    if row is None:
        raise Http404
    return SearchHit(row[0], row[1], None, row[2])


def _reveal_exact(cards: dict[int, dict[str, Any]]) -> None:
    """Put back the street address and position of confidential locations (members only)."""
    for pk, latitude, longitude in Location.objects.filter(pk__in=cards).values_list(
        "pk", "latitude", "longitude"
    ):
        cards[pk]["latitude"], cards[pk]["longitude"] = latitude, longitude
    for row in (
        Address.objects.filter(location_id__in=cards)
        .order_by("-pk")
        .values("location_id", *ADDRESS_CARD_FIELDS)
    ):
        cards[row.pop("location_id")]["address"] = row


def present(
    hits: Sequence[SearchHit],
    *,
    viewer_organization_ids: Collection[int] = frozenset(),
    show_beds: bool = False,
    at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Search results as the API returns them (and the pages render them).

    A confidential location's card already lacks its street address and position; members
    of the owning organisation get them back. Its distance was measured from a coarse cell
    and is shown in whole miles, flagged approximate. Bed counts only with ``show_beds``
    (members and integrations); for everyone else ``beds`` is null.
    """
    at = at or timezone.now()
    beds = beds_for_locations([hit.pk for hit in hits], at=at) if show_beds else {}
    cards = {hit.pk: _public(hit.card) for hit in hits}
    mine = {
        hit.pk: cards[hit.pk]
        for hit in hits
        if hit.card["confidential"] and hit.organization_id in viewer_organization_ids
    }
    if mine:
        _reveal_exact(mine)
    return [
        {
            "distance_mi": hit.distance_mi,
            "distance_approximate": hit.card["confidential"],
            "open_now": card_open_at(hit.card, at),
            "beds": [bed.as_dict() for bed in beds.get(hit.pk, [])] if show_beds else None,
            "location": cards[hit.pk],
        }
        for hit in hits
    ]


def _public(card: dict[str, Any]) -> dict[str, Any]:
    # A shallow copy: only top-level keys are ever replaced, nested values are shared.
    return {key: value for key, value in card.items() if key != "v"}


# --- Membership and access ------------------------------------------------------------------


def user_is_verified(user: Any) -> bool:
    """Signed in with password *and* second factor (django-otp's middleware sets this)."""
    return bool(user.is_authenticated and user.is_active and user.is_verified())


def user_has_second_factor(user: Any) -> bool:
    """An authenticator app set up and confirmed: signing in asks for its code."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def memberships_for(user: Any) -> QuerySet[Membership]:
    """The organisations a verified user acts for. Nothing until the second factor is done."""
    if not user_is_verified(user):
        return Membership.objects.none()
    return Membership.objects.filter(user=user, is_active=True).select_related(
        "organization", "user"
    )


def viewer_organization_ids(user: Any) -> frozenset[int]:
    """The organisations whose confidential details this viewer may see."""
    organization = getattr(user, "organization", None)  # an integration's API token
    if organization is not None:
        return frozenset({organization.pk})
    if not user_is_verified(user):
        return frozenset()  # the public: no query to build
    return frozenset(memberships_for(user).values_list("organization_id", flat=True))


def membership_get_for_user(*, user: Any, organization_code: uuid.UUID | str) -> Membership:
    """The user's active membership of this organisation — the way every organisation page
    finds its organisation. Not a member (or no such organisation) is the same 404."""
    membership = memberships_for(user).filter(organization__code=organization_code).first()
    if membership is None:
        raise Http404
    return membership


def require_admin(membership: Membership) -> None:
    """Members may look; only the organisation's admins may change things (else 403)."""
    if not membership.is_admin:
        raise PermissionDenied


def member_get_for_admin(*, admin: Membership, code: uuid.UUID | str) -> Membership:
    """Another membership of the admin's own organisation; anything else is a 404."""
    try:
        return Membership.objects.select_related("user", "organization").get(
            organization=admin.organization, code=code
        )
    except (Membership.DoesNotExist, ValueError):
        raise Http404 from None


# --- Beds -----------------------------------------------------------------------------------


def can_see_beds(user: Any, *, organization_ids: Collection[int] | None = None) -> bool:
    """Members of the network (both factors done) and integrations allowed to read the
    directory see bed counts; the public never does. ``organization_ids``, the viewer's
    from :func:`viewer_organization_ids` when the caller has them, spares a query."""
    scopes = getattr(user, "scopes", None)
    if scopes is not None:
        return "directory:read" in scopes
    if organization_ids is not None:
        return bool(organization_ids)
    return memberships_for(user).exists()


def _scopes(user: Any) -> frozenset[str] | None:
    """An integration's scopes; None for a person."""
    scopes = getattr(user, "scopes", None)
    return frozenset(scopes) if scopes is not None else None


def acting_for(
    user: Any, organization: Organization, *, roles: Collection[str], scope: str
) -> Membership | None:
    """May this caller act for the organisation? A person needs one of ``roles`` in it, an
    integration's token needs ``scope``; otherwise 403 (they can already see the object).
    Returns the person's membership, or None for a token."""
    scopes = _scopes(user)
    if scopes is not None:
        if scope in scopes and user.organization.pk == organization.pk:
            return None
        raise PermissionDenied
    membership = memberships_for(user).filter(organization=organization).first()
    if membership is None or membership.role not in roles:
        raise PermissionDenied
    return membership


def can_place_holds(user: Any) -> bool:
    scopes = _scopes(user)
    if scopes is not None:
        return "holds:write" in scopes and user.organization.kind == Organization.Kind.AGENCY
    return memberships_for(user).filter(organization__kind=Organization.Kind.AGENCY).exists()


def hold_agency_for(user: Any, agency_code: str | None = None) -> Organization:
    """The agency a new hold is placed for: the token's, or the person's (they name it if
    they belong to several). Not allowed to hold beds at all is a 403."""
    if _scopes(user) is not None:
        if not can_place_holds(user):
            raise PermissionDenied
        return user.organization
    agencies = [
        m.organization
        for m in memberships_for(user).filter(organization__kind=Organization.Kind.AGENCY)
    ]
    if agency_code:
        agencies = [a for a in agencies if str(a.code) == str(agency_code)]
    if not agencies:
        raise PermissionDenied
    return agencies[0]


def capacity_get_for_principal(*, user: Any, code: uuid.UUID | str) -> Capacity:
    """A capacity of the caller's own organisation (person or token); else a 404."""
    try:
        return Capacity.objects.select_related("location__organization").get(
            code=code, location__organization_id__in=viewer_organization_ids(user)
        )
    except (Capacity.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def hold_get_for_principal(*, user: Any, code: uuid.UUID | str) -> Hold:
    """A hold the caller's agency placed, or one on the caller's own shelter; else a 404."""
    organizations = viewer_organization_ids(user)
    hold = (
        Hold.objects.select_related("capacity__location__organization", "agency")
        .filter(code=code)
        .filter(
            Q(agency_id__in=organizations)
            | Q(capacity__location__organization_id__in=organizations)
        )
        .first()
    )
    if hold is None:
        raise Http404
    return hold


def holds_for(user: Any) -> QuerySet[Hold]:
    """Holds the caller's agencies placed and holds on the caller's shelters, newest first."""
    organizations = viewer_organization_ids(user)
    return (
        Hold.objects.select_related("capacity__location__organization", "agency")
        .filter(
            Q(agency_id__in=organizations)
            | Q(capacity__location__organization_id__in=organizations)
        )
        .order_by("-created_at")
    )


def shelter_capacities(user: Any) -> QuerySet[Capacity]:
    """Every capacity of the shelters the user counts beds for (caseworkers and admins)."""
    organizations = (
        memberships_for(user)
        .filter(organization__kind=Organization.Kind.PROVIDER)
        .values("organization_id")
    )
    return (
        Capacity.objects.filter(location__organization_id__in=organizations)
        .select_related("location__organization")
        .order_by("location__name", "population")
    )


def capacity_for_hold(*, location_code: uuid.UUID | str, population: str) -> Capacity:
    """The capacity an officer asks to hold a bed in: any listed location's (they are found
    through search); a location without beds for that population is a 404."""
    try:
        return Capacity.objects.select_related("location__organization").get(
            location__code=location_code, location__search_listed=True, population=population
        )
    except (Capacity.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None
