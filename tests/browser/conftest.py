"""Real Chromium (Debian's package) driven by Playwright. Never downloads a browser."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response

from tests.factories import PASSWORD, current_code, totp_device

# The session's one Chromium (``browser``) is in tests/conftest.py: Playwright's sync API runs
# one instance per thread, so every folder of browser tests must share it.


def watch(page: Page, errors: list[str]) -> Page:
    """Collect into ``errors`` every console error, script error and failed asset of the page."""

    # A blocked style or script (CSP) or a broken asset shows up as a console error.
    def on_console(message: ConsoleMessage) -> None:
        # Failed loads are judged below, where a page's own 4xx status can be told apart.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response: Response) -> None:
        # Survivor pages fetch the next page to put it in place of this one (survivor.js):
        # such an answer is a page, and a 400 with its form errors is as it should be.
        page_in_place = response.request.headers.get("x-haven-replace") == "1"
        if (
            response.request.resource_type != "document"
            and not page_in_place
            and (response.status >= 400)
        ):
            errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """open_page(**context_options) → a phone-sized page in a context of its own, watched:
    the test fails on any console error, script error or failed asset."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def make(**options: Any) -> Page:
        context = browser.new_context(
            **{"viewport": {"width": 390, "height": 844}, "locale": "en-US", **options}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return watch(page, errors)

    yield make
    for context in contexts:
        context.close()
    assert errors == [], errors


@pytest.fixture
def page(open_page: Callable[..., Page]) -> Page:
    return open_page()


def unlabelled_controls(page: Page) -> list[str]:
    """Form controls with no accessible label: no <label for>, no wrapping label, no aria."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('input, select, textarea'))
            .filter(el => el.type !== 'hidden' && el.type !== 'submit')
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !el.getAttribute('aria-labelledby'))
            .map(el => el.name || el.id)"""
    )


def sign_in(page: Page, base: str, user: Any, *, password: str = PASSWORD) -> None:
    """Password, then the code from the authenticator app, as a member does it."""
    totp_device(user)  # before the password: someone without one would be asked to set it up
    sign_in_password(page, base, user, password=password)
    sign_in_code(page, user)


def sign_in_password(page: Page, base: str, user: Any, *, password: str = PASSWORD) -> None:
    """The first step of signing in: e-mail and password."""
    page.goto(base + "/accounts/sign-in/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def sign_in_code(page: Page, user: Any) -> None:
    """The second step: the current code of the person's authenticator."""
    device = totp_device(user)
    page.get_by_label(re.compile("Code from your authenticator app")).fill(current_code(device))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/accounts/$"))


AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core from npm (``make test`` installs it). Missing, the checks are skipped —
    except where HAVEN_REQUIRE_AXE=1 (CI), where that is a failure."""
    if not AXE.exists():
        if os.environ.get("HAVEN_REQUIRE_AXE") == "1":
            pytest.fail(f"{AXE} is missing: run npm ci")
        pytest.skip("axe-core is not installed (npm ci)")
    return AXE.read_text()


@pytest.fixture
def serious_violations(axe_source: str) -> Callable[[Page], list[str]]:
    """Runs axe-core in the page (its context must bypass CSP to take the script) and
    returns the serious and critical violations, each with where it was found."""

    def check(page: Page) -> list[str]:
        page.add_script_tag(content=axe_source)
        result = page.evaluate(
            """async () => {
                const found = await axe.run(document, {resultTypes: ['violations']});
                return found.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target).join(', ')}`);
            }"""
        )
        return list(result)

    return check
