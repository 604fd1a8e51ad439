"""Reads for referrals, with the one access helper per object (DESIGN.md §9)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from directory.models import Hold, Location, Membership, Organization
from directory.selectors import memberships_for, viewer_organization_ids
from referrals.models import OrganizationKey, Referral, Urgency

DECIDING_ROLES = (Membership.Role.CASEWORKER, Membership.Role.ORG_ADMIN)
SENDING_ROLES = (Membership.Role.OFFICER, Membership.Role.ORG_ADMIN)


def referral_get_for_user(*, user: Any, code: uuid.UUID | str) -> Referral:
    """A referral the user's agency sent or the user's organisation received; anything else
    (or nothing) is a 404, never a 403."""
    organizations = viewer_organization_ids(user)
    try:
        return Referral.objects.select_related(
            "agency", "recipient", "location", "consent", "hold__capacity__location"
        ).get(Q(agency_id__in=organizations) | Q(recipient_id__in=organizations), code=code)
    except (Referral.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def recipient_membership(user: Any, referral: Referral) -> Membership | None:
    """The user's membership of the receiving organisation with a role that decides."""
    return (
        memberships_for(user)
        .filter(organization_id=referral.recipient_id, role__in=DECIDING_ROLES)
        .first()
    )


def agency_membership(user: Any, agency_id: int) -> Membership | None:
    """The user's membership of this agency with a role that sends referrals."""
    return memberships_for(user).filter(organization_id=agency_id, role__in=SENDING_ROLES).first()


def sender_membership(user: Any, referral: Referral) -> Membership | None:
    return agency_membership(user, referral.agency_id)


URGENCY_ORDER = Case(
    When(urgency=Urgency.EMERGENCY, then=Value(0)),
    When(urgency=Urgency.URGENT, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def inbox_for(*, user: Any) -> QuerySet[Referral]:
    """Referrals to the user's organisations: undecided first, most urgent first, oldest
    first (the one waiting longest comes before a newer one of the same urgency)."""
    organizations = list(
        memberships_for(user)
        .filter(organization__kind=Organization.Kind.PROVIDER, role__in=DECIDING_ROLES)
        .values_list("organization_id", flat=True)
    )
    undecided = Case(
        When(status__in=Referral.UNDECIDED, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        Referral.objects.filter(recipient_id__in=organizations)
        .select_related("agency", "recipient", "location")
        .annotate(undecided_first=undecided, urgency_rank=URGENCY_ORDER)
        .order_by("undecided_first", "urgency_rank", "created_at")
    )


def sent_for(*, user: Any) -> QuerySet[Referral]:
    organizations = list(
        memberships_for(user)
        .filter(organization__kind=Organization.Kind.AGENCY)
        .values_list("organization_id", flat=True)
    )
    return (
        Referral.objects.filter(agency_id__in=organizations)
        .select_related("recipient", "location")
        .order_by("-created_at")
    )


def send_choices(*, agency: Organization, recipient: Organization) -> dict[str, Any]:
    """What an officer may pick when sending: the recipient's locations, and the agency's
    active holds there not yet used by another referral."""
    holds = (
        Hold.objects.filter(
            agency=agency,
            status=Hold.Status.ACTIVE,
            capacity__location__organization=recipient,
            referral__isnull=True,
        )
        .select_related("capacity__location")
        .order_by("-created_at")
    )
    locations = Location.objects.filter(organization=recipient).order_by("name")
    return {"holds": list(holds), "locations": list(locations)}


def keys_for(*, organization: Organization) -> QuerySet[OrganizationKey]:
    return OrganizationKey.objects.filter(organization=organization).exclude(
        status=OrganizationKey.Status.DESTROYED
    )
