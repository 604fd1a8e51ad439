"""Writes of the referral lifecycle (DESIGN.md §3, §7): keys, send, view, accept, decline,
withdraw, open, complete, expiry, purge, and the notification outbox.

Every function that changes a referral locks its row first, so two caseworkers (or a
caseworker and a revocation) never both win.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import FilteredRelation, Q
from django.utils import timezone, translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from consent.models import Consent, Disclosure, Item
from consent.services import consent_is_valid, disclosure_record
from directory.models import Category, Hold, Location, Membership, Organization
from directory.services import BedConflict, hold_cancel, hold_confirm
from referrals import crypto
from referrals.models import (
    DeclineReason,
    Need,
    Notification,
    OrganizationKey,
    Packet,
    Referral,
    SafetyFlag,
    Urgency,
)

ERROR_CONSENT = {
    "revoked": _("The survivor has taken this consent back."),
    "superseded": _("This consent was replaced by a newer one."),
    "not_yet_valid": _("This consent has not started yet."),
    "expired": _("This consent has expired. Ask the survivor whether they agree again."),
    "other_recipient": _("This consent does not name this organisation."),
    "item_not_consented": _("The survivor did not agree to share: %(items)s."),
}
ERROR_NOT_A_PROVIDER = _("Referrals go to a service provider.")
ERROR_NO_KEY = _(
    "This organisation cannot receive sealed referrals yet: it has no encryption key. "
    "Call its intake line."
)
ERROR_CONSENT_OTHER_AGENCY = _("This consent was recorded by another agency.")
ERROR_NO_SERVICES = _("Choose at least one service the survivor asked for.")
ERROR_SERVICE_NOT_CONSENTED = _("The consent does not cover this service.")
ERROR_HOLD = _("This hold is not an active hold of your agency at this organisation.")
ERROR_LOCATION = _("This location does not belong to the receiving organisation.")
ERROR_HOUSEHOLD = _("Give the number of adults (at least 1) and of children by age.")
ERROR_LANGUAGE = _("Give a language code such as es (or es-MX).")
# ISO 639 (two or three letters), with a region or script if need be: BCP 47's common forms.
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,4})?")
ERROR_CALLBACK = _("Give a phone number or e-mail address where you can be called back.")
ERROR_ITEM_EMPTY = _("Fill in %(item)s, or leave it out.")
ERROR_ITEM_TOO_LONG = _("%(item)s is too long (%(limit)d characters at most).")
ERROR_ALREADY_DECIDED = _("This referral was already %(status)s.")
ERROR_DECISION_EXPIRED = _("The time to decide on this referral has passed.")
ERROR_NOT_ACCEPTED = _("A referral's details open only after it is accepted.")
ERROR_PACKET_GONE = _("The details of this referral have been destroyed.")
ERROR_DECLINE_REASON = _("Choose a reason.")

HOUSEHOLD_FIELDS = ("adults", "children_0_5", "children_6_12", "children_13_17")
ITEM_LIMITS = {Item.NOTES.value: 1000}
ITEM_LIMIT = 300


class ReferralConflict(Exception):
    """The referral is not in a state that allows this (someone else decided first, it
    expired, the consent ended). ``message`` is for people; ``code`` for the API."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


# --- Organisation keys ----------------------------------------------------------------------


def _admin_emails(organization: Organization) -> list[str]:
    return list(
        Membership.objects.filter(
            organization=organization, role=Membership.Role.ORG_ADMIN, is_active=True
        ).values_list("user__email", flat=True)
    )


