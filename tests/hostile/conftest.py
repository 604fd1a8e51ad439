"""What the hostile-input tests share: every route the project serves, a world of objects to
aim at (the fixed cast, a shelter with beds, a hold, a consent, a referral, an invitation, a
token), a fingerprint of the whole database, and the judge of one answer."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import ERROR
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.services import invitation_create, token_issue
from consent.services import consent_request_start
from directory.models import Capacity, Hold, Membership
from directory.services import hold_place
from referrals.models import Referral
from referrals.services import referral_accept
from tests.conftest import verify_session
from tests.consent.conftest import PIN, grant
from tests.factories import MembershipFactory, shelter_with_beds
from tests.referrals.conftest import keyed, send  # noqa: F401 — keyed is a fixture

# --- Every route ----------------------------------------------------------------------------


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[tuple[str, str, Any]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, prefix + str(pattern.pattern), inner or namespace)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            yield name, prefix + str(pattern.pattern), pattern.callback


def routes() -> list[tuple[str, str, Any]]:
    """(name, pattern, view) of every URL the project answers, as the resolver has them."""
    return list(_walk(get_resolver(), "", ""))


ADMIN_NAMESPACE = "otpadmin"


def is_api(name: str, pattern: str) -> bool:
    return pattern.startswith("api/")


def is_admin(name: str) -> bool:
    return name.split(":")[0] == ADMIN_NAMESPACE


# --- The database, fingerprinted ------------------------------------------------------------


@functools.cache
def _tables() -> tuple[str, ...]:
    return tuple(t for t in connection.introspection.table_names() if t not in UNWATCHED)


# Sessions change on every request (the idle timeout); nothing in them is stored data.
UNWATCHED = {"django_session"}


def fingerprint() -> dict[str, str]:
    """A digest of every row of every table: two fingerprints differ exactly in the tables
    something was written to (an UPDATE too, not only an INSERT or a DELETE)."""
    digests = {}
    with connection.cursor() as cursor:
        for table in _tables():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows = sorted(repr(row) for row in cursor.fetchall())
            digests[table] = hashlib.sha256("\n".join(rows).encode("utf-8", "replace")).hexdigest()
    return digests


def changed_tables(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {
        table for table in before.keys() | after.keys() if before.get(table) != after.get(table)
    }


# --- Judging one answer ---------------------------------------------------------------------


@dataclass
class Outcome:
    status: int
    error_shown: bool
    location: str
    body: str
    changed: set[str]
    crash: str = ""
    after: dict[str, str] | None = None


def error_message_shown(response: Any) -> bool:
    """A person is told what was wrong: an alert or field error on the page, a JSON
    ``detail``, or (after a post/redirect/get) an error message waiting for the next page."""
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/json"):
        try:
            return bool(response.json().get("detail"))
        except (ValueError, AttributeError):
            return False
    if content_type.startswith("text/html"):
        html = response.content.decode()
        if 'role="alert"' in html or 'class="error"' in html or "errorlist" in html:
            return True
    # Only what this request added: messages of earlier requests may still wait in the cookie.
    storage = getattr(getattr(response, "wsgi_request", None), "_messages", None)
    queued = getattr(storage, "_queued_messages", [])
    return any(message.level == ERROR for message in queued)


def attempt(
    call: Callable[[], Any], *, watch: bool = True, before: dict[str, str] | None = None
) -> Outcome:
    """Make one request and see what it wrote (``watch``; ``before`` is the database as it
    is now, if already known). A server error, raised by the test client, is an outcome."""
    before = (before or fingerprint()) if watch else None
    try:
        response = call()
    except Exception as error:  # the crash is what is being looked for
        return Outcome(500, False, "", "", set(), repr(error))
    after = fingerprint() if watch else None
    return Outcome(
        response.status_code,
        error_message_shown(response),
        response.get("Location", ""),
        response.content.decode("utf-8", "replace") if not response.streaming else "",
        changed_tables(before, after) if before and after else set(),
        after=after,
    )


# --- The world ------------------------------------------------------------------------------


@dataclass
class World:
    """Objects for every route to point at. ``fresh_*`` make new ones for actions that use
    theirs up (a consent can be revoked once, a hold cancelled once)."""

    cast: Any
    capacity: Capacity
    hold: Hold
    referral: Referral
    consent: Any
    receipt_code: str
    bearer: str
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, who: str) -> Client:
        """A signed-in client (both factors) of a cast member, or an anonymous one."""
        if who not in self.clients:
            if who == "anonymous":
                self.clients[who] = Client()
            elif who == "steward":
                self.clients[who] = verify_session(Client(), self.cast.steward)
            else:
                self.clients[who] = verify_session(Client(), getattr(self.cast, who).user)
        return self.clients[who]

    def fresh_hold(self) -> Hold:
        return hold_place(
            capacity=self.capacity, agency=self.cast.agency_a, placed_by=self.cast.officer_a
        )

    def fresh_referral(self, *, accepted: bool = False) -> Referral:
        referral = send(self.cast)
        if accepted:
            referral = referral_accept(referral=referral, by=self.cast.caseworker_x)
        return referral

    def fresh_grant(self) -> Any:
        return grant(self.cast.officer_a, self.cast.shelter_x, items=("name", "contact", "age"))

    def portal_client(self, receipt_code: str | None = None) -> Client:
        client = Client()
        response = client.post("/my/", {"code": receipt_code or self.receipt_code, "pin": PIN})
        assert response.status_code == 302, response.content
        return client

    def capture_client(self) -> Client:
        """A survivor's phone that opened a fresh signing link."""
        _request, secret = consent_request_start(
            requested_by=self.cast.officer_a,
            recipient=self.cast.shelter_x,
            services=["emergency_shelter"],
        )
        client = Client()
        assert client.get(f"/c/{secret}/").status_code == 302
        return client

    def invitation_secret(self) -> str:
        email = f"new.{Membership.objects.count()}@example.org"
        _invitation, secret = invitation_create(
            inviter=self.cast.admin_x, email=email, role=Membership.Role.CASEWORKER
        )
        return secret

    def reset_path(self) -> str:
        user = self.cast.caseworker_y.user
        user.refresh_from_db()
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        return f"/accounts/password-reset/{uid}/{default_token_generator.make_token(user)}/"

    def fresh_member(self) -> Membership:
        return MembershipFactory.create(
            organization=self.cast.shelter_x, role=Membership.Role.CASEWORKER
        )


@pytest.fixture
def world(keyed: Any) -> World:  # noqa: F811 — the fixture imported above
    capacity = shelter_with_beds(keyed.shelter_x, total=500, population="women")
    granted = grant(keyed.officer_a, keyed.shelter_x, items=("name", "contact", "age"))
    issued = token_issue(
        organization=keyed.agency_a,
        name="hostile",
        scopes=["directory:read", "holds:write", "referrals:write", "referrals:read"],
        issuer=None,
    )
    return World(
        cast=keyed,
        capacity=capacity,
        hold=hold_place(capacity=capacity, agency=keyed.agency_a, placed_by=keyed.officer_a),
        referral=send(keyed, consent=granted.consent),
        consent=granted.consent,
        receipt_code=granted.receipt_code,
        bearer=issued.secret,
    )


def tidy(text: str) -> str:
    """A short, readable excerpt of an answer for a failure message."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))[:300]
