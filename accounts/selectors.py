"""Reads for accounts pages."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken, Invitation, User
from directory.models import Membership, Organization


def member_list(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("-is_active", "user__email")
    )


def invitation_list_open(*, organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organization=organization,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def token_list(*, organization: Organization) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(organization=organization).select_related("created_by__user")


def token_get_for_admin(*, admin: Membership, code: str) -> ApiToken:
    """A token of the admin's own organisation; anything else is a 404."""
    try:
        return ApiToken.objects.select_related("organization").get(
            organization=admin.organization, code=code
        )
    except (ApiToken.DoesNotExist, ValueError):
        raise Http404 from None


def pending_authenticator(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
