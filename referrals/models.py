"""Referrals: an officer's coded request to a provider, with the survivor's consented details
sealed to the provider's key (DESIGN.md §7).

Tier 1 (``Referral``) holds codes only — urgency, services, household, needs, safety flags and
the officer's own callback channel. Tier 2 (``Packet``) is the HPKE envelope; nothing else
about its content is stored anywhere. ``Notification`` is the e-mail outbox.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from consent.models import Consent
from directory.models import Category, Hold, Location, Membership, Organization


class Suite(models.TextChoices):
    X25519 = "x25519", "DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM"
    MLKEM768_X25519 = "mlkem768-x25519", "ML-KEM-768 + X25519 / HKDF-SHA256 / AES-256-GCM"


class OrganizationKey(models.Model):
    """A provider's HPKE key pair. The private key is kept only wrapped under the deployment's
    key-encryption key; one key is active, retired ones stay while a packet needs them."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")
        DESTROYED = "destroyed", _("Destroyed")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="keys")
    key_id = models.CharField(max_length=16, unique=True)
    suite = models.CharField(max_length=24, choices=Suite.choices)
    public_key = models.BinaryField()
    wrapped_private_key = models.BinaryField(null=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(status="active"),
                name="one_active_key_per_organization",
            ),
            models.CheckConstraint(
                name="destroyed_keys_keep_no_private_key",
                condition=~Q(status="destroyed") | Q(wrapped_private_key__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} key {self.key_id}"


class Urgency(models.TextChoices):
    STANDARD = "standard", _("Standard")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class Need(models.TextChoices):
    WHEELCHAIR = "wheelchair", _("Wheelchair access")
    SERVICE_ANIMAL = "service_animal", _("Service animal")
    PETS = "pets", _("Pets")
    INTERPRETER = "interpreter", _("Interpreter")
    URGENT_MEDICAL = "urgent_medical", _("Urgent medical need")


class SafetyFlag(models.TextChoices):
    SEARCHED_FOR = "searched_for", _("Abuser or trafficker may be searching")
    OUT_OF_AREA = "out_of_area", _("Needs a placement out of the area")


class DeclineReason(models.TextChoices):
    AT_CAPACITY = "at_capacity", _("At capacity")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    SAFETY_CONCERN = "safety_concern", _("Safety concern")
    OTHER = "other", _("Other")


class Referral(models.Model):
    """Tier 1: what the receiving caseworkers and the sending agency may both read."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        VIEWED = "viewed", _("Viewed")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")
        COMPLETED = "completed", _("Completed")

    UNDECIDED = (Status.SENT, Status.VIEWED)

    class Withdrawal(models.TextChoices):
        SENDER = "sender", _("By the sending agency")
        CONSENT_REVOKED = "consent_revoked", _("Consent was taken back")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    agency = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    sent_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="referrals_received"
    )
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="+")
    hold = models.OneToOneField(
        Hold, null=True, blank=True, on_delete=models.PROTECT, related_name="referral"
    )
    urgency = models.CharField(max_length=12, choices=Urgency.choices)
    services = models.JSONField(help_text=_("Service categories requested."))
    household = models.JSONField(help_text=_("Adults, and children by age band (counts)."))
    needs = models.JSONField(help_text=_("Coded needs."))
    language = models.CharField(max_length=8, blank=True, help_text=_("ISO 639-1 code."))
    safety = models.JSONField(help_text=_("Coded safety flags."))
    callback = models.CharField(
        max_length=200, help_text=_("The officer's own callback phone or e-mail.")
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SENT)
    created_at = models.DateTimeField()
    decide_by = models.DateTimeField()
    viewed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decline_reason = models.CharField(max_length=16, choices=DeclineReason.choices, blank=True)
    withdrawal = models.CharField(max_length=16, choices=Withdrawal.choices, blank=True)
    consent_withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Consent was taken back after acceptance.")
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    packet_destroyed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "status", "-created_at"]),
            models.Index(fields=["agency", "-created_at"]),
            models.Index(fields=["decide_by"], condition=Q(status__in=["sent", "viewed"]),
                         name="referral_undecided_by_due"),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                name="referral_decline_has_reason",
                condition=~Q(status="declined") | ~Q(decline_reason=""),
            ),
            models.CheckConstraint(
                name="referral_decided_after_sent",
                condition=Q(decide_by__gt=models.F("created_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"referral {self.code}"

    @property
    def service_labels(self) -> list[str]:
        return [str(Category(c).label) for c in self.services if c in Category.values]

    @property
    def need_labels(self) -> list[str]:
        return [str(Need(c).label) for c in self.needs if c in Need.values]

    @property
    def safety_labels(self) -> list[str]:
        return [str(SafetyFlag(c).label) for c in self.safety if c in SafetyFlag.values]


class Packet(models.Model):
    """Tier 2: the sealed envelope, and only what is needed to open it (docs/PACKET.md)."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="packet")
    key = models.ForeignKey(OrganizationKey, on_delete=models.PROTECT, related_name="packets")
    kem_id = models.PositiveIntegerField()
    kdf_id = models.PositiveIntegerField()
    aead_id = models.PositiveIntegerField()
    sealed = models.BinaryField(help_text=_("enc || ciphertext, as RFC 9180 produces them."))
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"packet of {self.referral.code}"


class Notification(models.Model):
    """The outbox: written in the transaction that makes the news, delivered by the task
    worker with retries. Messages carry no survivor data and no referral details beyond
    urgency."""

    class Kind(models.TextChoices):
        NEW_REFERRAL = "new_referral", _("New referral")
        ESCALATION = "escalation", _("Urgent referral waiting")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
        KEY_CHANGED = "key_changed", _("Encryption key changed")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Gave up")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True, db_index=True)
    delivery = models.CharField(
        max_length=20, blank=True, help_text=_("The last delivery event the ESP reported.")
    )
    delivery_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"),
                         name="notification_due"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"

    @property
    def message_header(self) -> str:
        """The Message-ID every attempt carries, so a copy re-sent after a crash is the same
        message to the mailbox."""
        return f"<{self.code}@{urlsplit(settings.SITE_URL).hostname or 'haven.invalid'}>"