@transaction.atomic
def org_key_create(
    *, organization: Organization, by: Membership | None = None, suite: str | None = None
) -> OrganizationKey:
    """A new active key pair for a provider; the previous active key is retired (it stays
    while packets sealed to it are still to be opened). Audited, and announced to the
    organisation's admins with the new fingerprint."""
    if organization.kind != Organization.Kind.PROVIDER:
        raise ValidationError(ERROR_NOT_A_PROVIDER)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    _kek_check()
    now = timezone.now()
    pair = crypto.keypair_generate(suite or settings.HAVEN_PACKET_SUITE)
    kid = crypto.key_id(pair.public)
    previous = OrganizationKey.objects.filter(
        organization=organization, status=OrganizationKey.Status.ACTIVE
    ).first()
    if previous is not None:
        previous.status, previous.retired_at = OrganizationKey.Status.RETIRED, now
        previous.save(update_fields=["status", "retired_at"])
    key = OrganizationKey.objects.create(
        organization=organization,
        key_id=kid,
        suite=pair.suite,
        public_key=pair.public,
        wrapped_private_key=crypto.private_wrap(
            pair.private, organization=str(organization.code), kid=kid
        ),
        created_at=now,
        created_by=by,
    )
    audit_record(
        action="key.rotated" if previous else "key.created",
        actor=f"user:{by.user.code}" if by else "system",
        organization=str(organization.code),
        target=f"key:{kid}",
        data={"suite": pair.suite, "previous": previous.key_id if previous else ""},
    )
    for address in _admin_emails(organization):
        notification_add(
            kind=Notification.Kind.KEY_CHANGED,
            to=address,
            subject=_("Your organisation's encryption key changed"),
            body=_(
                "A new encryption key is now active for your organisation on Haven.\n\n"
                "Key id: %(kid)s\nFingerprint: %(fingerprint)s\n\n"
                "If your organisation did not expect this, tell your network steward at once."
            ),
            params={"kid": kid, "fingerprint": crypto.fingerprint(pair.public)},
        )
    return key


def _kek_check() -> None:
    """Raise KeyEncryptionKeyError unless the configured key-encryption key unwraps the newest
    key the deployment holds. A misconfigured secret (another network's, a failed mount)
    would otherwise wrap a new key that only that wrong secret opens."""
    newest = (
        OrganizationKey.objects.filter(wrapped_private_key__isnull=False)
        .select_related("organization")
        .order_by("-created_at", "-pk")
        .first()
    )
    if newest is not None:
        crypto.private_unwrap(
            bytes(newest.wrapped_private_key or b""),
            organization=str(newest.organization.code),
            kid=newest.key_id,
        )


def retired_keys_destroy() -> int:
    """Destroy retired private keys that no remaining packet needs."""
    destroyed = 0
    for key in OrganizationKey.objects.filter(status=OrganizationKey.Status.RETIRED).exclude(
        packets__isnull=False
    ):
        key.status, key.wrapped_private_key = OrganizationKey.Status.DESTROYED, None
        key.save(update_fields=["status", "wrapped_private_key"])
        audit_record(action="key.destroyed", actor="system", target=f"key:{key.key_id}")
        destroyed += 1
    return destroyed


# --- Sending --------------------------------------------------------------------------------


@dataclass
class Tier1:
    """The coded part of a referral: no identifiers, readable in the inbox."""

    urgency: str
    services: list[str]
    household: dict[str, int]
    callback: str
    needs: list[str] = field(default_factory=list)
    language: str = ""
    safety: list[str] = field(default_factory=list)


def _tier1_clean(tier1: Tier1, consent: Consent) -> None:
    errors: dict[str, Any] = {}
    if tier1.urgency not in Urgency.values:
        errors["urgency"] = _("Choose an urgency.")
    if not tier1.services:
        errors["services"] = ERROR_NO_SERVICES
    elif not set(tier1.services) <= set(Category.values) or not set(tier1.services) <= set(
        consent.services
    ):
        errors["services"] = ERROR_SERVICE_NOT_CONSENTED
    household = tier1.household or {}
    counts = [household.get(name, 0) for name in HOUSEHOLD_FIELDS]
    if (
        set(household) - set(HOUSEHOLD_FIELDS)
        or not all(isinstance(n, int) and 0 <= n <= 20 for n in counts)
        or household.get("adults", 0) < 1
    ):
        errors["household"] = ERROR_HOUSEHOLD
    if not set(tier1.needs) <= set(Need.values):
        errors["needs"] = _("Choose needs from the list.")
    if not set(tier1.safety) <= set(SafetyFlag.values):
        errors["safety"] = _("Choose safety flags from the list.")
    if tier1.language and not LANGUAGE_CODE.fullmatch(tier1.language):
        errors["language"] = ERROR_LANGUAGE
    if not 5 <= len(tier1.callback.strip()) <= 200:
        errors["callback"] = ERROR_CALLBACK
    if errors:
        raise ValidationError(errors)


def _items_clean(items: dict[str, str]) -> dict[str, str]:
    cleaned, errors = {}, {}
    for name, value in items.items():
        label = Item(name).label if name in Item.values else name
        text = (value or "").strip()
        if not text:
            errors[name] = ERROR_ITEM_EMPTY % {"item": label}
            continue
        limit = ITEM_LIMITS.get(name, ITEM_LIMIT)
        if len(text) > limit:
            errors[name] = ERROR_ITEM_TOO_LONG % {"item": label, "limit": limit}
            continue
        cleaned[name] = text
    if errors:
        raise ValidationError(errors)
    return cleaned


