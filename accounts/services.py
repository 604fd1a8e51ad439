"""Writes for accounts: sign-in, second factor, invitations, roles, tokens.

Every security-relevant write records its audit event in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken, Invitation, User, new_security_stamp
from audit.services import audit_record
from directory.models import Membership, Organization

BACKUP_CODE_COUNT = 10
TOKEN_PREFIX_BYTES = 6
TOKEN_PREFIX = re.compile(rf"[0-9a-f]{{{2 * TOKEN_PREFIX_BYTES}}}")
TOKEN_MAX_LENGTH = 200
TOKEN_SECRET_BYTES = 24

ERROR_ROLE_NOT_IN_KIND = _("This role does not exist in this kind of organisation.")
ERROR_LAST_ADMIN = _("An organisation needs at least one admin. Make someone else admin first.")
ERROR_ALREADY_MEMBER = _("This person is already a member of the organisation.")
ERROR_INVITATION_CLOSED = _("This invitation has expired or was already used. Ask for a new one.")
ERROR_INVITATION_OTHER_ACCOUNT = _(
    "This invitation was sent to another e-mail address. Sign out, then open the link again."
)
ERROR_UNKNOWN_SCOPE = _("Unknown scope: %(scope)s.")
ERROR_NO_SCOPE = _("Choose at least one scope.")


# --- Audit helpers --------------------------------------------------------------------------


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def actor_of(user: Any) -> str:
    return f"user:{user.code}" if getattr(user, "code", None) else ""


def email_digest(email: str) -> str:
    """A keyed hash of an e-mail address: lets the audit log correlate failed sign-ins for
    the same address without storing an address that may not belong to anyone."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:24]


# --- Sign-in --------------------------------------------------------------------------------


@transaction.atomic
def account_sign_in(*, request: HttpRequest, email: str, password: str) -> User | None:
    """Check the password (django-axes counts failures) and start a half-signed-in session.

    The person is signed in but not *verified*: every page beyond the public directory waits
    for the second factor. ``login`` gives the session a new key.
    """
    user = authenticate(request=request, email=email.strip().lower(), password=password)
    if user is None:
        audit_record(
            action="auth.sign_in_failed",
            data={"email_digest": email_digest(email)},
            ip_address=client_ip(request),
        )
        return None
    login(request, user)
    audit_record(
        action="auth.password_accepted", actor=actor_of(user), ip_address=client_ip(request)
    )
    return user


@transaction.atomic
def account_verify(*, request: HttpRequest, user: User, code: str) -> bool:
    """Check a TOTP code (each code works once: django-otp remembers the last time step) or
    a single-use backup code; on success mark the session verified and give it a new key."""
    code = "".join(code.split())
    device = None
    for candidate in TOTPDevice.objects.filter(user=user, confirmed=True):
        if candidate.verify_is_allowed()[0] and candidate.verify_token(code):
            device = candidate
            break
    if device is None:
        for static in StaticDevice.objects.filter(user=user, confirmed=True):
            if static.verify_is_allowed()[0] and static.verify_token(code.lower()):
                device = static
                break
    if device is None:
        audit_record(action="auth.mfa_failed", actor=actor_of(user), ip_address=client_ip(request))
        return False
    request.session.cycle_key()
    otp_login(request, device)
    audit_record(
        action="auth.sign_in",
        actor=actor_of(user),
        data={"factor": "backup_code" if isinstance(device, StaticDevice) else "totp"},
        ip_address=client_ip(request),
    )
    return True


def account_sign_out(*, request: HttpRequest) -> None:
    user = request.user
    if user.is_authenticated:
        audit_record(action="auth.sign_out", actor=actor_of(user), ip_address=client_ip(request))
    logout(request)


# --- Second factor enrolment ----------------------------------------------------------------


