"""Writes for consent: requests, granting, shortening, revoking, the disclosure ledger.

Every change writes its ConsentEvent and an audit event (codes only) in one transaction.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from consent.models import (
    Acknowledgement,
    Consent,
    ConsentEvent,
    ConsentRequest,
    Disclosure,
    Item,
    Receipt,
)
from consent.signals import consent_revoked
from directory.models import Category, Membership, Organization

NOTICE_VERSION = "2026-11"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_CODE_CHARS = 16  # 80 bits
LINK_CODE_CHARS = 8  # 40 bits, single use, 15 minutes, rate limited
PIN_MIN, PIN_MAX = 6, 12

ERROR_RECIPIENT_NOT_PROVIDER = _("Consent is asked for a service provider.")
ERROR_NOT_AN_AGENCY = _("Only officers of a referring agency start a consent request.")
ERROR_NO_SERVICES = _("Choose at least one service the referral is for.")
ERROR_NO_ITEMS = _("Choose at least one thing you agree to share.")
ERROR_UNKNOWN_ITEM = _("That is not something that can be shared.")
ERROR_EXPIRY_REQUIRED = _("Choose when this ends.")
ERROR_EXPIRY_TOO_LONG = _("It can last %(days)d days at most.")
ERROR_EXPIRY_PAST = _("The end has to be after now.")
ERROR_ACKNOWLEDGEMENTS = _("Please read and tick each point before you agree.")
ERROR_PIN = _("Choose a PIN of 6 to 12 digits that is not easy to guess.")
ERROR_SIGNATURE = _("Type your name or initials to sign.")
ERROR_VERBAL_NOT_ALLOWED = _("This network does not accept consent given only out loud.")
ERROR_VERBAL_WITNESS = _("Consent given out loud needs a witness from your agency.")
ERROR_NOT_ACTIVE = _("This consent has already ended.")
ERROR_SHORTEN_LATER = _("Choose a date before the current end.")
ERROR_REQUEST_CLOSED = _(
    "This link has expired or was already used. Ask the officer for a new one."
)


def _code(length: int) -> str:
    return "".join(secrets.choice(CROCKFORD) for _ in range(length))


def normalise_code(text: str) -> str:
    """What people type: any case, spaces or dashes, and O/I/L for 0/1/1 (Crockford)."""
    cleaned = "".join(c for c in text.upper() if c.isalnum())
    return cleaned.translate(str.maketrans("OILU", "011V"))


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _digest(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def _failures_key(ip: str | None) -> str:
    """Wrong codes (signing links and receipts alike) from one address, this hour."""
    return f"consent:failures:{ip or 'unknown'}"


def _address_failed(ip: str | None) -> None:
    key = _failures_key(ip)
    cache.add(key, 0, timeout=3600)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=3600)


def _survivor(receipt: Receipt) -> str:
    return f"survivor:{receipt.reference}"


# --- Requests -------------------------------------------------------------------------------


@transaction.atomic
def consent_request_start(
    *, requested_by: Membership, recipient: Organization, services: list[str]
) -> tuple[ConsentRequest, str]:
    """An officer asks for consent to refer to ``recipient``; returns the request and the
    one-time code for the survivor's link (shown as a QR code and typed link, kept hashed)."""
    if requested_by.organization.kind != Organization.Kind.AGENCY:
        raise ValidationError(ERROR_NOT_AN_AGENCY)
    if recipient.kind != Organization.Kind.PROVIDER:
        raise ValidationError({"recipient": ERROR_RECIPIENT_NOT_PROVIDER})
    services = sorted(set(services))
    if not services or not set(services) <= set(Category.values):
        raise ValidationError({"services": ERROR_NO_SERVICES})
    now = timezone.now()
    secret = _code(LINK_CODE_CHARS)
    request = ConsentRequest.objects.create(
        link_digest=_digest(secret),
        requested_by=requested_by,
        recipient=recipient,
        services=services,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.HAVEN_CONSENT_LINK_MINUTES),
    )
    audit_record(
        action="consent.requested",
        actor=f"user:{requested_by.user.code}",
        organization=str(requested_by.organization.code),
        target=f"consent_request:{request.code}",
        data={"recipient": str(recipient.code)},
    )
    return request, secret


