"""Demo accounts for ``make run``: one per role, in the demo organisations.

Their second factor is a TOTP authenticator with a published key, so anyone can add it to an
app; in demo mode (never in production) the code page also shows the current code.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from directory.demo import demo_code
from directory.models import Membership, Organization

DEMO_PASSWORD = "haven-demo-2026"  # noqa: S105 - published on purpose, demo accounts only


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    organization: str | None
    role: str | None
    steward: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("officer@demo.haven.invalid", "Demo Officer",
                "North Texas Anti-Trafficking Task Force", Membership.Role.OFFICER),
    DemoAccount("agency-admin@demo.haven.invalid", "Demo Agency Admin",
                "North Texas Anti-Trafficking Task Force", Membership.Role.ORG_ADMIN),
    DemoAccount("caseworker@demo.haven.invalid", "Demo Caseworker",
                "Trinity Safe Harbor", Membership.Role.CASEWORKER),
    DemoAccount("shelter-admin@demo.haven.invalid", "Demo Shelter Admin",
                "Trinity Safe Harbor", Membership.Role.ORG_ADMIN),
    DemoAccount("steward@demo.haven.invalid", "Demo Steward", None, None, steward=True),
]  # fmt: skip


def demo_totp_key(email: str) -> bytes:
    """The authenticator key of a demo account: derived from its address, the same on every
    machine, so the README can publish it."""
    return hashlib.sha256(f"haven-demo-totp:{email}".encode()).digest()[:20]


def demo_totp_base32(email: str) -> str:
    return base64.b32encode(demo_totp_key(email)).decode()


@transaction.atomic
def demo_accounts_load() -> list[DemoAccount]:
    """Create (or bring back) the demo accounts. Refuses in production."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("Demo accounts are never created in production.")
    for account in DEMO_ACCOUNTS:
        user = User.objects.filter(email=account.email).first()
        if user is None:
            user = User.objects.create_user(
                account.email, DEMO_PASSWORD, name=account.name,
                is_staff=account.steward, is_superuser=account.steward,
            )  # fmt: skip
        TOTPDevice.objects.update_or_create(
            user=user,
            name="Demo authenticator",
            defaults={"key": demo_totp_key(account.email).hex(), "confirmed": True},
        )
        if account.organization:
            organization = Organization.objects.get(
                code=demo_code("organization", account.organization)
            )
            Membership.objects.update_or_create(
                user=user,
                organization=organization,
                defaults={"role": account.role or "", "is_active": True, "deactivated_at": None},
            )
            if organization.kind == Organization.Kind.PROVIDER and not organization.intake_email:
                organization.intake_email = "intake@demo.haven.invalid"
                organization.on_call_email = "on-call@demo.haven.invalid"
                organization.save(update_fields=["intake_email", "on_call_email"])
    return DEMO_ACCOUNTS
