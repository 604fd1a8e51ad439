"""Referral helpers: keys for the cast's shelters, a consent, a hold, and a send."""

from __future__ import annotations

from typing import Any

import pytest

from consent.models import Consent
from directory.models import Hold, Membership, Organization
from directory.services import hold_place
from referrals.models import Referral, Urgency
from referrals.services import Tier1, org_key_create, referral_send
from tests.consent.conftest import grant
from tests.factories import shelter_with_beds

NAME = "Marisol Quintanilla-Obregón"  # canaries: nothing outside the packet may hold them
PHONE = "+1 214 555 0199"
BIRTH = "1994-03-17"


@pytest.fixture
def keyed(cast: Any) -> Any:
    """The cast, with encryption keys for both shelters and intake addresses."""
    for shelter in (cast.shelter_x, cast.shelter_y):
        shelter.intake_email = f"intake@{shelter.name.lower().replace(' ', '-')}.example.org"
        shelter.on_call_email = f"on-call@{shelter.name.lower().replace(' ', '-')}.example.org"
        shelter.save(update_fields=["intake_email", "on_call_email"])
        org_key_create(organization=shelter)
    return cast


def tier1(**overrides: Any) -> Tier1:
    values: dict[str, Any] = {
        "urgency": Urgency.URGENT,
        "services": ["emergency_shelter"],
        "household": {"adults": 1, "children_0_5": 1},
        "callback": "Desk sergeant, +1 214 555 0100",
        "needs": ["interpreter"],
        "language": "es",
        "safety": ["searched_for"],
    }
    values.update(overrides)
    return Tier1(**values)


def a_hold(
    cast: Any, shelter: Organization | None = None, officer: Membership | None = None
) -> Hold:
    """Officer A holds one of three beds at a new location of Shelter X."""
    officer = officer or cast.officer_a
    capacity = shelter_with_beds(shelter or cast.shelter_x, total=3)
    return hold_place(capacity=capacity, agency=officer.organization, placed_by=officer)


def send(
    cast: Any,
    *,
    consent: Consent | None = None,
    items: dict[str, str] | None = None,
    recipient: Organization | None = None,
    hold: Hold | None = None,
    officer: Membership | None = None,
    **tier1_overrides: Any,
) -> Referral:
    officer = officer or cast.officer_a
    if consent is None:
        consent = grant(cast.officer_a, cast.shelter_x, items=("name", "contact", "age")).consent
    return referral_send(
        agency=officer.organization,
        sent_by=officer,
        recipient=recipient or consent.recipient,
        consent=consent,
        tier1=tier1(**tier1_overrides),
        items={"name": NAME, "contact": PHONE} if items is None else items,
        hold=hold,
    )
