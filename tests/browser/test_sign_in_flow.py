"""A caseworker signs in with password and authenticator code, then signs out."""

import re

import pytest

from tests.browser.conftest import unlabelled_controls
from tests.factories import PASSWORD, MembershipFactory, current_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_password_and_code_then_sign_out(page, live_server):
    membership = MembershipFactory(user__email="dana@example.org", organization__name="Shelter X")
    device = totp_device(membership.user)

    page.goto(live_server.url + "/accounts/")
    page.wait_for_url(re.compile(r"/accounts/sign-in/"))
    assert unlabelled_controls(page) == []
    page.get_by_label("E-mail address").fill("dana@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(re.compile(r"/accounts/sign-in/verify/"))
    page.get_by_label(re.compile("Code from your authenticator app")).fill(current_code(device))
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(re.compile(r"/accounts/$"))
    assert page.get_by_role("heading", level=2, name="Shelter X").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/sign-in/"))
    assert page.get_by_text("You are signed out.").is_visible()
    page.goto(live_server.url + "/accounts/")
    page.wait_for_url(re.compile(r"/accounts/sign-in/"))
