"""Reads for consent: the portal's view, the staff's view, access helpers."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from consent.models import Consent, ConsentRequest, Receipt
from directory.selectors import viewer_organization_ids


def receipt_consents(*, receipt: Receipt) -> QuerySet[Consent]:
    return (
        Consent.objects.filter(receipt=receipt)
        .select_related("recipient")
        .prefetch_related("events", "disclosures__organization")
        .order_by("-created_at")
    )


def consent_get_for_receipt(*, receipt: Receipt, code: uuid.UUID | str) -> Consent:
    """One of this survivor's consents; anyone else's (or none) is a 404."""
    try:
        return Consent.objects.select_related("recipient", "receipt").get(
            receipt=receipt, code=code
        )
    except (Consent.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def consent_get_for_staff(*, user: Any, code: uuid.UUID | str) -> Consent:
    """A consent the user's agency asked for, or one naming the user's organisation as its
    recipient; anything else is a 404. Staff see what was agreed, never the receipt."""
    organizations = viewer_organization_ids(user)
    try:
        return (
            Consent.objects.select_related("recipient", "requested_by__organization")
            .prefetch_related("events")
            .get(
                Q(requested_by__organization_id__in=organizations)
                | Q(recipient_id__in=organizations),
                code=code,
            )
        )
    except (Consent.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def consent_request_get_for_staff(*, user: Any, code: uuid.UUID | str) -> ConsentRequest:
    """The officer's own agency's request; anything else is a 404."""
    try:
        return ConsentRequest.objects.select_related("recipient", "consent").get(
            code=code, requested_by__organization_id__in=viewer_organization_ids(user)
        )
    except (ConsentRequest.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def consents_for_staff(*, user: Any) -> QuerySet[Consent]:
    organizations = viewer_organization_ids(user)
    return (
        Consent.objects.filter(
            Q(requested_by__organization_id__in=organizations) | Q(recipient_id__in=organizations)
        )
        .select_related("recipient", "requested_by__organization")
        .order_by("-created_at")
    )
