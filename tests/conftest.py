"""The fixed cast of every test (STYLE.md): officers of two agencies, caseworkers of two
shelters, a shelter admin, a steward, and anonymous visitors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from rest_framework.test import APIClient

from accounts.models import User
from directory.demo import demo_directory_load
from directory.models import Membership, Organization
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    totp_device,
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters and cached answers never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """A request in Spanish leaves Spanish active in its thread (LocaleMiddleware activates,
    nothing deactivates); the next test starts in the default language."""
    from django.utils import translation

    yield
    translation.deactivate()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, one for the session (see tests/browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The real WSGI application (for schemathesis), minus what Django's own test client also
    switches off: closing database connections at request boundaries, which would end the
    test's transaction on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def demo(db: None) -> None:
    """The demo directory of ``make run`` (Dallas, San Diego, Orlando, Miami)."""
    demo_directory_load()


@dataclass
class Cast:
    agency_a: Organization
    agency_b: Organization
    shelter_x: Organization
    shelter_y: Organization
    officer_a: Membership
    officer_b: Membership
    caseworker_x: Membership
    caseworker_y: Membership
    admin_x: Membership
    steward: User


@pytest.fixture
def cast(db: None) -> Cast:
    agency_a = AgencyFactory.create(name="Agency A")
    agency_b = AgencyFactory.create(name="Agency B")
    shelter_x = OrganizationFactory.create(name="Shelter X")
    shelter_y = OrganizationFactory.create(name="Shelter Y")

    def member(organization: Organization, role: str, email: str) -> Membership:
        return MembershipFactory.create(organization=organization, role=role, user__email=email)

    return Cast(
        agency_a=agency_a,
        agency_b=agency_b,
        shelter_x=shelter_x,
        shelter_y=shelter_y,
        officer_a=member(agency_a, Membership.Role.OFFICER, "officer.a@example.org"),
        officer_b=member(agency_b, Membership.Role.OFFICER, "officer.b@example.org"),
        caseworker_x=member(shelter_x, Membership.Role.CASEWORKER, "caseworker.x@example.org"),
        caseworker_y=member(shelter_y, Membership.Role.CASEWORKER, "caseworker.y@example.org"),
        admin_x=member(shelter_x, Membership.Role.ORG_ADMIN, "admin.x@example.org"),
        steward=UserFactory.create(email="steward@example.org", is_staff=True, is_superuser=True),
    )


def verify_session(client: Client, user: User) -> Client:
    """Sign a test client in with both factors, as the sign-in pages would."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
    return client


@pytest.fixture
def signed_in() -> Callable[..., Client]:
    """signed_in(user) → a browser-like client, password and second factor done."""

    def make(user: User, client_class: type[Client] = Client) -> Client:
        return verify_session(client_class(), user)

    return make


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` need real PostgreSQL (row locks, triggers, true parallel
    writers); on SQLite they are skipped, and CI runs the suite on both."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