@transaction.atomic
def mfa_enrolment_start(*, user: User) -> TOTPDevice:
    """A fresh, unconfirmed authenticator for the enrolment page (earlier unconfirmed ones go)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def mfa_enrolment_confirm(
    *, request: HttpRequest, user: User, device: TOTPDevice, code: str
) -> list[str] | None:
    """Confirm the authenticator with a code from it; returns the new backup codes (shown
    once), or None when the code is wrong."""
    if not device.verify_token("".join(code.split())):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = backup_codes_replace(user=user)
    request.session.cycle_key()
    otp_login(request, device)
    audit_record(action="auth.mfa_enrolled", actor=actor_of(user), ip_address=client_ip(request))
    return codes


def backup_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


@transaction.atomic
def mfa_reset(*, actor: User, user: User) -> None:
    """A steward clears someone's second factor (lost phone): they enrol again at next sign-in.

    Every session of theirs ends, so nobody half-signed-in keeps going.
    """
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _end_sessions(user)
    audit_record(action="auth.mfa_reset", actor=actor_of(actor), target=f"user:{user.code}")


def _end_sessions(user: User) -> None:
    user.security_stamp = new_security_stamp()
    user.save(update_fields=["security_stamp"])


# --- Password reset -------------------------------------------------------------------------


def password_reset_request(*, request: HttpRequest, email: str) -> None:
    """E-mail a reset link when the address has an active account; say nothing either way.

    A reset never signs anyone in and never touches the second factor.
    """
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        audit_record(
            action="auth.password_reset_unknown",
            data={"email_digest": email_digest(email)},
            ip_address=client_ip(request),
        )
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse(
        "accounts:password-reset-confirm",
        kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)},
    )
    audit_record(
        action="auth.password_reset_requested", actor=actor_of(user), ip_address=client_ip(request)
    )
    transaction.on_commit(
        lambda: send_mail(
            _("Reset your Haven password"),
            _(
                "Someone asked to reset the password of your Haven account. If it was you, "
                "open this link within an hour:\n\n%(link)s\n\nYou will still need your "
                "authenticator app to sign in. If it was not you, you can ignore this e-mail."
            )
            % {"link": settings.SITE_URL + path},
            None,
            [user.email],
        )
    )


@transaction.atomic
def password_reset_complete(*, user: User, password: str) -> None:
    """Set the new password and end every session; the person signs in again, with MFA."""
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.security_stamp = new_security_stamp()
    user.save(update_fields=["password", "security_stamp"])
    audit_record(action="auth.password_changed", actor=actor_of(user), data={"via": "reset"})


# --- Members --------------------------------------------------------------------------------


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_role(organization: Organization, role: str) -> None:
    if role not in Membership.ROLES_BY_KIND[Organization.Kind(organization.kind)]:
        raise ValidationError({"role": ERROR_ROLE_NOT_IN_KIND})


@transaction.atomic
def invitation_create(*, inviter: Membership, email: str, role: str) -> tuple[Invitation, str]:
    """Invite someone by e-mail; returns the invitation and the link's secret (sent, not kept)."""
    organization = inviter.organization
    email = email.strip().lower()
    _check_role(organization, role)
    if Membership.objects.filter(
        organization=organization, user__email__iexact=email, is_active=True
    ).exists():
        raise ValidationError({"email": ERROR_ALREADY_MEMBER})
    secret = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization=organization,
        email=email,
        role=role,
        invited_by=inviter,
        secret_hash=_secret_hash(secret),
        expires_at=timezone.now() + timedelta(days=settings.HAVEN_INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    audit_record(
        action="member.invited",
        actor=actor_of(inviter.user),
        organization=str(organization.code),
        target=f"invitation:{invitation.code}",
        data={"role": role},
    )
    link = settings.SITE_URL + reverse("accounts:invitation", kwargs={"secret": secret})
    transaction.on_commit(
        lambda: send_mail(
            _("You are invited to Haven"),
            _(
                "%(organization)s has invited you to join Haven, the network for referrals "
                "between police and victim services. Open this link within %(days)d days to "
                "set up your account:\n\n%(link)s"
            )
            % {
                "organization": organization.name,
                "link": link,
                "days": settings.HAVEN_INVITATION_DAYS,
            },
            None,
            [email],
        )
    )
    return invitation, secret


def invitation_get_open(*, secret: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(secret_hash=_secret_hash(secret))
        .first()
    )
    return invitation if invitation is not None and invitation.is_open() else None


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User | None, name: str = "", password: str = ""
) -> Membership:
    """Join the organisation: as the signed-in account the invitation was sent to, or as a
    new account created here. The second factor is set up at first sign-in."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open():
        raise ValidationError(ERROR_INVITATION_CLOSED)
    if user is None:
        user = User(email=invitation.email, name=name.strip())
        password_validation.validate_password(password, user)
        user.set_password(password)
        user.full_clean()
        user.save()
    elif user.email.lower() != invitation.email.lower():
        raise ValidationError(ERROR_INVITATION_OTHER_ACCOUNT)
    membership = Membership.objects.filter(user=user, organization=invitation.organization).first()
    if membership is None:
        membership = Membership(user=user, organization=invitation.organization)
    membership.role, membership.is_active, membership.deactivated_at = invitation.role, True, None
    membership.full_clean()
    membership.save()
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        action="member.joined",
        actor=actor_of(user),
        organization=str(invitation.organization.code),
        target=f"membership:{membership.code}",
        data={"role": membership.role, "invitation": str(invitation.code)},
    )
    return membership


def _keeps_an_admin(membership: Membership, *, new_role: str | None, leaving: bool) -> bool:
    if not membership.is_admin or (new_role == Membership.Role.ORG_ADMIN and not leaving):
        return True
    others = Membership.objects.filter(
        organization=membership.organization, role=Membership.Role.ORG_ADMIN, is_active=True
    ).exclude(pk=membership.pk)
    return others.exists()


@transaction.atomic
def membership_change_role(*, admin: Membership, membership: Membership, role: str) -> Membership:
    _check_role(membership.organization, role)
    if not _keeps_an_admin(membership, new_role=role, leaving=False):
        raise ValidationError({"role": ERROR_LAST_ADMIN})
    previous = membership.role
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        action="member.role_changed",
        actor=actor_of(admin.user),
        organization=str(membership.organization.code),
        target=f"membership:{membership.code}",
        data={"from": previous, "to": role},
    )
    return membership


@transaction.atomic
def membership_deactivate(*, admin: Membership, membership: Membership) -> Membership:
    """Take someone out of the organisation at once: their sessions end and the API tokens
    they issued for it are revoked, in this transaction."""
    if not membership.is_active:
        return membership
    if not _keeps_an_admin(membership, new_role=None, leaving=True):
        raise ValidationError(ERROR_LAST_ADMIN)
    now = timezone.now()
    membership.is_active, membership.deactivated_at = False, now
    membership.save(update_fields=["is_active", "deactivated_at", "updated_at"])
    _end_sessions(membership.user)
    revoked = ApiToken.objects.filter(created_by=membership, revoked_at__isnull=True).update(
        revoked_at=now
    )
    audit_record(
        action="member.deactivated",
        actor=actor_of(admin.user),
        organization=str(membership.organization.code),
        target=f"membership:{membership.code}",
        data={"tokens_revoked": revoked},
    )
    return membership


# --- API tokens -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the whole bearer token, shown once


@transaction.atomic
def token_issue(
    *, organization: Organization, name: str, scopes: list[str], issuer: Membership | None
) -> IssuedToken:
    """A new API token for the organisation. ``issuer`` None means the command line."""
    if not scopes:
        raise ValidationError({"scopes": ERROR_NO_SCOPE})
    for scope in scopes:
        if scope not in ApiToken.Scope.values:
            raise ValidationError({"scopes": ERROR_UNKNOWN_SCOPE % {"scope": scope}})
    prefix = secrets.token_hex(TOKEN_PREFIX_BYTES)
    secret = secrets.token_urlsafe(TOKEN_SECRET_BYTES)
    token = ApiToken(
        organization=organization,
        name=name.strip(),
        scopes=sorted(set(scopes)),
        prefix=prefix,
        secret_hash=_secret_hash(secret),
        created_by=issuer,
    )
    token.full_clean()
    token.save()
    audit_record(
        action="token.issued",
        actor=actor_of(issuer.user) if issuer else "cli",
        organization=str(organization.code),
        target=f"token:{token.code}",
        data={"scopes": token.scopes},
    )
    return IssuedToken(token, f"hvn_{prefix}_{secret}")


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Membership | None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action="token.revoked",
            actor=actor_of(actor.user) if actor else "cli",
            organization=str(token.organization.code),
            target=f"token:{token.code}",
        )
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token for a presented bearer value, or None. Compared in constant time."""
    parts = raw.split("_", 2)  # the secret itself may contain "_"
    if len(parts) != 3 or parts[0] != "hvn" or not TOKEN_PREFIX.fullmatch(parts[1]):
        return None  # nothing else is looked up (a NUL byte would upset PostgreSQL)
    if not parts[2] or len(parts[2]) > TOKEN_MAX_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("organization")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, _secret_hash(parts[2])):
        return None
    now = timezone.now()
    # Last use is shown to admins; minute precision spares a write per request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