def consent_check(consent: Consent, recipient: Organization, items: Any, at: datetime) -> None:
    """Raise the survivor-facing reason when the consent does not allow this disclosure."""
    validity = consent_is_valid(consent, recipient, set(items), at)
    if not validity:
        message = ERROR_CONSENT.get(validity.reason, ERROR_CONSENT["expired"])
        if validity.reason == "item_not_consented":
            outside = sorted(set(items) - set(consent.items))
            labels = ", ".join(str(Item(n).label) if n in Item.values else n for n in outside)
            raise ValidationError(message, code="item_not_consented", params={"items": labels})
        raise ValidationError(message, code=validity.reason)


def _seal(referral: Referral, key: OrganizationKey, items: dict[str, str]) -> Packet:
    spec = crypto.suite_spec(key.suite)
    info = crypto.packet_info(
        referral=str(referral.code), recipient=str(referral.recipient.code), kid=key.key_id
    )
    sealed = crypto.seal(
        crypto.canonical_padded(items), suite=key.suite, public=bytes(key.public_key), info=info
    )
    return Packet.objects.create(
        referral=referral,
        key=key,
        kem_id=spec.kem_id,
        kdf_id=spec.kdf_id,
        aead_id=spec.aead_id,
        sealed=sealed,
        created_at=referral.created_at,
    )


@transaction.atomic
def referral_send(
    *,
    agency: Organization,
    sent_by: Membership | None,
    recipient: Organization,
    consent: Consent,
    tier1: Tier1,
    items: dict[str, str],
    location: Location | None = None,
    hold: Hold | None = None,
) -> Referral:
    """Send a referral: check the consent for this recipient and these items, seal the items
    to the recipient's key, link the hold, write the ledger, the audit and the outbox — all
    in one transaction, so a failure anywhere leaves nothing behind."""
    now = timezone.now()
    # The consent's row, locked, read with its recipient's active key in the same statement
    # (a valid consent names this recipient: consent_check below makes sure).
    consent = (
        Consent.objects.select_for_update(of=("self",))
        .annotate(
            active_key=FilteredRelation(
                "recipient__keys",
                condition=Q(recipient__keys__status=OrganizationKey.Status.ACTIVE),
            )
        )
        # django-stubs does not know names made by FilteredRelation.
        .select_related("requested_by", "active_key")  # type: ignore[misc]
        .get(pk=consent.pk)
    )
    if consent.requested_by.organization_id != agency.pk:
        raise ValidationError(ERROR_CONSENT_OTHER_AGENCY, code="other_agency")
    consent_check(consent, recipient, items.keys(), now)
    _tier1_clean(tier1, consent)
    cleaned = _items_clean(items)
    if location is not None and location.organization_id != recipient.pk:
        raise ValidationError({"location": ERROR_LOCATION})
    if hold is not None:
        hold = Hold.objects.select_for_update().select_related("capacity__location").get(pk=hold.pk)
        if (
            hold.agency_id != agency.pk
            or hold.status != Hold.Status.ACTIVE
            or hold.expires_at <= now
            or hold.capacity.location.organization_id != recipient.pk
            or Referral.objects.filter(hold=hold).exists()
        ):
            raise ValidationError({"hold": ERROR_HOLD})
        location = location or hold.capacity.location
    key: OrganizationKey | None = getattr(consent, "active_key", None)  # unset when there is none
    if key is None:
        raise ValidationError(ERROR_NO_KEY, code="no_key")
    referral = Referral.objects.create(
        agency=agency,
        sent_by=sent_by,
        recipient=recipient,
        location=location,
        consent=consent,
        hold=hold,
        urgency=tier1.urgency,
        services=sorted(set(tier1.services)),
        household={name: tier1.household.get(name, 0) for name in HOUSEHOLD_FIELDS},
        needs=sorted(set(tier1.needs)),
        language=tier1.language,
        safety=sorted(set(tier1.safety)),
        callback=tier1.callback.strip(),
        created_at=now,
        decide_by=now + timedelta(hours=settings.HAVEN_REFERRAL_DECIDE_HOURS),
    )
    _seal(referral, key, cleaned)
    disclosure_record(
        consent=consent, kind=Disclosure.Kind.SENT, organization=recipient, at=now,
        reference=str(referral.code),
    )  # fmt: skip
    audit_record(
        action="referral.sent",
        actor=f"user:{sent_by.user.code}" if sent_by else f"org:{agency.code}",
        organization=str(agency.code),
        target=f"referral:{referral.code}",
        data={"recipient": str(recipient.code), "key": key.key_id, "items": sorted(cleaned)},
    )
    if recipient.intake_email:
        notification_add(
            kind=Notification.Kind.NEW_REFERRAL,
            to=recipient.intake_email,
            referral=referral,
            subject=_("A new referral is waiting"),
            body=_("A new referral is waiting (urgency: %(urgency)s). Sign in to respond."),
            params={"urgency": _lowercase(Urgency(referral.urgency).label)},
        )
    return referral


