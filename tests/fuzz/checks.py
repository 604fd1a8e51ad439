"""Haven's own schemathesis checks, run with the built-in ones on every fuzzed call.

Registered on import (tests/fuzz/conftest.py imports this module).
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis

from tests.referrals.conftest import NAME, PHONE

REFERRAL_SEND = "POST /api/v1/referrals"
# What a well-formed request may still be refused for (a 400) where schemathesis'
# positive_data_acceptance is off: what it names, which no schema can know. A search, for a
# place the gazetteer does not know; a referral, for a consent, recipient, location or hold
# that is none (or not the sender's, or not together), or for what the consent does not cover.
# Never for its form (lengths, blanks, counts, choices): the schema describes that.
NAMED = {
    "GET /api/v1/search": {"near"},
    REFERRAL_SEND: {"consent", "recipient", "location", "hold", "services"},
}
CONSENT_CODES = {
    "other_agency", "other_recipient", "item_not_consented", "expired", "revoked",
    "not_yet_valid", "superseded", "no_key",
}  # fmt: skip
# A survivor's details, planted in valid referrals (tests/fuzz/conftest.py): they must never
# come back, nor reach a log.
CANARIES = {"name": NAME, "contact": PHONE}


@schemathesis.check
def valid_requests_are_refused_only_for_what_they_name(
    ctx: Any, response: Any, case: Any
) -> bool | None:
    """positive_data_acceptance, narrowed for the search and the referral send (see NAMED)."""
    meta = case.meta
    named = NAMED.get(case.operation.label)
    if named is None or meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code != 400:
        return None
    error = json.loads(response.text)
    field = str(error.get("field", "")).split(".")[0]
    if field in named or error.get("code") in CONSENT_CODES:
        return None
    raise AssertionError(f"A request the schema calls valid was refused: {response.text[:300]}")


@schemathesis.check
def survivor_details_never_come_back(ctx: Any, response: Any, case: Any) -> bool | None:
    """What a referral's items hold is sealed: it is never in the answer, its headers or the
    address, whatever the answer is. The planted canaries are looked for, and any generated
    value long and varied enough not to occur by chance (a word such as "location" would)."""
    if case.operation.label != REFERRAL_SEND or not isinstance(case.body, dict):
        return None
    items = case.body.get("items")
    if not isinstance(items, dict):
        return None
    details = [
        value.strip()
        for value in items.values()
        if isinstance(value, str)
        and (value in CANARIES.values() or (len(value) >= 20 and len(set(value)) >= 8))
    ]
    headers = " ".join(f"{name}: {value}" for name, value in response.headers.items())
    seen = f"{response.request.url}\n{headers}\n{response.text}"
    for detail in details:
        if detail in seen or json.dumps(detail)[1:-1] in seen:
            raise AssertionError(f"A survivor's detail came back in the answer: {detail[:40]!r}")
    return None
