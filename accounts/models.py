"""People who sign in (staff of organisations, and network stewards) and API tokens.

Survivors never have accounts. Every account that can see more than the public directory
signs in with a password and a TOTP code (django-otp).
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


def new_security_stamp() -> str:
    return secrets.token_hex(16)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A staff member of a member organisation, or a network steward (``is_staff``)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("network steward"),
        default=False,
        help_text=_("Runs the network: onboards organisations, verifies keys, keeps data fresh."),
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # Changing the stamp ends every session of this account at its next request.
    security_stamp = models.CharField(max_length=32, default=new_security_stamp, editable=False)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Sessions carry this; it changes with the password *or* the security stamp.

        Overrides the private method Django calls for the current key and for every key in
        SECRET_KEY_FALLBACKS, so a rotated stamp ends sessions however they were signed.
        """
        key_salt = "haven.accounts.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}|{self.security_stamp}", secret=secret, algorithm="sha256"
        ).hexdigest()

    @property
    def is_steward(self) -> bool:
        return self.is_active and self.is_staff

    def is_verified(self) -> bool:
        """Whether this request's session passed the second factor.

        django-otp's middleware replaces this on each request's user; anywhere else (a
        command, a task) nobody is verified.
        """
        return False


class Invitation(models.Model):
    """A one-time, expiring invitation to join an organisation with a role.

    The link carries a random secret; only its SHA-256 is stored.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=16)
    invited_by = models.ForeignKey(
        "directory.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    def is_open(self, at: Any = None) -> bool:
        at = at or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and at < self.expires_at


class ApiToken(models.Model):
    """An organisation's API token for an integration, limited to some scopes.

    Shown once when issued; only the SHA-256 of its secret part is stored. Sent as
    ``Authorization: Bearer hvn_<prefix>_<secret>``.
    """

    class Scope(models.TextChoices):
        DIRECTORY_READ = "directory:read", _("Read the directory, beds included")
        HOLDS_WRITE = "holds:write", _("Place and cancel bed holds")
        CAPACITY_WRITE = "capacity:write", _("Update bed counts")
        REFERRALS_READ = "referrals:read", _("Read referral status")
        REFERRALS_WRITE = "referrals:write", _("Send referrals")
        REFERRALS_DECIDE = "referrals:decide", _("Accept or decline referrals")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    scopes = models.JSONField(default=list)
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        "directory.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} (hvn_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
