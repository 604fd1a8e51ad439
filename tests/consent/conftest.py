"""Consent helpers: an officer's request and a survivor's grant, as the pages make them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from consent import services
from consent.models import Acknowledgement, Consent, ConsentRequest
from directory.models import Membership, Organization

PIN = "482915"


def request_start(
    officer: Membership,
    recipient: Organization,
    services_: tuple[str, ...] = ("emergency_shelter",),
) -> tuple[ConsentRequest, str]:
    return services.consent_request_start(
        requested_by=officer, recipient=recipient, services=list(services_)
    )


def grant(
    officer: Membership,
    recipient: Organization,
    *,
    items: tuple[str, ...] = ("name", "contact"),
    expires_at: datetime | None = None,
    pin: str = PIN,
    **extra: Any,
) -> services.Granted:
    consent_request, _secret = request_start(officer, recipient)
    return services.consent_grant(
        request=consent_request,
        items=list(items),
        expires_at=expires_at or timezone.now() + timedelta(days=7),
        acknowledgements=list(Acknowledgement.values),
        pin=pin,
        signature="A. B.",
        language="en",
        method=extra.pop("method", Consent.Method.SURVIVOR_DEVICE),
        **extra,
    )


@pytest.fixture
def granted(cast: Any) -> services.Granted:
    """Agency A's officer asked; the survivor agreed to share with Shelter X for a week."""
    return grant(cast.officer_a, cast.shelter_x)