def consent_request_open(*, secret: str, ip: str | None = None) -> ConsentRequest | None:
    """The open request behind a link or typed code, or None (wrong, used or expired: the
    same answer). Failures count against the address, like the portal's."""
    failures = cache.get(_failures_key(ip), 0)
    if failures >= settings.HAVEN_PORTAL_ADDRESS_LIMIT:
        return None
    request = (
        ConsentRequest.objects.select_related("recipient", "requested_by__organization")
        .filter(link_digest=_digest(secret), completed_at__isnull=True)
        .first()
    )
    if request is None or request.expires_at <= timezone.now():
        _address_failed(ip)
        return None
    if request.opened_at is None:
        ConsentRequest.objects.filter(pk=request.pk).update(opened_at=timezone.now())
    return request


# --- Granting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Granted:
    consent: Consent
    receipt_code: str  # shown once, on the receipt; only its digest is kept


def _check_pin(pin: str) -> None:
    if not (pin.isdigit() and PIN_MIN <= len(pin) <= PIN_MAX):
        raise ValidationError({"pin": ERROR_PIN})
    if len(set(pin)) == 1 or pin in "01234567890123456789" or pin in "98765432109876543210":
        raise ValidationError({"pin": ERROR_PIN})


def signature_digest(consent_code: str, signature: str) -> str:
    key = settings.SECRET_KEY.encode()
    message = f"{consent_code}:{' '.join(signature.split()).casefold()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@transaction.atomic
def consent_grant(
    *,
    request: ConsentRequest,
    items: list[str],
    expires_at: datetime,
    acknowledgements: list[str],
    pin: str,
    signature: str,
    language: str,
    method: str,
    interpreter_used: bool = False,
    show_recipient_on_receipt: bool = False,
    witness: Membership | None = None,
) -> Granted:
    """The survivor agrees. Creates their receipt (code and PIN, digests only), the consent
    and its first event; the request's link stops working."""
    request = ConsentRequest.objects.select_for_update().get(pk=request.pk)
    now = timezone.now()
    if request.completed_at is not None or request.expires_at <= now:
        raise ValidationError(ERROR_REQUEST_CLOSED)
    items = sorted(set(items))
    if not items:
        raise ValidationError({"items": ERROR_NO_ITEMS})
    if not set(items) <= set(Item.values):
        raise ValidationError({"items": ERROR_UNKNOWN_ITEM})
    if set(acknowledgements) != set(Acknowledgement.values):
        raise ValidationError({"acknowledgements": ERROR_ACKNOWLEDGEMENTS})
    _check_expiry(expires_at, now)
    _check_pin(pin)
    if not signature.strip():
        raise ValidationError({"signature": ERROR_SIGNATURE})
    if method == Consent.Method.VERBAL:
        if not settings.HAVEN_CONSENT_ALLOW_VERBAL:
            raise ValidationError({"method": ERROR_VERBAL_NOT_ALLOWED})
        if witness is None or witness.organization_id != request.requested_by.organization_id:
            raise ValidationError({"witness": ERROR_VERBAL_WITNESS})
    code = _code(RECEIPT_CODE_CHARS)
    receipt = Receipt.objects.create(
        code_digest=_digest(code), pin_hash=make_password(pin), language=language
    )
    consent = Consent(
        receipt=receipt,
        recipient=request.recipient,
        requested_by=request.requested_by,
        services=request.services,
        items=items,
        valid_from=now,
        expires_at=expires_at,
        method=method,
        witness=witness,
        notice_version=NOTICE_VERSION,
        language=language,
        interpreter_used=interpreter_used,
        acknowledgements=sorted(acknowledgements),
        signed_at=now,
        show_recipient_on_receipt=show_recipient_on_receipt,
    )
    consent.signature_digest = signature_digest(str(consent.code), signature)
    consent.full_clean()
    consent.save()
    ConsentEvent.objects.create(
        consent=consent, kind=ConsentEvent.Kind.GRANTED, how=ConsentEvent.How.CAPTURE, at=now,
        data={"items": items, "expires_at": expires_at.isoformat()},
    )  # fmt: skip
    request.completed_at, request.consent = now, consent
    request.save(update_fields=["completed_at", "consent"])
    audit_record(
        action="consent.granted",
        actor=_survivor(receipt),
        organization=str(request.requested_by.organization.code),
        target=f"consent:{consent.code}",
        data={"recipient": str(request.recipient.code), "items": items, "method": method},
    )
    return Granted(consent, format_code(code))


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is None:
        raise ValidationError({"expires_at": ERROR_EXPIRY_REQUIRED})
    if expires_at <= now:
        raise ValidationError({"expires_at": ERROR_EXPIRY_PAST})
    days = settings.HAVEN_CONSENT_MAX_DAYS
    if expires_at > now + timedelta(days=days):
        raise ValidationError({"expires_at": ERROR_EXPIRY_TOO_LONG % {"days": days}})