# --- Deciding -------------------------------------------------------------------------------


def _locked(referral: Referral) -> Referral:
    """The referral, its row locked (only its own: never the organisation's or consent's),
    with what deciding and opening read."""
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("recipient", "consent", "hold")
        .get(pk=referral.pk)
    )


def _actor(by: Membership | None) -> str:
    return f"user:{by.user.code}" if by else "system"


def _expire_if_due(referral: Referral, now: datetime) -> bool:
    """Undecided past its time: expired now, whether or not the sweep has run."""
    if referral.status in Referral.UNDECIDED and referral.decide_by <= now:
        _close(referral, Referral.Status.EXPIRED, now)
        return True
    return False


def _release_hold(referral: Referral) -> None:
    hold = referral.hold
    if hold is not None and hold.status == Hold.Status.ACTIVE:
        with suppress(BedConflict):  # it ended meanwhile (expired): the bed is free anyway
            hold_cancel(hold=hold)


def _close(
    referral: Referral, status: str, now: datetime, by: Membership | None = None, **fields: Any
) -> None:
    """End an undecided referral: its packet destroyed, its hold released."""
    referral.status = status
    for name, value in fields.items():
        setattr(referral, name, value)
    referral.save(update_fields=["status", *fields])
    _release_hold(referral)
    packet_destroy(referral, now)
    audit_record(action=f"referral.{status}", actor=_actor(by), target=f"referral:{referral.code}")


def referral_mark_viewed(*, referral: Referral, by: Membership) -> Referral:
    """The first time a recipient caseworker opens the Tier 1 detail."""
    if referral.viewed_at is not None or referral.status != Referral.Status.SENT:
        return referral
    with transaction.atomic():
        referral = _locked(referral)
        now = timezone.now()
        if _expire_if_due(referral, now) or referral.status != Referral.Status.SENT:
            return referral
        referral.status, referral.viewed_at = Referral.Status.VIEWED, now
        referral.save(update_fields=["status", "viewed_at"])
        disclosure_record(
            consent=referral.consent, kind=Disclosure.Kind.VIEWED,
            organization=referral.recipient, at=now, reference=str(referral.code),
        )  # fmt: skip
    return referral


def _undecidable(referral: Referral, now: datetime) -> ReferralConflict | None:
    """Why this referral can no longer be decided, if it cannot."""
    if _expire_if_due(referral, now):
        return ReferralConflict(str(ERROR_DECISION_EXPIRED), "expired")
    if referral.status not in Referral.UNDECIDED:
        return ReferralConflict(
            ERROR_ALREADY_DECIDED % {"status": referral.get_status_display().lower()},
            "already_decided",
        )
    return None


def _decide(referral: Referral, decision: Callable[[Referral, datetime], None]) -> Referral:
    """Lock the referral and apply ``decision`` if it is still undecided. A refusal is
    raised after the transaction commits, so an expiry found on the way is kept."""
    with transaction.atomic():
        referral = _locked(referral)
        now = timezone.now()
        refusal = _undecidable(referral, now)
        if refusal is None:
            decision(referral, now)
    if refusal is not None:
        raise refusal
    return referral


def _ledger(referral: Referral, kind: str, at: datetime) -> None:
    disclosure_record(
        consent=referral.consent, kind=kind, organization=referral.recipient, at=at,
        reference=str(referral.code),
    )  # fmt: skip


