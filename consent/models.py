"""Survivor-held consent: who may receive what, for which purpose, until when.

A survivor has no account. A :class:`Receipt` — a random code and a PIN they chose, both
stored only as digests — opens the portal where they see each :class:`Consent`, its event
log and the disclosure ledger, and can shorten or revoke it. Nothing here holds a name, a
phone number or anything else a survivor says: those travel only in sealed packets.
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from directory.models import Category, Membership, Organization

# Hard ceiling, whatever the network sets (HAVEN_CONSENT_MAX_DAYS is checked by services).
CONSENT_CEILING_DAYS = 366


class Item(models.TextChoices):
    """What a survivor may allow to be shared — each one named, never "any and all"."""

    NAME = "name", _("The name or alias to use")
    CONTACT = "contact", _("A safe way to contact you, and safe times")
    AGE = "age", _("Your age or date of birth")
    LANGUAGE = "language", _("The language you prefer")
    HOUSEHOLD = "household", _("Who is coming with you")
    MEDICAL = "medical", _("Medical needs")
    SAFETY = "safety", _("Safety concerns")
    DOCUMENTS = "documents", _("ID and papers you have with you")
    NOTES = "notes", _("A short note from the officer, in their words")


class Acknowledgement(models.TextChoices):
    NOT_A_CONDITION = "not_a_condition", _("Saying no does not stop you getting help.")
    REVOCABLE = "revocable", _("You can take this back at any time.")
    LIMITS = "limits", _("Some laws still apply (for example, reporting harm to a child).")
    NO_ONWARD_SHARING = "no_onward_sharing", _("The organisation may not pass it on.")


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Rows of logs and ledgers are written once; no code path may change or remove them.

    (On PostgreSQL a trigger refuses it too, for anyone going round the ORM.)
    """

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError(f"{self.model.__name__} rows are append-only")

    def delete(self) -> NoReturn:
        raise TypeError(f"{self.model.__name__} rows are append-only")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(f"{type(self).__name__} rows are append-only")


class Receipt(models.Model):
    """A survivor's key to the portal: the receipt code they were given and a PIN they chose.

    Only digests are kept: SHA-256 of the code (80 random bits) and a password hash of the PIN.
    ``reference`` is the pseudonymous survivor reference the consents carry.
    """

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code_digest = models.CharField(max_length=64, unique=True, editable=False)
    pin_hash = models.CharField(max_length=128, editable=False)
    language = models.CharField(max_length=8, default="en")
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"receipt {self.reference}"


class ConsentRequest(models.Model):
    """An officer's request, waiting for the survivor to read, choose and sign.

    Opened with a one-time code (by QR code or short link) that works for 15 minutes.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    link_digest = models.CharField(max_length=64, unique=True, editable=False)
    requested_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    services = models.JSONField(help_text=_("The services the referral is for."))
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    consent = models.OneToOneField(
        "Consent", null=True, blank=True, on_delete=models.PROTECT, related_name="request"
    )

    def __str__(self) -> str:
        return f"request {self.code}"


class Consent(models.Model):
    """One survivor, one receiving organisation, one purpose, until a required expiry."""

    class Method(models.TextChoices):
        SURVIVOR_DEVICE = "survivor_device", _("Signed on the survivor's own phone")
        OFFICER_DEVICE = "officer_device", _("Signed on the officer's device")
        VERBAL = "verbal", _("Given out loud, with a witness")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REVOKED = "revoked", _("Taken back")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Replaced by a newer consent")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="consents")
    recipient = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="consents")
    requested_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    services = models.JSONField(help_text=_("Service categories the referral is for."))
    items = models.JSONField(help_text=_("What may be shared, each item named."))
    valid_from = models.DateTimeField()
    expires_at = models.DateTimeField()
    method = models.CharField(max_length=16, choices=Method.choices)
    witness = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notice_version = models.CharField(max_length=16)
    language = models.CharField(max_length=8)
    interpreter_used = models.BooleanField(default=False)
    acknowledgements = models.JSONField()
    # A keyed fingerprint of what the survivor typed to sign: it can confirm a signature shown
    # later, and never shows one.
    signature_digest = models.CharField(max_length=64, editable=False)
    signed_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    show_recipient_on_receipt = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="consent_expires_after_it_starts",
                condition=Q(expires_at__gt=models.F("valid_from")),
            ),
            models.CheckConstraint(
                name="consent_status_known",
                condition=Q(status__in=["active", "revoked", "expired", "superseded"]),
            ),
            models.CheckConstraint(
                name="consent_method_known",
                condition=Q(method__in=["survivor_device", "officer_device", "verbal"]),
            ),
            models.CheckConstraint(name="consent_names_items", condition=~Q(items=[])),
            models.CheckConstraint(
                name="consent_verbal_has_witness",
                condition=~Q(method="verbal") | Q(witness__isnull=False),
            ),
            models.CheckConstraint(
                name="consent_ended_when_not_active",
                condition=Q(status="active", ended_at__isnull=True)
                | (~Q(status="active") & Q(ended_at__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.code}"

    @property
    def service_labels(self) -> list[str]:
        return [str(Category(code).label) for code in self.services if code in Category.values]

    @property
    def item_labels(self) -> list[str]:
        return [str(Item(code).label) for code in self.items if code in Item.values]


class ConsentEvent(AppendOnly):
    """The consent's history: granted, viewed by the survivor, shortened, revoked, expired."""

    class Kind(models.TextChoices):
        GRANTED = "granted", _("Given")
        VIEWED = "viewed", _("Looked at by you")
        SHORTENED = "shortened", _("Shortened")
        REVOKED = "revoked", _("Taken back")
        EXPIRED = "expired", _("Ended on its date")

    class How(models.TextChoices):
        CAPTURE = "capture", _("When it was signed")
        PORTAL = "portal", _("In the survivor portal")
        PHONE = "phone", _("By phone, recorded by staff")
        SYSTEM = "system", _("By Haven")

    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    how = models.CharField(max_length=16, choices=How.choices)
    at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class Disclosure(AppendOnly):
    """The disclosure ledger: what happened to what was shared — sent, opened, accepted —
    when and by which organisation. Never content, never staff names."""

    class Kind(models.TextChoices):
        SENT = "sent", _("Sent")
        VIEWED = "viewed", _("Seen in the inbox (without your details)")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        OPENED = "opened", _("Your details opened by intake staff")
        WITHDRAWN = "withdrawn", _("Withdrawn before it was opened")
        DESTROYED = "destroyed", _("Your details destroyed")
        REFUSED = "refused", _("Opening refused: consent no longer valid")

    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="disclosures")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reference = models.CharField(
        max_length=64, blank=True, help_text=_("An opaque id of what was disclosed (a referral).")
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"