# --- Validity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validity:
    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


def consent_is_valid(
    consent: Consent, recipient: Organization, items: list[str] | set[str], at: datetime
) -> Validity:
    """The one check referrals make at every send and every packet open.

    Valid means: not revoked or replaced, started, not yet at its end (by the clock, not by
    any sweep), for this recipient, and covering every item asked for.
    """
    if consent.status in (Consent.Status.REVOKED, Consent.Status.SUPERSEDED):
        return Validity(False, consent.status)
    if at < consent.valid_from:
        return Validity(False, "not_yet_valid")
    if at >= consent.expires_at:
        return Validity(False, "expired")
    if consent.recipient_id != recipient.pk:
        return Validity(False, "other_recipient")
    if not set(items) <= set(consent.items):
        return Validity(False, "item_not_consented")
    return Validity(True)


# --- The survivor portal --------------------------------------------------------------------


def receipt_sign_in(*, code: str, pin: str, ip: str | None) -> Receipt | None:
    """Open the portal with a receipt code and PIN; None for any failure, whichever part was
    wrong. Locks a receipt after repeated wrong PINs, and an address after repeated failures
    of any kind."""
    now = timezone.now()
    failures = cache.get(_failures_key(ip), 0)
    if failures >= settings.HAVEN_PORTAL_ADDRESS_LIMIT:
        _audit_portal(None, ok=False, why="address_locked")
        return None
    receipt = Receipt.objects.filter(code_digest=_digest(code)).first()
    # Hash the PIN even when there is no receipt, so both failures take the same time.
    pin_ok = check_password(pin, receipt.pin_hash if receipt else _dummy_hash())
    if receipt is not None and receipt.locked_until and receipt.locked_until > now:
        pin_ok = False
    if receipt is None or not pin_ok:
        _address_failed(ip)
        if receipt is not None and not (receipt.locked_until and receipt.locked_until > now):
            _count_failure(receipt, now)
        _audit_portal(receipt, ok=False, why="wrong")
        return None
    Receipt.objects.filter(pk=receipt.pk).update(failed_attempts=0, locked_until=None)
    _audit_portal(receipt, ok=True)
    return receipt


@functools.cache
def _dummy_hash() -> str:
    return make_password(secrets.token_hex(8))


def _count_failure(receipt: Receipt, now: datetime) -> None:
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
        receipt.failed_attempts += 1
        if receipt.failed_attempts >= settings.HAVEN_PORTAL_RECEIPT_LIMIT:
            receipt.failed_attempts = 0
            receipt.locked_until = now + timedelta(minutes=settings.HAVEN_PORTAL_LOCK_MINUTES)
        receipt.save(update_fields=["failed_attempts", "locked_until"])


def _audit_portal(receipt: Receipt | None, *, ok: bool, why: str = "") -> None:
    # No address: where a survivor signs in from is not Haven's to keep.
    audit_record(
        action="consent.portal_sign_in" if ok else "consent.portal_sign_in_failed",
        actor=_survivor(receipt) if receipt else "",
        data={"why": why} if why else {},
    )