def referral_accept(*, referral: Referral, by: Membership) -> Referral:
    """Accept: one caseworker wins; the bed held for this referral becomes occupied."""

    def accept(referral: Referral, now: datetime) -> None:
        referral.status, referral.decided_at, referral.decided_by = (
            Referral.Status.ACCEPTED, now, by,
        )  # fmt: skip
        referral.viewed_at = referral.viewed_at or now
        referral.save(update_fields=["status", "decided_at", "decided_by", "viewed_at"])
        hold = referral.hold
        if hold is not None and hold.status == Hold.Status.ACTIVE:
            with suppress(BedConflict):  # it ran out first; intake places the person as usual
                hold_confirm(hold=hold)
        _ledger(referral, Disclosure.Kind.ACCEPTED, now)
        audit_record(
            action="referral.accepted", actor=_actor(by),
            organization=str(referral.recipient.code), target=f"referral:{referral.code}",
        )  # fmt: skip

    return _decide(referral, accept)


def referral_decline(*, referral: Referral, by: Membership, reason: str) -> Referral:
    """Decline with a coded reason: the bed is released and the packet destroyed."""
    if reason not in DeclineReason.values:
        raise ValidationError({"reason": ERROR_DECLINE_REASON})

    def decline(referral: Referral, now: datetime) -> None:
        _close(referral, Referral.Status.DECLINED, now, by, decline_reason=reason,
               decided_at=now, decided_by=by)  # fmt: skip
        _ledger(referral, Disclosure.Kind.DECLINED, now)

    return _decide(referral, decline)


def referral_withdraw(*, referral: Referral, by: Membership | None) -> Referral:
    """The sending agency takes back a referral not yet accepted."""

    def withdraw(referral: Referral, now: datetime) -> None:
        _close(referral, Referral.Status.WITHDRAWN, now, by,
               withdrawal=Referral.Withdrawal.SENDER)  # fmt: skip
        _ledger(referral, Disclosure.Kind.WITHDRAWN, now)

    return _decide(referral, withdraw)


# --- Opening and completing -----------------------------------------------------------------


def packet_open(*, referral: Referral, by: Membership) -> dict[str, str]:
    """Decrypt an accepted referral's packet for one of the recipient's caseworkers — only
    while the consent is valid, checked now. Every opening is in the survivor's ledger and
    the audit chain; so is a refusal because the consent ended."""
    refusal: ReferralConflict | None = None
    with transaction.atomic():
        referral = _locked(referral)
        now = timezone.now()
        if referral.status != Referral.Status.ACCEPTED:
            raise ReferralConflict(str(ERROR_NOT_ACCEPTED), "not_accepted")
        validity = consent_is_valid(referral.consent, referral.recipient, [], now)
        packet = Packet.objects.select_related("key").filter(referral=referral).first()
        if not validity:
            _ledger(referral, Disclosure.Kind.REFUSED, now)
            refusal = ReferralConflict(
                str(ERROR_CONSENT.get(validity.reason, ERROR_CONSENT["expired"])),
                "consent_" + validity.reason,
            )
        elif packet is None:
            raise ReferralConflict(str(ERROR_PACKET_GONE), "destroyed")
        else:
            items = _packet_decrypt(referral, packet)
            _ledger(referral, Disclosure.Kind.OPENED, now)
            audit_record(
                action="packet.opened", actor=_actor(by),
                organization=str(referral.recipient.code), target=f"referral:{referral.code}",
            )  # fmt: skip
    if refusal is not None:
        raise refusal
    return items


def _packet_decrypt(referral: Referral, packet: Packet) -> dict[str, str]:
    key = packet.key
    private = crypto.private_unwrap(
        bytes(key.wrapped_private_key or b""),
        organization=str(referral.recipient.code),
        kid=key.key_id,
    )
    info = crypto.packet_info(
        referral=str(referral.code), recipient=str(referral.recipient.code), kid=key.key_id
    )
    items = crypto.packet_items(
        crypto.open_sealed(bytes(packet.sealed), suite=key.suite, private=private, info=info)
    )
    return {str(k): str(v) for k, v in items.items()}


def referral_complete(*, referral: Referral, by: Membership) -> Referral:
    """Intake done: the packet is destroyed; only the coded record stays."""
    with transaction.atomic():
        referral = _locked(referral)
        now = timezone.now()
        if referral.status != Referral.Status.ACCEPTED:
            raise ReferralConflict(str(ERROR_NOT_ACCEPTED), "not_accepted")
        referral.status, referral.completed_at = Referral.Status.COMPLETED, now
        referral.save(update_fields=["status", "completed_at"])
        packet_destroy(referral, now)
        audit_record(
            action="referral.completed", actor=_actor(by),
            organization=str(referral.recipient.code), target=f"referral:{referral.code}",
        )  # fmt: skip
    return referral


def packet_destroy(referral: Referral, now: datetime) -> bool:
    """Destroy the ciphertext: overwritten in place, then deleted (SQLite also runs with
    secure_delete). The ledger says so; a tombstone — the coded referral — stays."""
    packet = Packet.objects.filter(referral=referral).first()
    if packet is None:
        return False
    Packet.objects.filter(pk=packet.pk).update(sealed=bytes(len(bytes(packet.sealed))))
    packet.delete()
    referral.packet_destroyed_at = now
    Referral.objects.filter(pk=referral.pk).update(packet_destroyed_at=now)
    disclosure_record(
        consent=referral.consent, kind=Disclosure.Kind.DESTROYED,
        organization=referral.recipient, at=now, reference=str(referral.code),
    )  # fmt: skip
    return True


# --- Consent taken back ---------------------------------------------------------------------


def referrals_on_consent_revoked(*, consent: Consent, at: datetime) -> None:
    """Undecided referrals under the consent are withdrawn and their packets destroyed;
    accepted ones can no longer be opened, and the recipient is told without content."""
    for referral in Referral.objects.filter(consent=consent).select_related("recipient"):
        referral = _locked(referral)
        if referral.status in Referral.UNDECIDED:
            _close(referral, Referral.Status.WITHDRAWN, at, None,
                   withdrawal=Referral.Withdrawal.CONSENT_REVOKED)  # fmt: skip
            disclosure_record(
                consent=consent, kind=Disclosure.Kind.WITHDRAWN,
                organization=referral.recipient, at=at, reference=str(referral.code),
            )  # fmt: skip
        elif referral.status == Referral.Status.ACCEPTED:
            referral.consent_withdrawn_at = at
            referral.save(update_fields=["consent_withdrawn_at"])
            packet_destroy(referral, at)
            if referral.recipient.intake_email:
                notification_add(
                    kind=Notification.Kind.CONSENT_WITHDRAWN,
                    to=referral.recipient.intake_email,
                    referral=referral,
                    subject=_("Consent was withdrawn for a referral"),
                    body=_(
                        "The person referred to you has withdrawn their consent for one of "
                        "your accepted referrals. Its details can no longer be opened. Sign "
                        "in to see which one."
                    ),
                )


# --- Sweeps ---------------------------------------------------------------------------------


def referrals_sweep() -> dict[str, int]:
    """Expire undecided referrals past their time (holds released, packets destroyed),
    destroy packets kept past HAVEN_PACKET_KEEP_DAYS after acceptance, escalate urgent
    referrals nobody has viewed, and destroy retired keys no packet needs."""
    now = timezone.now()
    counts = {"expired": 0, "purged": 0, "escalated": 0, "keys_destroyed": 0}
    for referral in Referral.objects.filter(status__in=Referral.UNDECIDED, decide_by__lte=now):
        with transaction.atomic():
            if _expire_if_due(_locked(referral), now):
                counts["expired"] += 1
    keep = now - timedelta(days=settings.HAVEN_PACKET_KEEP_DAYS)
    for referral in Referral.objects.filter(
        status=Referral.Status.ACCEPTED, decided_at__lte=keep, packet__isnull=False
    ):
        with transaction.atomic():
            counts["purged"] += packet_destroy(_locked(referral), now)
    counts["escalated"] = referrals_escalate(now)
    with transaction.atomic():
        counts["keys_destroyed"] = retired_keys_destroy()
    return counts


def referrals_escalate(now: datetime) -> int:
    due = now - timedelta(minutes=settings.HAVEN_REFERRAL_ESCALATE_MINUTES)
    escalated = 0
    for referral in Referral.objects.filter(
        status=Referral.Status.SENT,
        urgency__in=[Urgency.URGENT, Urgency.EMERGENCY],
        created_at__lte=due,
        escalated_at__isnull=True,
    ).select_related("recipient"):
        with transaction.atomic():
            referral = _locked(referral)
            if referral.status != Referral.Status.SENT or referral.escalated_at is not None:
                continue
            referral.escalated_at = now
            referral.save(update_fields=["escalated_at"])
            if referral.recipient.on_call_email:
                notification_add(
                    kind=Notification.Kind.ESCALATION,
                    to=referral.recipient.on_call_email,
                    referral=referral,
                    subject=_("An urgent referral is waiting"),
                    body=_(
                        "An %(urgency)s referral has waited %(minutes)d minutes without being "
                        "viewed. Sign in to respond."
                    ),
                    params={
                        "urgency": _lowercase(Urgency(referral.urgency).label),
                        "minutes": settings.HAVEN_REFERRAL_ESCALATE_MINUTES,
                    },
                )
            escalated += 1
    return escalated