@transaction.atomic
def consent_viewed(*, consent: Consent) -> None:
    ConsentEvent.objects.create(
        consent=consent, kind=ConsentEvent.Kind.VIEWED, how=ConsentEvent.How.PORTAL,
        at=timezone.now(),
    )  # fmt: skip


@transaction.atomic
def consent_shorten(
    *, consent: Consent, expires_at: datetime, how: str, by: Membership | None = None
) -> Consent:
    """End a consent sooner (never later: a longer consent is a new one)."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    now = timezone.now()
    if consent.status != Consent.Status.ACTIVE or consent.expires_at <= now:
        raise ValidationError(ERROR_NOT_ACTIVE)
    if expires_at >= consent.expires_at:
        raise ValidationError({"expires_at": ERROR_SHORTEN_LATER})
    if expires_at <= now:
        raise ValidationError({"expires_at": ERROR_EXPIRY_PAST})
    previous = consent.expires_at
    consent.expires_at = expires_at
    consent.save(update_fields=["expires_at"])
    ConsentEvent.objects.create(
        consent=consent, kind=ConsentEvent.Kind.SHORTENED, how=how, at=now, recorded_by=by,
        data={"from": previous.isoformat(), "to": expires_at.isoformat()},
    )  # fmt: skip
    audit_record(
        action="consent.shortened",
        actor=f"user:{by.user.code}" if by else _survivor(consent.receipt),
        target=f"consent:{consent.code}",
        data={"how": how},
    )
    return consent


@transaction.atomic
def consent_revoke(*, consent: Consent, how: str, by: Membership | None = None) -> Consent:
    """Take a consent back, at once. Anything held under it reacts through
    ``consent_revoked`` in this same transaction (see consent.signals)."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.status != Consent.Status.ACTIVE:
        raise ValidationError(ERROR_NOT_ACTIVE)
    now = timezone.now()
    consent.status, consent.ended_at = Consent.Status.REVOKED, now
    consent.save(update_fields=["status", "ended_at"])
    ConsentEvent.objects.create(
        consent=consent, kind=ConsentEvent.Kind.REVOKED, how=how, at=now, recorded_by=by
    )
    audit_record(
        action="consent.revoked",
        actor=f"user:{by.user.code}" if by else _survivor(consent.receipt),
        target=f"consent:{consent.code}",
        data={"how": how},
    )
    consent_revoked.send(sender=Consent, consent=consent, at=now)
    return consent


@transaction.atomic
def consents_revoke_all(*, receipt: Receipt) -> int:
    revoked = 0
    for consent in receipt.consents.filter(status=Consent.Status.ACTIVE):
        consent_revoke(consent=consent, how=ConsentEvent.How.PORTAL)
        revoked += 1
    return revoked


def consents_expire_sweep() -> int:
    """Mark consents past their end as expired, for display. Validity never waits for this:
    it looks at the clock."""
    now = timezone.now()
    ended = 0
    for consent in Consent.objects.filter(status=Consent.Status.ACTIVE, expires_at__lte=now):
        with transaction.atomic():
            locked = Consent.objects.select_for_update().get(pk=consent.pk)
            if locked.status != Consent.Status.ACTIVE:
                continue
            locked.status, locked.ended_at = Consent.Status.EXPIRED, locked.expires_at
            locked.save(update_fields=["status", "ended_at"])
            ConsentEvent.objects.create(
                consent=locked, kind=ConsentEvent.Kind.EXPIRED, how=ConsentEvent.How.SYSTEM,
                at=now,
            )  # fmt: skip
            ended += 1
    return ended


# --- The disclosure ledger ------------------------------------------------------------------


def disclosure_record(
    *,
    consent: Consent,
    kind: str,
    organization: Organization,
    at: datetime | None = None,
    reference: str = "",
) -> Disclosure:
    """Append to the survivor's ledger what happened to something shared under a consent.

    For other apps (referrals): ``reference`` is an opaque id; nothing else is kept.
    """
    return Disclosure.objects.create(
        consent=consent, kind=kind, organization=organization, at=at or timezone.now(),
        reference=reference,
    )  # fmt: skip