# --- The outbox -----------------------------------------------------------------------------


# An urgency's label as it reads inside a sentence, in the language active when it is written.
_lowercase = lazy(lambda label: str(label).lower(), str)


def notification_add(
    *,
    kind: str,
    to: str,
    subject: str | Promise,
    body: str | Promise,
    params: Mapping[str, Any] | None = None,
    referral: Referral | None = None,
) -> Notification:
    """Queue an e-mail in the caller's transaction; the worker is asked to deliver it once
    the transaction commits (and the periodic sweep catches anything missed).

    The texts are translatable (lazy) and written here in the deployment's language, never
    in the language of whoever's action sent them: a survivor who withdraws consent on the
    Spanish pages must not have that choice told to the shelter. ``params`` fill the body's
    placeholders, in that language too."""
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = str(subject), str(body) % params if params else str(body)
    now = timezone.now()
    notification = Notification.objects.create(
        kind=kind, to=to, subject=subject, body=body, referral=referral, created_at=now,
        next_attempt_at=now,
    )  # fmt: skip
    from referrals.tasks import deliver_notification

    code = str(notification.code)
    transaction.on_commit(lambda: deliver_notification.enqueue(code))
    return notification


def notification_deliver(code: str) -> bool:
    """Send one queued e-mail if it is due. True when it was sent now.

    Claiming the message counts an attempt and moves its next attempt HAVEN_NOTIFY_LEASE_SECONDS
    ahead, and commits *before* the ESP is called: no transaction (on SQLite, no write lock)
    stays open across the network, two workers never hold the same message at once, and a
    worker killed mid-delivery leaves the message due again when the lease runs out, for the
    sweep to send — never lost. A worker killed after the ESP accepted the message but before
    it was marked sent makes the retry a second copy; both carry the same Message-ID, which
    mailboxes treat as one message. A failure schedules a retry with exponential backoff until
    HAVEN_NOTIFY_MAX_ATTEMPTS."""
    from django.core.mail import EmailMessage

    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(code=code, status=Notification.Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if notification is None:
            return False
        notification.attempts += 1
        notification.next_attempt_at = now + timedelta(seconds=settings.HAVEN_NOTIFY_LEASE_SECONDS)
        notification.save(update_fields=["attempts", "next_attempt_at"])
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        to=[notification.to],
        headers={"Message-ID": notification.message_header, "X-Haven-Notification": code},
    )
    # Only this claim may record its outcome: a later claim has counted another attempt.
    claim = Notification.objects.filter(
        pk=notification.pk, status=Notification.Status.PENDING, attempts=notification.attempts
    )
    try:
        message.send()
    except Exception as error:  # any ESP failure is retried later
        attempts = notification.attempts
        delay = settings.HAVEN_NOTIFY_BACKOFF_SECONDS * 2 ** (attempts - 1)
        failed = attempts >= settings.HAVEN_NOTIFY_MAX_ATTEMPTS
        claim.update(
            last_error=type(error).__name__[:200],
            status=Notification.Status.FAILED if failed else Notification.Status.PENDING,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        return False
    status = getattr(message, "anymail_status", None)
    claim.update(
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        message_id=str(getattr(status, "message_id", "") or "")[:200],
    )
    return True


def notifications_deliver_due() -> int:
    """Deliver every queued e-mail whose time has come (the worker's periodic sweep)."""
    due = Notification.objects.filter(
        status=Notification.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("code", flat=True)
    return sum(notification_deliver(str(code)) for code in list(due[:500]))


def notification_tracked(*, message_id: str, event: str, at: datetime | None) -> int:
    """Record a delivery event (delivered, bounced, …) an ESP reported for a message."""
    if not message_id:
        return 0
    return Notification.objects.filter(message_id=message_id).update(
        delivery=event[:20], delivery_at=at or timezone.now()
    )
